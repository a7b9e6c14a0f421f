/** Small helpers over plain Uint8Array (no Buffer in the engine's types). */

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Compares in time that depends only on the lengths, never on where the bytes differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Parses hex (as OpenSSL's `-psk` takes it); throws TypeError on anything else. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new TypeError(`not a hex string: ${JSON.stringify(hex.length > 40 ? hex.slice(0, 40) + '…' : hex)}`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The bytes [start, end) of `bytes` as a Uint8Array over the same memory: what subarray() returns
 * (but always a plain Uint8Array, never a Buffer), for about half its cost, since subarray() looks
 * up a species constructor on every call. For the per-record paths.
 */
export function viewOf(bytes: Uint8Array, start: number, end: number = bytes.length): Uint8Array {
  if (start < 0 || end < start || end > bytes.length) throw new RangeError(`viewOf: [${start}, ${end}) is outside 0..${bytes.length}`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}
