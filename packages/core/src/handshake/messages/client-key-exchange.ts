import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { writeVector16 } from '../vectors.js';
import { readEcPoint, writeEcPoint } from './ec-point.js';

/** RFC 4279 2: struct { opaque psk_identity<0..2^16-1>; } ClientKeyExchange; */
export interface PskClientKeyExchange {
  identity: Uint8Array;
}

export function encodePskClientKeyExchange(m: PskClientKeyExchange): Uint8Array {
  const w = new Writer(2 + m.identity.length);
  writeVector16(w, 'psk_identity', m.identity);
  return w.finish();
}

export function decodePskClientKeyExchange(body: Uint8Array): PskClientKeyExchange {
  const r = new Reader(body, 'ClientKeyExchange(PSK)');
  const identity = r.vector16('psk_identity');
  r.end();
  return { identity };
}

/**
 * RFC 8422 5.7 (explicit form, the only one for ephemeral keys):
 *   struct { ECPoint ecdh_Yc; } ClientECDiffieHellmanPublic;
 */
export interface EcdheClientKeyExchange {
  publicKey: Uint8Array;
}

export function encodeEcdheClientKeyExchange(m: EcdheClientKeyExchange): Uint8Array {
  const w = new Writer(1 + m.publicKey.length);
  writeEcPoint(w, 'ecdh_Yc', m.publicKey);
  return w.finish();
}

export function decodeEcdheClientKeyExchange(body: Uint8Array): EcdheClientKeyExchange {
  const r = new Reader(body, 'ClientKeyExchange(ECDHE)');
  const publicKey = readEcPoint(r, 'ecdh_Yc');
  r.end();
  return { publicKey };
}

/**
 * RFC 5489 2:
 *   struct {
 *     opaque psk_identity<0..2^16-1>;
 *     ClientECDiffieHellmanPublic public;
 *   } ClientKeyExchange;
 */
export interface EcdhePskClientKeyExchange {
  identity: Uint8Array;
  publicKey: Uint8Array;
}

export function encodeEcdhePskClientKeyExchange(m: EcdhePskClientKeyExchange): Uint8Array {
  const w = new Writer(3 + m.identity.length + m.publicKey.length);
  writeVector16(w, 'psk_identity', m.identity);
  writeEcPoint(w, 'ecdh_Yc', m.publicKey);
  return w.finish();
}

export function decodeEcdhePskClientKeyExchange(body: Uint8Array): EcdhePskClientKeyExchange {
  const r = new Reader(body, 'ClientKeyExchange(ECDHE_PSK)');
  const identity = r.vector16('psk_identity');
  const publicKey = readEcPoint(r, 'ecdh_Yc');
  r.end();
  return { identity, publicKey };
}
