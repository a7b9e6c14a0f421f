/**
 * A HANDOVER frame (see ring.ts): an established DTLS 1.2 connection the main thread handshook
 * (the server's `handshakes: 'main'`), as core's EstablishedSnapshot, for the worker that runs its
 * handler to take up with DtlsConnection.importEstablished(). Written with core's snapshot codec
 * (CBOR), not node:v8's serializer: the main thread pays for every hand-over, and v8's calls back
 * into JavaScript for each of the snapshot's typed arrays (about twice the cost). It goes through
 * the worker's ring because the worker sleeps in Atomics.wait, where a message would not wake it.
 * It holds the session's secrets: the ring is this process's own memory.
 */
import { decodeEstablishedSnapshot, encodeEstablishedSnapshot, type EstablishedSnapshot } from '@dtls-kit/core';

export function encodeHandover(snapshot: EstablishedSnapshot): Uint8Array {
  return encodeEstablishedSnapshot(snapshot);
}

/** The snapshot encodeHandover() wrote; undefined when the bytes are not one. */
export function decodeHandover(bytes: Uint8Array): EstablishedSnapshot | undefined {
  try {
    return decodeEstablishedSnapshot(bytes);
  } catch {
    return undefined;
  }
}
