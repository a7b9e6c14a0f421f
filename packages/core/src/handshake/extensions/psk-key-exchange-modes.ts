import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { readUint8List, writeUint8List } from '../vectors.js';

/*
 * RFC 8446 4.2.9:
 *   enum { psk_ke(0), psk_dhe_ke(1), (255) } PskKeyExchangeMode;
 *   struct { PskKeyExchangeMode ke_modes<1..255>; } PskKeyExchangeModes;
 * Unknown modes are kept (the server picks among those it knows).
 */
export enum PskKeyExchangeMode {
  /** PSK alone: no forward secrecy. */
  psk_ke = 0,
  /** PSK with (EC)DHE. */
  psk_dhe_ke = 1,
}

export function encodePskKeyExchangeModes(modes: readonly number[]): Uint8Array {
  const w = new Writer(1 + modes.length);
  writeUint8List(w, 'ke_modes', modes, 1, 255);
  return w.finish();
}

export function decodePskKeyExchangeModes(data: Uint8Array): number[] {
  const r = new Reader(data, 'psk_key_exchange_modes');
  const modes = readUint8List(r, 'ke_modes', 1, 255);
  r.end();
  return modes;
}
