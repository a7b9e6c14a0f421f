import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { Reader } from '../../src/codec/reader.js';
import { DecodeError, IllegalParameterError } from '../../src/errors.js';
import { decodeAlpn, encodeAlpn } from '../../src/handshake/extensions/alpn.js';
import { decodeEcPointFormats } from '../../src/handshake/extensions/ec-point-formats.js';
import { decodeConnectionId, encodeConnectionId } from '../../src/handshake/extensions/connection-id.js';
import { decodeExtendedMasterSecret } from '../../src/handshake/extensions/extended-master-secret.js';
import { decodeExtensionBlock, encodeExtensionBlock, findExtension } from '../../src/handshake/extensions/extension.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { NamedGroup, namedGroupId, namedGroupName } from '../../src/handshake/extensions/named-group.js';
import { decodeRenegotiationInfo, encodeRenegotiationInfo } from '../../src/handshake/extensions/renegotiation-info.js';
import { decodeServerName, encodeServerName } from '../../src/handshake/extensions/server-name.js';
import { decodeSignatureAlgorithms } from '../../src/handshake/extensions/signature-algorithms.js';
import { decodeSupportedGroups, encodeSupportedGroups } from '../../src/handshake/extensions/supported-groups.js';
import {
  decodeHandshakeFragments,
  encodeHandshakeFragment,
  HANDSHAKE_HEADER_LENGTH,
} from '../../src/handshake/handshake-header.js';
import { decodeCertificate, encodeCertificate } from '../../src/handshake/messages/certificate.js';
import { decodeCertificateRequest } from '../../src/handshake/messages/certificate-request.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import type { ClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeEcdheClientKeyExchange } from '../../src/handshake/messages/client-key-exchange.js';
import { decodeServerHelloDone, encodeServerHelloDone } from '../../src/handshake/messages/server-hello-done.js';
import { decodeEcdheParams, decodeEcdheServerKeyExchange, encodeEcdheParams } from '../../src/handshake/messages/server-key-exchange.js';
import { DTLS_1_2 } from '../../src/handshake/protocol-version.js';

const hello: ClientHello = {
  clientVersion: DTLS_1_2,
  random: new Uint8Array(32).fill(7),
  sessionId: new Uint8Array(0),
  cookie: new Uint8Array(0),
  cipherSuites: [0xc0a8],
  compressionMethods: [0],
  extensions: [],
};

describe('handshake header (RFC 6347 4.2.2)', () => {
  it('encodes the 12-byte header', () => {
    const wire = encodeHandshakeFragment({ msgType: 1, length: 0x10203, messageSeq: 0x405, fragmentOffset: 0x607, body: fromHex('aabb') });
    expect(toHex(wire)).toBe('01' + '010203' + '0405' + '000607' + '000002' + 'aabb');
    expect(wire.length).toBe(HANDSHAKE_HEADER_LENGTH + 2);
  });
  it('rejects truncation, a fragment past its length, and an empty record', () => {
    expect(() => decodeHandshakeFragments(fromHex('0100000a00000000000000'))).toThrow(DecodeError); // 11-byte header
    expect(() => decodeHandshakeFragments(fromHex('0100000a0000000000000005aabb'))).toThrow(DecodeError); // body short
    expect(() => decodeHandshakeFragments(fromHex('01000004000000000003000002aabb'))).toThrow(DecodeError); // 3+2 > 4
    expect(() => decodeHandshakeFragments(new Uint8Array(0))).toThrow(DecodeError);
  });
  it('refuses to encode a fragment past its length', () => {
    expect(() => encodeHandshakeFragment({ msgType: 1, length: 1, messageSeq: 0, fragmentOffset: 0, body: fromHex('aabb') })).toThrow(RangeError);
  });
});

describe('extension block (RFC 5246 7.4.1.4)', () => {
  it('rejects the same type twice with illegal_parameter', () => {
    const twice = fromHex('0008' + '00170000' + '00170000');
    expect(() => decodeExtensionBlock(new Reader(twice))).toThrow(IllegalParameterError);
  });
  it('rejects an entry overrunning the block', () => {
    expect(() => decodeExtensionBlock(new Reader(fromHex('0005' + '000a0002aabb')))).toThrow(DecodeError);
  });
  it('finds an extension by type', () => {
    const list = [
      { type: ExtensionType.extended_master_secret, data: new Uint8Array(0) },
      { type: ExtensionType.renegotiation_info, data: fromHex('00') },
    ];
    expect(findExtension(list, ExtensionType.renegotiation_info)?.data).toEqual(fromHex('00'));
    expect(findExtension(list, ExtensionType.server_name)).toBeUndefined();
    expect(toHex(encodeExtensionBlock(list))).toBe('0009' + '00170000' + 'ff01000100');
  });
});

