/**
 * A HANDOVER frame (see ring.ts): an established DTLS 1.2 connection the main thread handshook
 * (the server's `handshakes: 'main'`), as core's EstablishedSnapshot, for the worker that runs its
 * handler to take up with DtlsConnection.importEstablished(). The snapshot is plain data (typed
 * arrays, numbers, strings, plain objects), so node:v8's serializer (structured clone, as
 * postMessage uses) writes it whole; it goes through the worker's ring because the worker sleeps
 * in Atomics.wait, where a message would not wake it. It holds the session's secrets: the ring is
 * this process's own memory.
 */
import { deserialize, serialize } from 'node:v8';
import { ESTABLISHED_SNAPSHOT_FORMAT, type EstablishedSnapshot } from '@dtls-kit/core';

export function encodeHandover(snapshot: EstablishedSnapshot): Uint8Array {
  return serialize(snapshot);
}

function isSnapshot(value: unknown): value is EstablishedSnapshot {
  return typeof value === 'object' && value !== null && Reflect.get(value, 'format') === ESTABLISHED_SNAPSHOT_FORMAT;
}

/** The snapshot encodeHandover() wrote; undefined when the bytes are not one. */
export function decodeHandover(bytes: Uint8Array): EstablishedSnapshot | undefined {
  try {
    const value: unknown = deserialize(bytes);
    return isSnapshot(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
