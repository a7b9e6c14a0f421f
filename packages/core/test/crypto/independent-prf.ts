import { createHmac } from 'node:crypto';

/**
 * An independent P_hash (RFC 5246 5) written straight from the RFC over node:crypto HMAC, for
 * checking label/seed layouts. Deliberately shares no code with src/crypto/prf.ts.
 */
export function referencePrf(hash: 'sha256' | 'sha384', secret: Uint8Array, labelAndSeed: Buffer, length: number): string {
  const hmac = (data: Buffer): Buffer => createHmac(hash, secret).update(data).digest();
  let a = labelAndSeed;
  let out = Buffer.alloc(0);
  while (out.length < length) {
    a = hmac(a);
    out = Buffer.concat([out, hmac(Buffer.concat([a, labelAndSeed]))]);
  }
  return out.subarray(0, length).toString('hex');
}