describe('extensions', () => {
  it('maps named groups to provider names and back', () => {
    expect(namedGroupName(NamedGroup.x25519)).toBe('x25519');
    expect(namedGroupName(NamedGroup.secp256r1)).toBe('secp256r1');
    expect(namedGroupName(NamedGroup.secp384r1)).toBe('secp384r1');
    expect(namedGroupName(25)).toBeUndefined();
    for (const name of ['x25519', 'secp256r1', 'secp384r1'] as const) expect(namedGroupName(namedGroupId(name))).toBe(name);
  });
  it('rejects odd or empty uint16 lists', () => {
    expect(() => decodeSupportedGroups(fromHex('0003001d00'))).toThrow(DecodeError);
    expect(() => decodeSupportedGroups(fromHex('0000'))).toThrow(DecodeError);
    expect(() => decodeSignatureAlgorithms(fromHex('0000'))).toThrow(DecodeError);
    expect(() => decodeEcPointFormats(fromHex('00'))).toThrow(DecodeError);
    expect(() => decodeSupportedGroups(fromHex('0002001d00'))).toThrow(DecodeError); // trailing byte
    expect(() => encodeSupportedGroups([])).toThrow(RangeError);
  });
  it('connection_id: opaque cid<0..2^8-1> (RFC 9146 3), the zero-length form included', () => {
    // "A zero-length value indicates that the client is prepared to send using a CID but does not
    // wish the server to use one when sending."
    expect(toHex(encodeConnectionId(new Uint8Array(0)))).toBe('00');
    expect(toHex(encodeConnectionId(fromHex('a1b2c3')))).toBe('03a1b2c3');
    expect(toHex(decodeConnectionId(fromHex('03a1b2c3')))).toBe('a1b2c3');
    expect(decodeConnectionId(fromHex('00')).length).toBe(0);
    expect(() => encodeConnectionId(new Uint8Array(256))).toThrow(RangeError);
    expect(() => decodeConnectionId(new Uint8Array(0))).toThrow(DecodeError);
    expect(() => decodeConnectionId(fromHex('03a1b2'))).toThrow(DecodeError);
    expect(() => decodeConnectionId(fromHex('01a1b2'))).toThrow(DecodeError);
  });
  it('renegotiation_info: the empty initial form (RFC 5746 3.4)', () => {
    expect(toHex(encodeRenegotiationInfo(new Uint8Array(0)))).toBe('00');
    expect(decodeRenegotiationInfo(fromHex('00')).length).toBe(0);
    expect(() => decodeRenegotiationInfo(new Uint8Array(0))).toThrow(DecodeError);
  });
  it('extended_master_secret must be empty (RFC 7627 5.1)', () => {
    expect(() => decodeExtendedMasterSecret(new Uint8Array(0))).not.toThrow();
    expect(() => decodeExtendedMasterSecret(fromHex('00'))).toThrow(DecodeError);
  });
  it('server_name (RFC 6066 3)', () => {
    expect(toHex(encodeServerName('a.b'))).toBe('0006' + '00' + '0003' + '612e62');
    expect(decodeServerName(new Uint8Array(0))).toBeUndefined(); // the server's acknowledgement
    // An unknown name type is skipped; a second host_name is illegal.
    expect(decodeServerName(fromHex('000a' + '070002ffff' + '0000026162'))).toBe('ab');
    expect(decodeServerName(fromHex('0005' + '070002ffff'))).toBeUndefined();
    expect(() => decodeServerName(fromHex('000a' + '0000026162' + '0000026364'))).toThrow(IllegalParameterError);
    expect(() => decodeServerName(fromHex('0005' + '000002c3a9'))).toThrow(DecodeError);
    expect(() => decodeServerName(fromHex('0003' + '000000'))).toThrow(DecodeError);
    expect(() => encodeServerName('é.example')).toThrow(RangeError);
    expect(() => encodeServerName('')).toThrow(RangeError);
  });
  it('ALPN (RFC 7301 3.1)', () => {
    expect(toHex(encodeAlpn(['h2']))).toBe('0003' + '02' + '6832');
    expect(() => decodeAlpn(fromHex('0003' + '00' + '6832'))).toThrow(DecodeError); // empty name
    expect(() => decodeAlpn(fromHex('0003' + '02' + 'c328'))).toThrow(DecodeError); // not UTF-8
    expect(() => decodeAlpn(fromHex('0000'))).toThrow(DecodeError);
    expect(() => encodeAlpn([])).toThrow(RangeError);
    expect(() => encodeAlpn(['x'.repeat(256)])).toThrow(RangeError);
  });
});

