import type { Aead } from './provider.js';

/** One sealing an optional provider's AEAD must reproduce: nonce, additional data, plaintext, ciphertext || tag. */
export interface AeadKnownAnswer {
  readonly nonce: Uint8Array;
  readonly aad: Uint8Array;
  readonly plaintext: Uint8Array;
  readonly sealed: Uint8Array;
  /** Where the expected bytes come from, for the message (e.g. 'node:crypto', 'RFC 8439 2.8.2'). */
  readonly source: string;
}

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Refuses a native AEAD that does not compute what the RFC does: a record it sealed would be
 * refused by every peer, and a wrong open() could let a forgery through. Run once per cipher when
 * an optional provider loads: the known answer sealed, opened (in place too, when it can), and a
 * flipped tag bit refused. Returns what went wrong, or undefined.
 */
export function aeadSelfCheck(aead: Aead, known: AeadKnownAnswer): string | undefined {
  let sealed: Uint8Array;
  try {
    sealed = aead.seal(known.nonce, known.plaintext, known.aad);
  } catch (cause) {
    return `seal failed (${String(cause)})`;
  }
  if (!sameBytes(sealed, known.sealed)) return `sealed bytes differ from ${known.source}`;
  let opened: Uint8Array | null;
  try {
    opened = aead.open(known.nonce, sealed, known.aad);
  } catch (cause) {
    return `open failed (${String(cause)})`;
  }
  if (!sameBytes(opened, known.plaintext)) return 'does not open what it sealed';
  const forged = sealed.slice();
  forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
  if (aead.open(known.nonce, forged, known.aad) !== null) return 'opens a record with a wrong tag';
  if (aead.openInPlace !== undefined) {
    if (!sameBytes(aead.openInPlace(known.nonce, sealed.slice(), known.aad), known.plaintext)) return 'does not open in place what it sealed';
    if (aead.openInPlace(known.nonce, forged, known.aad) !== null) return 'opens in place a record with a wrong tag';
  }
  return undefined;
}
