/**
 * The DTLS 1.3 part of a START frame (start-frame.ts): what the main thread's stateless
 * HelloRetryRequest cookie brought back (RFC 9147 5.1) for the worker's ServerHandshake13 to
 * rebuild the transcript: suite (uint16), asked group (uint16, 0 for none), Hash(ClientHello1)
 * (uint8 length + bytes), the cookie (uint16 length + bytes). Empty for a DTLS 1.2 ClientHello.
 */
import type { VerifiedClientHello } from '@dtls-kit/core';

type Dtls13State = NonNullable<VerifiedClientHello['dtls13']>;

export function encodeDtls13State(state: Dtls13State | undefined): Uint8Array {
  if (state === undefined) return new Uint8Array(0);
  const out = new Uint8Array(4 + 1 + state.clientHello1Hash.length + 2 + state.cookie.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, state.cipherSuite);
  view.setUint16(2, state.selectedGroup ?? 0);
  out[4] = state.clientHello1Hash.length;
  out.set(state.clientHello1Hash, 5);
  const at = 5 + state.clientHello1Hash.length;
  view.setUint16(at, state.cookie.length);
  out.set(state.cookie, at + 2);
  return out;
}

/** The state encodeDtls13State() wrote: undefined for an empty block; null when the bytes cannot be one. */
export function decodeDtls13State(bytes: Uint8Array): Dtls13State | undefined | null {
  if (bytes.length === 0) return undefined;
  if (bytes.length < 5) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hashLength = bytes[4] ?? 0;
  const at = 5 + hashLength;
  if (at + 2 > bytes.length) return null;
  const cookieLength = view.getUint16(at);
  if (at + 2 + cookieLength !== bytes.length) return null;
  const group = view.getUint16(2);
  return {
    cipherSuite: view.getUint16(0),
    selectedGroup: group === 0 ? undefined : group,
    clientHello1Hash: bytes.subarray(5, at),
    cookie: bytes.subarray(at + 2),
  };
}