describe('messages', () => {
  it('ClientHello: the extension block is optional and omitted when empty', () => {
    const wire = encodeClientHello(hello);
    expect(wire.length).toBe(2 + 32 + 1 + 1 + 4 + 2);
    expect(decodeClientHello(wire)).toEqual(hello);
    // An empty block that is present also decodes to [].
    expect(decodeClientHello(Uint8Array.from([...wire, 0, 0])).extensions).toEqual([]);
  });
  it('ClientHello: rejects bad vectors and trailing bytes', () => {
    const wire = encodeClientHello({ ...hello, cookie: new Uint8Array(200) }); // RFC 6347: cookie up to 255
    expect(decodeClientHello(wire).cookie.length).toBe(200);
    const sessionIdTooLong = Uint8Array.from(wire);
    sessionIdTooLong[34] = 33;
    expect(() => decodeClientHello(sessionIdTooLong)).toThrow(DecodeError);
    expect(() => decodeClientHello(Uint8Array.from([...encodeClientHello(hello), 0]))).toThrow(DecodeError);
    expect(() => encodeClientHello({ ...hello, random: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => encodeClientHello({ ...hello, sessionId: new Uint8Array(33) })).toThrow(RangeError);
    expect(() => encodeClientHello({ ...hello, cipherSuites: [] })).toThrow(RangeError);
    expect(() => encodeClientHello({ ...hello, compressionMethods: [] })).toThrow(RangeError);
  });
  it('ServerECDHParams: only named_curve (RFC 8422 5.4)', () => {
    const params = { namedGroup: NamedGroup.x25519, publicKey: new Uint8Array(32).fill(9) };
    const wire = encodeEcdheParams(params);
    expect(toHex(wire.subarray(0, 4))).toBe('03001d20');
    const explicit = Uint8Array.from(wire);
    explicit[0] = 1; // explicit_prime
    expect(() => decodeEcdheParams(new Reader(explicit))).toThrow(IllegalParameterError);
    const emptyPoint = fromHex('03001d00');
    expect(() => decodeEcdheParams(new Reader(emptyPoint))).toThrow(DecodeError);
    expect(() => decodeEcdheServerKeyExchange(wire)).toThrow(DecodeError); // signature missing
    expect(() => decodeEcdheClientKeyExchange(fromHex('00'))).toThrow(DecodeError);
  });
  it('ServerHelloDone is empty (RFC 5246 7.4.5)', () => {
    expect(encodeServerHelloDone().length).toBe(0);
    expect(() => decodeServerHelloDone(fromHex('00'))).toThrow(DecodeError);
  });
  it('Certificate: empty list allowed, empty certificate not (RFC 5246 7.4.2)', () => {
    expect(toHex(encodeCertificate({ certificates: [] }))).toBe('000000');
    expect(decodeCertificate(fromHex('000000')).certificates).toEqual([]);
    expect(() => decodeCertificate(fromHex('000003000000'))).toThrow(DecodeError);
    expect(() => decodeCertificate(fromHex('000004000001'))).toThrow(DecodeError);
    expect(() => encodeCertificate({ certificates: [new Uint8Array(0)] })).toThrow(RangeError);
  });
  it('CertificateRequest: at least one type and scheme, no empty authority (RFC 5246 7.4.4)', () => {
    expect(decodeCertificateRequest(fromHex('0140' + '00020403' + '0000'))).toEqual({
      certificateTypes: [64],
      signatureSchemes: [0x0403],
      authorities: [],
    });
    expect(() => decodeCertificateRequest(fromHex('00' + '00020403' + '0000'))).toThrow(DecodeError);
    expect(() => decodeCertificateRequest(fromHex('0140' + '0000' + '0000'))).toThrow(DecodeError);
    expect(() => decodeCertificateRequest(fromHex('0140' + '00020403' + '00020000'))).toThrow(DecodeError);
  });
});
