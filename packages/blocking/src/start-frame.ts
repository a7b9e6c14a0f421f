/**
 * A START frame (see ring.ts): what a long-lived server worker needs to take a new connection, in
 * the connection's own inbound ring instead of a message per connection. The peer's address goes
 * in the SOURCE frame before it; the rest of the task (handler, credentials, options) is the
 * server's and was given to the worker once.
 *
 * Layout: messageSeq (uint32), recordSeq (float64: a 48-bit record number, RFC 6347 4.1), the
 * body's length (uint32), the ClientHello body, then the whole datagram it came in.
 */
import type { VerifiedClientHello } from '@dtls-kit/core';

const HEADER = 16;

export function encodeStart(hello: VerifiedClientHello): Uint8Array {
  const out = new Uint8Array(HEADER + hello.body.length + hello.datagram.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, hello.messageSeq, true);
  view.setFloat64(4, hello.recordSeq, true);
  view.setUint32(12, hello.body.length, true);
  out.set(hello.body, HEADER);
  out.set(hello.datagram, HEADER + hello.body.length);
  return out;
}

/** The ClientHello encodeStart() wrote; undefined when the bytes cannot be one. */
export function decodeStart(bytes: Uint8Array): VerifiedClientHello | undefined {
  if (bytes.length < HEADER) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bodyLength = view.getUint32(12, true);
  if (HEADER + bodyLength > bytes.length) return undefined;
  return {
    messageSeq: view.getUint32(0, true),
    recordSeq: view.getFloat64(4, true),
    body: bytes.subarray(HEADER, HEADER + bodyLength),
    datagram: bytes.subarray(HEADER + bodyLength),
  };
}
