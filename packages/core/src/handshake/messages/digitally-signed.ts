import type { Reader } from '../../codec/reader.js';
import type { Writer } from '../../codec/writer.js';
import { checkUint, writeVector16 } from '../vectors.js';

/**
 * RFC 5246 4.7 (TLS 1.2 form):
 *
 *   struct {
 *     SignatureAndHashAlgorithm algorithm;
 *     opaque signature<0..2^16-1>;
 *   } DigitallySigned;
 *
 * `scheme` is the algorithm read as one uint16 (see SignatureScheme).
 */
export interface DigitallySigned {
  scheme: number;
  signature: Uint8Array;
}

export function writeDigitallySigned(w: Writer, s: DigitallySigned): void {
  w.u16(checkUint('signature algorithm', s.scheme, 0xffff));
  writeVector16(w, 'signature', s.signature);
}

export function readDigitallySigned(r: Reader): DigitallySigned {
  const scheme = r.u16('signature algorithm');
  const signature = r.vector16('signature');
  return { scheme, signature };
}
