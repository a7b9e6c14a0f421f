import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { DecodeError } from '../../errors.js';
import { checkLength } from '../vectors.js';

/*
 * RFC 7301 3.1:
 *   opaque ProtocolName<1..2^8-1>;
 *   struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList;
 * Names are byte strings; we carry them as UTF-8 text (the IANA registry's names are ASCII).
 * The server's answer is a list of exactly one name (3.1); checking that is the caller's job.
 */

export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  const w = new Writer();
  w.u16(0);
  for (const p of protocols) {
    const name = new TextEncoder().encode(p);
    checkLength('ProtocolName', name.length, 1, 0xff);
    w.u8(name.length).bytes(name);
  }
  const out = w.finish();
  const total = checkLength('protocol_name_list', out.length - 2, 2, 0xffff);
  out[0] = total >>> 8;
  out[1] = total & 0xff;
  return out;
}

/** DecodeError for an empty name, a bad length, or a name that is not valid UTF-8. */
export function decodeAlpn(data: Uint8Array): string[] {
  const r = new Reader(data, 'application_layer_protocol_negotiation');
  const list = new Reader(r.vector16('protocol_name_list', 2), 'protocol_name_list');
  r.end();
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const out: string[] = [];
  while (list.remaining > 0) {
    const name = list.vector8('ProtocolName', 1);
    try {
      out.push(decoder.decode(name));
    } catch {
      throw new DecodeError('application_layer_protocol_negotiation: ProtocolName is not valid UTF-8');
    }
  }
  return out;
}
