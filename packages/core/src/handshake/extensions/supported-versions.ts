import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { DecodeError, IllegalParameterError } from '../../errors.js';
import { DTLS_1_3 } from '../protocol-version.js';
import { checkLength, checkUint } from '../vectors.js';

/*
 * RFC 8446 4.2.1:
 *   struct {
 *     select (Handshake.msg_type) {
 *       case client_hello: ProtocolVersion versions<2..254>;
 *       case server_hello: // and HelloRetryRequest
 *         ProtocolVersion selected_version;
 *     };
 *   } SupportedVersions;
 * RFC 9147 5.3: DTLS 1.3 is 0xfefc, DTLS 1.2 0xfefd, DTLS 1.0 0xfeff (the wire versions). The
 * list has a 1-byte length (254 bytes at most: 127 versions).
 */

/** ClientHello form: the versions the client offers, most preferred first. */
export function encodeSupportedVersionsClientHello(versions: readonly number[]): Uint8Array {
  checkLength('versions', versions.length * 2, 2, 254);
  const w = new Writer(1 + versions.length * 2);
  w.u8(versions.length * 2);
  for (const v of versions) w.u16(checkUint('versions', v, 0xffff));
  return w.finish();
}

/** DecodeError on a length outside 2..254, an odd length or trailing bytes. */
export function decodeSupportedVersionsClientHello(data: Uint8Array): number[] {
  const r = new Reader(data, 'supported_versions');
  const list = r.vector8('versions', 2, 254);
  r.end();
  if (list.length % 2 !== 0) throw new DecodeError(`supported_versions: odd length ${list.length}`);
  const out: number[] = [];
  for (let i = 0; i < list.length; i += 2) out.push(((list[i] ?? 0) << 8) | (list[i + 1] ?? 0));
  return out;
}

/** ServerHello / HelloRetryRequest form: the one selected version. */
export function encodeSupportedVersionsServerHello(version: number): Uint8Array {
  return new Writer(2).u16(checkUint('selected_version', version, 0xffff)).finish();
}

export function decodeSupportedVersionsServerHello(data: Uint8Array): number {
  const r = new Reader(data, 'supported_versions');
  const version = r.u16('selected_version');
  r.end();
  return version;
}

/**
 * The client's check of the version a ServerHello or HelloRetryRequest selected in its
 * supported_versions extension (RFC 8446 4.2.1): "If the "supported_versions" extension in the
 * ServerHello contains a version not offered by the client or contains a version prior to TLS 1.3,
 * the client MUST abort the handshake with an "illegal_parameter" alert." DTLS numbers run
 * downwards, so "prior to 1.3" is any value other than DTLS 1.3 here.
 */
export function checkSelectedVersion(selected: number, offered: readonly number[]): void {
  if (selected !== DTLS_1_3) {
    throw new IllegalParameterError(`supported_versions: the server selected 0x${selected.toString(16)}, not DTLS 1.3 (0xfefc)`);
  }
  if (!offered.includes(selected)) throw new IllegalParameterError('supported_versions: the server selected DTLS 1.3, which we did not offer');
}
