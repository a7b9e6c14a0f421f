/**
 * A START frame (see ring.ts): what a long-lived server worker needs to take a new connection, in
 * the connection's own inbound ring instead of a message per connection. The peer's address goes
 * in the SOURCE frame before it; the rest of the task (handler, credentials, options) is the
 * server's and was given to the worker once.
 *
 * Layout: messageSeq (uint32), recordSeq (float64: a 48-bit record number, RFC 6347 4.1), the
 * body's length (uint32), the DTLS 1.3 block's length (uint32), the ClientHello body, the DTLS 1.3
 * block (start-frame-dtls13.ts; empty for DTLS 1.2), then the whole datagram it came in.
 */
import type { VerifiedClientHello } from '@dtls-kit/core';
import { decodeDtls13State, encodeDtls13State } from './start-frame-dtls13.js';

const HEADER = 20;

export function encodeStart(hello: VerifiedClientHello): Uint8Array {
  const dtls13 = encodeDtls13State(hello.dtls13);
  const out = new Uint8Array(HEADER + hello.body.length + dtls13.length + hello.datagram.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, hello.messageSeq, true);
  view.setFloat64(4, hello.recordSeq, true);
  view.setUint32(12, hello.body.length, true);
  view.setUint32(16, dtls13.length, true);
  out.set(hello.body, HEADER);
  out.set(dtls13, HEADER + hello.body.length);
  out.set(hello.datagram, HEADER + hello.body.length + dtls13.length);
  return out;
}

/** The ClientHello encodeStart() wrote; undefined when the bytes cannot be one. */
export function decodeStart(bytes: Uint8Array): VerifiedClientHello | undefined {
  if (bytes.length < HEADER) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bodyLength = view.getUint32(12, true);
  const dtls13Length = view.getUint32(16, true);
  const datagramAt = HEADER + bodyLength + dtls13Length;
  if (datagramAt > bytes.length) return undefined;
  const dtls13 = decodeDtls13State(bytes.subarray(HEADER + bodyLength, datagramAt));
  if (dtls13 === null) return undefined;
  const hello = {
    messageSeq: view.getUint32(0, true),
    recordSeq: view.getFloat64(4, true),
    body: bytes.subarray(HEADER, HEADER + bodyLength),
    datagram: bytes.subarray(datagramAt),
  };
  return dtls13 === undefined ? hello : { ...hello, dtls13 };
}
