import type { AlertDescription, AlertLevel } from '@dtls-kit/core';

/**
 * An alert record in epoch 0 (plaintext), for a peer that has no connection in a worker: a refused
 * or evicted ClientHello, a queued one at shutdown. RFC 6347 4.2.1: the server's records continue
 * from the ClientHello's record sequence number, so the sequence number is copied from it.
 */
export function plainAlert(recordSeq: number, level: AlertLevel, description: AlertDescription): Uint8Array {
  const b = new Uint8Array(15);
  b[0] = 21; // alert
  b[1] = 0xfe;
  b[2] = 0xfd; // DTLS 1.2
  // epoch 0 (bytes 3-4), 48-bit sequence number (bytes 5-10)
  let s = recordSeq;
  for (let i = 10; i >= 5; i--) {
    b[i] = s % 256;
    s = Math.floor(s / 256);
  }
  b[12] = 2; // length
  b[13] = level;
  b[14] = description;
  return b;
}
