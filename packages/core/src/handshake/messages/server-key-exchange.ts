import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { IllegalParameterError } from '../../errors.js';
import { checkUint, writeVector16 } from '../vectors.js';
import type { DigitallySigned } from './digitally-signed.js';
import { readDigitallySigned, writeDigitallySigned } from './digitally-signed.js';
import { readEcPoint, writeEcPoint } from './ec-point.js';

export type { DigitallySigned } from './digitally-signed.js';

/** RFC 8422 5.4 ECCurveType named_curve: the only type RFC 8422 leaves (explicit curves are deprecated). */
export const EC_CURVE_TYPE_NAMED_CURVE = 3;

/**
 * RFC 8422 5.4:
 *
 *   struct {
 *     ECCurveType curve_type;                    // named_curve (3)
 *     select (curve_type) { case named_curve: NamedCurve namedcurve; };
 *   } ECParameters;
 *   struct { ECParameters curve_params; ECPoint public; } ServerECDHParams;
 */
export interface EcdheParams {
  namedGroup: number;
  publicKey: Uint8Array;
}

export function encodeEcdheParams(params: EcdheParams): Uint8Array {
  const w = new Writer(4 + params.publicKey.length);
  writeEcdheParams(w, params);
  return w.finish();
}

/** Reads ServerECDHParams at the reader's position. IllegalParameterError for a curve_type other than named_curve. */
export function decodeEcdheParams(reader: Reader): EcdheParams {
  const curveType = reader.u8('curve_type');
  if (curveType !== EC_CURVE_TYPE_NAMED_CURVE) {
    throw new IllegalParameterError(`ServerECDHParams: curve_type ${curveType} is not named_curve(3)`);
  }
  const namedGroup = reader.u16('namedcurve');
  const publicKey = readEcPoint(reader, 'public');
  return { namedGroup, publicKey };
}

/**
 * The ServerECDHParams bytes that the ServerKeyExchange signature covers (RFC 8422 5.4:
 * SHA(ClientHello.random + ServerHello.random + ServerKeyExchange.params)). The encoding is
 * canonical, so re-encoding decoded params gives the bytes received.
 */
export function ecdheParamsBytes(params: EcdheParams): Uint8Array {
  return encodeEcdheParams(params);
}

/** RFC 4279 2: struct { opaque psk_identity_hint<0..2^16-1>; } ServerKeyExchange; */
export interface PskServerKeyExchange {
  identityHint: Uint8Array;
}

export function encodePskServerKeyExchange(m: PskServerKeyExchange): Uint8Array {
  const w = new Writer(2 + m.identityHint.length);
  writeVector16(w, 'psk_identity_hint', m.identityHint);
  return w.finish();
}

export function decodePskServerKeyExchange(body: Uint8Array): PskServerKeyExchange {
  const r = new Reader(body, 'ServerKeyExchange(PSK)');
  const identityHint = r.vector16('psk_identity_hint');
  r.end();
  return { identityHint };
}

/**
 * RFC 5489 2 (ECDHE_PSK):
 *
 *   struct {
 *     opaque psk_identity_hint<0..2^16-1>;
 *     ServerECDHParams params;
 *   } ServerKeyExchange;
 */
export interface EcdhePskServerKeyExchange {
  identityHint: Uint8Array;
  params: EcdheParams;
}

export function encodeEcdhePskServerKeyExchange(m: EcdhePskServerKeyExchange): Uint8Array {
  const w = new Writer(6 + m.identityHint.length + m.params.publicKey.length);
  writeVector16(w, 'psk_identity_hint', m.identityHint);
  writeEcdheParams(w, m.params);
  return w.finish();
}

export function decodeEcdhePskServerKeyExchange(body: Uint8Array): EcdhePskServerKeyExchange {
  const r = new Reader(body, 'ServerKeyExchange(ECDHE_PSK)');
  const identityHint = r.vector16('psk_identity_hint');
  const params = decodeEcdheParams(r);
  r.end();
  return { identityHint, params };
}

/**
 * RFC 8422 5.4 with the TLS 1.2 signature form of RFC 5246 7.4.3 (ECDHE_ECDSA, ECDHE_RSA):
 *
 *   struct {
 *     ServerECDHParams params;
 *     digitally-signed struct { opaque client_random[32]; opaque server_random[32];
 *                               ServerECDHParams params; } signed_params;
 *   } ServerKeyExchange;
 */
export interface EcdheServerKeyExchange {
  params: EcdheParams;
  signed: DigitallySigned;
}

export function encodeEcdheServerKeyExchange(m: EcdheServerKeyExchange): Uint8Array {
  const w = new Writer(8 + m.params.publicKey.length + m.signed.signature.length);
  writeEcdheParams(w, m.params);
  writeDigitallySigned(w, m.signed);
  return w.finish();
}

export function decodeEcdheServerKeyExchange(body: Uint8Array): EcdheServerKeyExchange {
  const r = new Reader(body, 'ServerKeyExchange(ECDHE)');
  const params = decodeEcdheParams(r);
  const signed = readDigitallySigned(r);
  r.end();
  return { params, signed };
}

function writeEcdheParams(w: Writer, params: EcdheParams): void {
  w.u8(EC_CURVE_TYPE_NAMED_CURVE).u16(checkUint('namedcurve', params.namedGroup, 0xffff));
  writeEcPoint(w, 'public', params.publicKey);
}
