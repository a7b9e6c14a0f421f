import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { IllegalParameterError } from '../../errors.js';
import { checkLength, checkUint } from '../vectors.js';

/**
 * RFC 5246 7.4.1.4:
 *
 *   struct {
 *     ExtensionType extension_type;
 *     opaque extension_data<0..2^16-1>;
 *   } Extension;
 */
export interface Extension {
  type: number;
  data: Uint8Array;
}

/** `Extension extensions<0..2^16-1>`: the 2-byte total length, then each entry. */
export function encodeExtensionBlock(list: readonly Extension[]): Uint8Array {
  const w = new Writer();
  w.u16(0);
  for (const e of list) {
    checkUint('extension_type', e.type, 0xffff);
    checkLength('extension_data', e.data.length, 0, 0xffff);
    w.u16(e.type).u16(e.data.length).bytes(e.data);
  }
  const out = w.finish();
  const total = checkLength('extensions', out.length - 2, 0, 0xffff);
  out[0] = total >>> 8;
  out[1] = total & 0xff;
  return out;
}

/**
 * Reads `Extension extensions<0..2^16-1>` at the reader's position. Every entry must fit
 * the block exactly (DecodeError otherwise); RFC 5246 7.4.1.4: "There MUST NOT be more than
 * one extension of the same type" (IllegalParameterError).
 */
export function decodeExtensionBlock(reader: Reader): Extension[] {
  const block = new Reader(reader.vector16('extensions'), 'extensions');
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (block.remaining > 0) {
    const type = block.u16('extension_type');
    const data = block.vector16('extension_data');
    if (seen.has(type)) throw new IllegalParameterError(`extensions: type ${type} appears twice`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

/** The extension of the given type, if present. */
export function findExtension(list: readonly Extension[], type: number): Extension | undefined {
  return list.find((e) => e.type === type);
}
