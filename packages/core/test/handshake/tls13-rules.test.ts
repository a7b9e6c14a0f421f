import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/bytes.js';
import { DecodeError, DtlsError, IllegalParameterError } from '../../src/errors.js';
import { decodeCertificateAuthorities, encodeCertificateAuthorities } from '../../src/handshake/extensions/certificate-authorities.js';
import { decodeConnectionId, encodeConnectionId } from '../../src/handshake/extensions/connection-id.js';
import { decodeCookie } from '../../src/handshake/extensions/cookie.js';
import { decodeEarlyDataIndication } from '../../src/handshake/extensions/early-data.js';
import type { Extension } from '../../src/handshake/extensions/extension.js';
import { encodeExtensionBlock } from '../../src/handshake/extensions/extension.js';
import { checkExtensionsPermitted, extensionPermissionError } from '../../src/handshake/extensions/extension-permissions.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import {
  checkHelloRetryGroup,
  checkKeySharesFollowGroups,
  checkServerShareGroup,
  decodeKeyShareClientHello,
  encodeKeyShareClientHello,
} from '../../src/handshake/extensions/key-share.js';
import { NamedGroup } from '../../src/handshake/extensions/named-group.js';
import { decodePostHandshakeAuth, encodePostHandshakeAuth } from '../../src/handshake/extensions/post-handshake-auth.js';
import {
  checkPreSharedKeyLast,
  checkSelectedIdentity,
  decodeOfferedPsks,
  encodeOfferedPsks,
} from '../../src/handshake/extensions/pre-shared-key.js';
import { decodePskKeyExchangeModes } from '../../src/handshake/extensions/psk-key-exchange-modes.js';
import { decodeSignatureAlgorithmsCert, encodeSignatureAlgorithmsCert } from '../../src/handshake/extensions/signature-algorithms-cert.js';
import {
  checkSelectedVersion,
  decodeSupportedVersionsClientHello,
  encodeSupportedVersionsClientHello,
  encodeSupportedVersionsServerHello,
} from '../../src/handshake/extensions/supported-versions.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeCertificate13, encodeCertificate13 } from '../../src/handshake/messages/certificate-13.js';
import { decodeCertificateRequest13 } from '../../src/handshake/messages/certificate-request-13.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { checkDtls13ClientHello, dtls13ClientHello, offersDtls13 } from '../../src/handshake/messages/client-hello-13.js';
import {
  checkDowngradeSentinel,
  downgradeSentinelOf,
  withDowngradeSentinel,
} from '../../src/handshake/messages/downgrade-sentinel.js';
import { decodeEndOfEarlyData } from '../../src/handshake/messages/end-of-early-data.js';
import { decodeFinished13 } from '../../src/handshake/messages/finished-13.js';
import { decodeKeyUpdate, encodeKeyUpdate, KeyUpdateRequest } from '../../src/handshake/messages/key-update.js';
import { ConnectionIdUsage, decodeNewConnectionId, encodeNewConnectionId } from '../../src/handshake/messages/new-connection-id.js';
import { decodeNewSessionTicket13, encodeNewSessionTicket13, MAX_TICKET_LIFETIME } from '../../src/handshake/messages/new-session-ticket-13.js';
import { truncateClientHelloBinders } from '../../src/handshake/messages/partial-client-hello.js';
import { decodeRequestConnectionId, encodeRequestConnectionId } from '../../src/handshake/messages/request-connection-id.js';
import { decodeServerHello, encodeServerHello } from '../../src/handshake/messages/server-hello.js';
import {
  checkDtls13ServerHello,
  checkHelloRetryRequestAsksForChange,
  checkServerCipherSuite,
  dtls13HelloRetryRequest,
  dtls13ServerHello,
  HELLO_RETRY_REQUEST_RANDOM,
} from '../../src/handshake/messages/server-hello-13.js';
import { DTLS_1_0, DTLS_1_2, DTLS_1_3 } from '../../src/handshake/protocol-version.js';

const random = new Uint8Array(32).fill(0xab);
const e = (type: number, data: Uint8Array = new Uint8Array(0)): Extension => ({ type, data });
const alertOf = (f: () => unknown): number | undefined => {
  try {
    f();
  } catch (err) {
    if (err instanceof DtlsError) return err.alert;
    throw err;
  }
  return undefined;
};

describe('codepoints (RFC 8446 B.3, RFC 9147 A.2, RFC 9147 5.3)', () => {
  it('handshake types, extension types and the DTLS 1.3 version', () => {
    expect([HandshakeType.end_of_early_data, HandshakeType.encrypted_extensions, HandshakeType.key_update, HandshakeType.message_hash]).toEqual([5, 8, 24, 254]);
    expect([HandshakeType.request_connection_id, HandshakeType.new_connection_id]).toEqual([9, 10]);
    expect([
      ExtensionType.pre_shared_key,
      ExtensionType.early_data,
      ExtensionType.supported_versions,
      ExtensionType.cookie,
      ExtensionType.psk_key_exchange_modes,
      ExtensionType.certificate_authorities,
      ExtensionType.oid_filters,
      ExtensionType.post_handshake_auth,
      ExtensionType.signature_algorithms_cert,
      ExtensionType.key_share,
      ExtensionType.connection_id,
    ]).toEqual([41, 42, 43, 44, 45, 47, 48, 49, 50, 51, 54]);
    expect(DTLS_1_3).toBe(0xfefc);
    expect(AlertDescription.missing_extension).toBe(109);
  });
});

describe('DTLS 1.3 ClientHello (RFC 9147 5.3)', () => {
  const versions = e(ExtensionType.supported_versions, encodeSupportedVersionsClientHello([DTLS_1_3, DTLS_1_2]));
  const hello = dtls13ClientHello({ random, cipherSuites: [0x1301], extensions: [versions] });

  it('is written with legacy_version 0xfefd, an empty legacy_cookie and compression [0]', () => {
    const wire = encodeClientHello(hello);
    expect(toHex(wire.subarray(0, 2))).toBe('fefd');
    // random, session_id<0>, legacy_cookie<0>, cipher_suites, compression methods
    expect(toHex(wire.subarray(34, 42))).toBe('00' + '00' + '00021301' + '0100');
    expect(toHex(encodeSupportedVersionsClientHello([DTLS_1_3, DTLS_1_2]))).toBe('04fefcfefd');
    const back = decodeClientHello(wire);
    checkDtls13ClientHello(back);
    expect(offersDtls13(back)).toBe(true);
  });
  it('offers 1.3 only through supported_versions', () => {
    expect(offersDtls13({ ...hello, extensions: [] })).toBe(false);
    expect(offersDtls13({ ...hello, clientVersion: DTLS_1_3, extensions: [e(ExtensionType.supported_versions, encodeSupportedVersionsClientHello([DTLS_1_2]))] })).toBe(false);
  });
  it('refuses a legacy_cookie and any compression but null with illegal_parameter', () => {
    expect(() => checkDtls13ClientHello({ ...hello, cookie: fromHex('01') })).toThrow(IllegalParameterError);
    expect(() => checkDtls13ClientHello({ ...hello, compressionMethods: [0, 1] })).toThrow(IllegalParameterError);
    expect(() => checkDtls13ClientHello({ ...hello, compressionMethods: [1] })).toThrow(IllegalParameterError);
  });
});

describe('supported_versions (RFC 8446 4.2.1)', () => {
  it('rejects malformed lists with decode_error', () => {
    expect(() => decodeSupportedVersionsClientHello(fromHex('00'))).toThrow(DecodeError);
    expect(() => decodeSupportedVersionsClientHello(fromHex('03fefcfe'))).toThrow(DecodeError);
    expect(() => decodeSupportedVersionsClientHello(fromHex('02fefc00'))).toThrow(DecodeError);
  });
  it('the client refuses a selected version it did not offer or older than 1.3', () => {
    checkSelectedVersion(DTLS_1_3, [DTLS_1_3, DTLS_1_2]);
    expect(() => checkSelectedVersion(DTLS_1_2, [DTLS_1_3, DTLS_1_2])).toThrow(IllegalParameterError);
    expect(() => checkSelectedVersion(DTLS_1_3, [DTLS_1_2])).toThrow(IllegalParameterError);
    expect(() => checkSelectedVersion(0x0304, [DTLS_1_3])).toThrow(IllegalParameterError);
  });
});

describe('DTLS 1.3 ServerHello and HelloRetryRequest (RFC 9147 5.4, RFC 8446 4.1.3-4.1.4)', () => {
  const sid = fromHex('0102');
  const exts = [e(ExtensionType.supported_versions, encodeSupportedVersionsServerHello(DTLS_1_3))];

  it('the HelloRetryRequest random is SHA-256("HelloRetryRequest")', () => {
    expect(HELLO_RETRY_REQUEST_RANDOM).toEqual(new Uint8Array(createHash('sha256').update(utf8('HelloRetryRequest')).digest()));
  });
  it('both are written with legacy_version 0xfefd and told apart by the random', () => {
    const sh = decodeServerHello(encodeServerHello(dtls13ServerHello({ random, legacySessionIdEcho: sid, cipherSuite: 0x1301, extensions: exts })));
    expect(sh.serverVersion).toBe(0xfefd);
    expect(checkDtls13ServerHello(sh, sid)).toBe('server_hello');
    const hrr = decodeServerHello(encodeServerHello(dtls13HelloRetryRequest({ legacySessionIdEcho: sid, cipherSuite: 0x1301, extensions: exts })));
    expect(hrr.random).toEqual(HELLO_RETRY_REQUEST_RANDOM);
    expect(checkDtls13ServerHello(hrr, sid)).toBe('hello_retry_request');
  });
  it('refuses a wrong legacy_version, session ID echo or compression method with illegal_parameter', () => {
    const sh = dtls13ServerHello({ random, legacySessionIdEcho: sid, cipherSuite: 0x1301, extensions: exts });
    expect(() => checkDtls13ServerHello({ ...sh, serverVersion: 0x0303 }, sid)).toThrow(IllegalParameterError);
    expect(() => checkDtls13ServerHello({ ...sh, serverVersion: DTLS_1_3 }, sid)).toThrow(IllegalParameterError);
    expect(() => checkDtls13ServerHello(sh, new Uint8Array(0))).toThrow(IllegalParameterError);
    expect(() => checkDtls13ServerHello({ ...sh, compressionMethod: 1 }, sid)).toThrow(IllegalParameterError);
  });
  it('the cipher suite must be one offered, and after a HelloRetryRequest the same again', () => {
    checkServerCipherSuite(0x1301, [0x1302, 0x1301]);
    checkServerCipherSuite(0x1301, [0x1302, 0x1301], 0x1301);
    expect(() => checkServerCipherSuite(0x1303, [0x1302, 0x1301])).toThrow(IllegalParameterError);
    expect(() => checkServerCipherSuite(0x1302, [0x1302, 0x1301], 0x1301)).toThrow(IllegalParameterError);
  });
  it('a HelloRetryRequest must ask for a cookie or a key share', () => {
    const hrr = dtls13HelloRetryRequest({ legacySessionIdEcho: sid, cipherSuite: 0x1301, extensions: exts });
    expect(() => checkHelloRetryRequestAsksForChange(hrr)).toThrow(IllegalParameterError);
    checkHelloRetryRequestAsksForChange({ ...hrr, extensions: [...exts, e(ExtensionType.cookie, fromHex('000101'))] });
  });
});

describe('downgrade sentinels (RFC 8446 4.1.3)', () => {
  it('the server writes DOWNGRD\\x01 for 1.2, DOWNGRD\\x00 below, nothing for 1.3', () => {
    expect(toHex(withDowngradeSentinel(random, DTLS_1_2).subarray(24))).toBe('444f574e47524401');
    expect(toHex(withDowngradeSentinel(random, DTLS_1_0).subarray(24))).toBe('444f574e47524400');
    expect(withDowngradeSentinel(random, DTLS_1_3)).toEqual(random);
    expect(withDowngradeSentinel(random, DTLS_1_2).subarray(0, 24)).toEqual(random.subarray(0, 24));
    expect(downgradeSentinelOf(random)).toBeUndefined();
  });
  it('a client that offered 1.3 refuses either sentinel when 1.2 or less was negotiated', () => {
    expect(alertOf(() => checkDowngradeSentinel(withDowngradeSentinel(random, DTLS_1_2), DTLS_1_2, true))).toBe(AlertDescription.illegal_parameter);
    expect(alertOf(() => checkDowngradeSentinel(withDowngradeSentinel(random, DTLS_1_0), DTLS_1_0, true))).toBe(AlertDescription.illegal_parameter);
    checkDowngradeSentinel(random, DTLS_1_2, true);
    checkDowngradeSentinel(withDowngradeSentinel(random, DTLS_1_2), DTLS_1_3, true);
  });
  it('a 1.2-only client accepts DOWNGRD\\x01 for 1.2 but refuses DOWNGRD\\x00 below 1.2', () => {
    checkDowngradeSentinel(withDowngradeSentinel(random, DTLS_1_2), DTLS_1_2, false);
    expect(() => checkDowngradeSentinel(withDowngradeSentinel(random, DTLS_1_0), DTLS_1_0, false)).toThrow(IllegalParameterError);
  });
});

describe('key_share (RFC 8446 4.2.8)', () => {
  const x = { group: NamedGroup.x25519, keyExchange: new Uint8Array(32).fill(1) };
  const p = { group: NamedGroup.secp256r1, keyExchange: new Uint8Array(65).fill(4) };
  it('refuses a group offered twice (illegal_parameter) and an empty key (decode_error)', () => {
    expect(() => decodeKeyShareClientHello(encodeKeyShareClientHello([x, x]))).toThrow(IllegalParameterError);
    expect(() => decodeKeyShareClientHello(fromHex('0004001d0000'))).toThrow(DecodeError);
    expect(decodeKeyShareClientHello(fromHex('0000'))).toEqual([]);
  });
  it('shares must follow supported_groups, in order', () => {
    checkKeySharesFollowGroups([x, p], [NamedGroup.x25519, NamedGroup.secp256r1]);
    expect(() => checkKeySharesFollowGroups([p, x], [NamedGroup.x25519, NamedGroup.secp256r1])).toThrow(IllegalParameterError);
    expect(() => checkKeySharesFollowGroups([x], [NamedGroup.secp256r1])).toThrow(IllegalParameterError);
  });
  it('the HelloRetryRequest group must be offered and not already shared; the ServerHello group must match', () => {
    const groups = [NamedGroup.x25519, NamedGroup.secp256r1];
    expect(() => checkHelloRetryGroup(NamedGroup.secp384r1, groups, [x])).toThrow(IllegalParameterError);
    expect(() => checkHelloRetryGroup(NamedGroup.x25519, groups, [x])).toThrow(IllegalParameterError);
    expect(() => checkServerShareGroup(NamedGroup.secp256r1, [x])).toThrow(IllegalParameterError);
    expect(() => checkServerShareGroup(NamedGroup.x25519, [x, p], NamedGroup.secp256r1)).toThrow(IllegalParameterError);
  });
});

describe('pre_shared_key and psk_key_exchange_modes (RFC 8446 4.2.9, 4.2.11)', () => {
  const offered = { identities: [{ identity: utf8('Client_identity'), obfuscatedTicketAge: 0 }], binders: [new Uint8Array(32).fill(9)] };
  it('refuses identities and binders of different counts, short binders, and empty lists', () => {
    const two = { identities: [...offered.identities, ...offered.identities], binders: offered.binders };
    expect(() => encodeOfferedPsks(two)).toThrow(RangeError);
    const identity = '000f' + toHex(utf8('Client_identity')) + '00000000';
    const binder = '20' + '09'.repeat(32);
    expect(toHex(encodeOfferedPsks(offered))).toBe('0015' + identity + '0021' + binder);
    expect(() => decodeOfferedPsks(fromHex('002a' + identity + identity + '0021' + binder))).toThrow(IllegalParameterError);
    expect(() => decodeOfferedPsks(fromHex('0015' + identity + '0020' + '1f' + '09'.repeat(31)))).toThrow(DecodeError);
    expect(() => decodeOfferedPsks(fromHex('00000000'))).toThrow(DecodeError);
    expect(() => decodePskKeyExchangeModes(fromHex('00'))).toThrow(DecodeError);
  });
  it('pre_shared_key must be last, and the selected identity one that was offered', () => {
    const psk = e(ExtensionType.pre_shared_key, encodeOfferedPsks(offered));
    checkPreSharedKeyLast([e(ExtensionType.supported_versions), psk]);
    expect(() => checkPreSharedKeyLast([psk, e(ExtensionType.supported_versions)])).toThrow(IllegalParameterError);
    checkSelectedIdentity(0, 1);
    expect(() => checkSelectedIdentity(1, 1)).toThrow(IllegalParameterError);
  });
  it('the binders cannot be cut from a ClientHello without them (illegal_parameter)', () => {
    const noPsk = encodeClientHello(dtls13ClientHello({ random, cipherSuites: [0x1301], extensions: [e(ExtensionType.supported_versions, fromHex('02fefc'))] }));
    expect(() => truncateClientHelloBinders(noPsk)).toThrow(IllegalParameterError);
    const pskFirst = encodeClientHello(
      dtls13ClientHello({ random, cipherSuites: [0x1301], extensions: [e(ExtensionType.pre_shared_key, encodeOfferedPsks(offered)), e(ExtensionType.supported_versions, fromHex('02fefc'))] }),
    );
    expect(() => truncateClientHelloBinders(pskFirst)).toThrow(IllegalParameterError);
  });
});

describe('the other 1.3 extensions', () => {
  it('cookie, early_data and post_handshake_auth refuse malformed data with decode_error', () => {
    expect(() => decodeCookie(fromHex('0000'))).toThrow(DecodeError);
    expect(() => decodeCookie(fromHex('000201'))).toThrow(DecodeError);
    expect(() => decodeEarlyDataIndication(fromHex('00'))).toThrow(DecodeError);
    decodePostHandshakeAuth(encodePostHandshakeAuth());
    expect(() => decodePostHandshakeAuth(fromHex('00'))).toThrow(DecodeError);
  });
  it('signature_algorithms_cert and certificate_authorities', () => {
    expect(toHex(encodeSignatureAlgorithmsCert([0x0403, 0x0804]))).toBe('000404030804');
    expect(decodeSignatureAlgorithmsCert(fromHex('000404030804'))).toEqual([0x0403, 0x0804]);
    expect(() => decodeSignatureAlgorithmsCert(fromHex('0000'))).toThrow(DecodeError);
    const names = [fromHex('3000'), fromHex('300d310b300906035504061302555331')];
    expect(decodeCertificateAuthorities(encodeCertificateAuthorities(names))).toEqual(names);
    expect(() => decodeCertificateAuthorities(fromHex('0000'))).toThrow(DecodeError);
    expect(() => decodeCertificateAuthorities(fromHex('00030000ff'))).toThrow(DecodeError);
  });
  it('connection_id keeps its RFC 9146 form in 1.3 and belongs in the hellos (RFC 9147 9)', () => {
    expect(decodeConnectionId(encodeConnectionId(fromHex('0a0b')))).toEqual(fromHex('0a0b'));
    const cid = e(ExtensionType.connection_id, encodeConnectionId(fromHex('0a0b')));
    checkExtensionsPermitted('CH', [cid]);
    checkExtensionsPermitted('SH', [cid], [ExtensionType.connection_id]);
    expect(alertOf(() => checkExtensionsPermitted('EE', [cid], [ExtensionType.connection_id]))).toBe(AlertDescription.illegal_parameter);
  });
});

describe('which extension may appear where (RFC 8446 4.2)', () => {
  const all = [ExtensionType.key_share, ExtensionType.supported_versions, ExtensionType.application_layer_protocol_negotiation, ExtensionType.status_request];
  it('a recognised extension in the wrong message is illegal_parameter', () => {
    expect(alertOf(() => checkExtensionsPermitted('CH', [e(ExtensionType.oid_filters)]))).toBe(AlertDescription.illegal_parameter);
    expect(alertOf(() => checkExtensionsPermitted('EE', [e(ExtensionType.key_share)], all))).toBe(AlertDescription.illegal_parameter);
    expect(alertOf(() => checkExtensionsPermitted('SH', [e(ExtensionType.cookie)], [ExtensionType.cookie]))).toBe(AlertDescription.illegal_parameter);
    expect(alertOf(() => checkExtensionsPermitted('SH', [e(ExtensionType.extended_master_secret)], [ExtensionType.extended_master_secret]))).toBe(
      AlertDescription.illegal_parameter,
    );
    expect(alertOf(() => checkExtensionsPermitted('NST', [e(ExtensionType.supported_groups)]))).toBe(AlertDescription.illegal_parameter);
    expect(alertOf(() => checkExtensionsPermitted('CR', [e(ExtensionType.server_name)]))).toBe(AlertDescription.illegal_parameter);
    expect(alertOf(() => checkExtensionsPermitted('CT', [e(ExtensionType.key_share)], all))).toBe(AlertDescription.illegal_parameter);
  });
  it('an answer to an extension that was not sent is unsupported_extension, save the HelloRetryRequest cookie', () => {
    expect(alertOf(() => checkExtensionsPermitted('EE', [e(ExtensionType.application_layer_protocol_negotiation)], [ExtensionType.key_share]))).toBe(
      AlertDescription.unsupported_extension,
    );
    expect(alertOf(() => checkExtensionsPermitted('EE', [e(0x7777)], all))).toBe(AlertDescription.unsupported_extension);
    expect(alertOf(() => checkExtensionsPermitted('CT', [e(ExtensionType.status_request)], [ExtensionType.key_share]))).toBe(
      AlertDescription.unsupported_extension,
    );
    checkExtensionsPermitted('HRR', [e(ExtensionType.cookie), e(ExtensionType.supported_versions)], [ExtensionType.supported_versions]);
    checkExtensionsPermitted('CT', [e(ExtensionType.status_request)], all);
  });
  it('unknown extensions in a ClientHello, CertificateRequest or NewSessionTicket are ignored; 1.2 ones ride the ClientHello', () => {
    checkExtensionsPermitted('CH', [e(0x7777), e(ExtensionType.extended_master_secret), e(ExtensionType.renegotiation_info), e(ExtensionType.padding)]);
    checkExtensionsPermitted('CR', [e(0x7777), e(ExtensionType.signature_algorithms), e(ExtensionType.oid_filters)]);
    checkExtensionsPermitted('NST', [e(0x7777), e(ExtensionType.early_data)]);
    expect(extensionPermissionError('CH', [])).toBeUndefined();
  });
  it('a response check without the requested types is the caller\'s bug', () => {
    expect(() => checkExtensionsPermitted('SH', [])).toThrow(RangeError);
  });
});

describe('1.3 messages: malformed and forbidden values', () => {
  it('CertificateRequest: signature_algorithms is mandatory (missing_extension), the block at least 2 bytes', () => {
    expect(alertOf(() => decodeCertificateRequest13(concatBytes(fromHex('00'), encodeExtensionBlock([e(ExtensionType.certificate_authorities, fromHex('0003000130'))]))))).toBe(
      AlertDescription.missing_extension,
    );
    expect(alertOf(() => decodeCertificateRequest13(fromHex('000000')))).toBe(AlertDescription.decode_error);
    expect(alertOf(() => decodeCertificateRequest13(fromHex('00')))).toBe(AlertDescription.decode_error);
  });
  it('Certificate: entries with extensions, at most one raw public key, no empty entry', () => {
    const m = { context: fromHex('07'), entries: [{ data: fromHex('3000'), extensions: [e(ExtensionType.status_request, fromHex('01'))] }, { data: fromHex('3001ff'), extensions: [] }] };
    const wire = encodeCertificate13(m);
    expect(toHex(wire)).toBe('0107' + '000014' + '0000023000' + '000500050001' + '01' + '0000033001ff' + '0000');
    expect(decodeCertificate13(wire)).toEqual(m);
    expect(() => decodeCertificate13(wire, { rawPublicKey: true })).toThrow(IllegalParameterError);
    expect(decodeCertificate13(encodeCertificate13({ context: new Uint8Array(0), entries: [m.entries[1] ?? { data: fromHex('30'), extensions: [] }] }), { rawPublicKey: true }).entries).toHaveLength(1);
    expect(() => decodeCertificate13(fromHex('00000005' + '000000' + '0000'))).toThrow(DecodeError);
  });
  it('Finished: exactly the hash length', () => {
    expect(() => decodeFinished13(new Uint8Array(32), 48)).toThrow(DecodeError);
    expect(decodeFinished13(new Uint8Array(48), 48)).toHaveLength(48);
  });
  it('NewSessionTicket: a ticket is never empty, a lifetime never over 7 days', () => {
    const t = { lifetime: MAX_TICKET_LIFETIME, ageAdd: 1, nonce: fromHex('00'), ticket: fromHex('aa'), extensions: [] };
    expect(decodeNewSessionTicket13(encodeNewSessionTicket13(t))).toEqual(t);
    expect(() => encodeNewSessionTicket13({ ...t, lifetime: MAX_TICKET_LIFETIME + 1 })).toThrow(RangeError);
    expect(() => decodeNewSessionTicket13(fromHex('00000001' + '00000001' + '0100' + '0000' + '0000'))).toThrow(DecodeError);
  });
  it('EndOfEarlyData is empty; KeyUpdate is 0 or 1 (illegal_parameter otherwise)', () => {
    expect(() => decodeEndOfEarlyData(fromHex('00'))).toThrow(DecodeError);
    expect(decodeKeyUpdate(encodeKeyUpdate(KeyUpdateRequest.update_requested))).toBe(KeyUpdateRequest.update_requested);
    expect(decodeKeyUpdate(fromHex('00'))).toBe(KeyUpdateRequest.update_not_requested);
    expect(() => decodeKeyUpdate(fromHex('02'))).toThrow(IllegalParameterError);
    expect(() => decodeKeyUpdate(fromHex(''))).toThrow(DecodeError);
    expect(() => decodeKeyUpdate(fromHex('0100'))).toThrow(DecodeError);
  });
});

describe('connection ID updates (RFC 9147 9)', () => {
  it('NewConnectionId: a list of CIDs and the usage', () => {
    const m = { cids: [fromHex('0102'), fromHex('03')], usage: ConnectionIdUsage.cid_spare };
    expect(toHex(encodeNewConnectionId(m))).toBe('0005' + '020102' + '0103' + '01');
    expect(decodeNewConnectionId(fromHex('0005020102010301'))).toEqual(m);
    expect(decodeNewConnectionId(fromHex('000001'))).toEqual({ cids: [], usage: ConnectionIdUsage.cid_spare });
    expect(decodeNewConnectionId(fromHex('0002010900')).usage).toBe(ConnectionIdUsage.cid_immediate);
  });
  it('refuses an unknown usage, cid_immediate without a CID, and an empty CID (illegal_parameter); bad lengths (decode_error)', () => {
    expect(() => decodeNewConnectionId(fromHex('0002010902'))).toThrow(IllegalParameterError);
    expect(() => decodeNewConnectionId(fromHex('000000'))).toThrow(IllegalParameterError);
    expect(() => decodeNewConnectionId(fromHex('0001' + '00' + '01'))).toThrow(IllegalParameterError);
    expect(() => decodeNewConnectionId(fromHex('0004020102' + '01'))).toThrow(DecodeError);
    expect(() => decodeNewConnectionId(fromHex('00020109'))).toThrow(DecodeError);
    expect(() => encodeNewConnectionId({ cids: [new Uint8Array(0)], usage: ConnectionIdUsage.cid_spare })).toThrow(RangeError);
  });
  it('RequestConnectionId: one byte, num_cids', () => {
    expect(toHex(encodeRequestConnectionId(5))).toBe('05');
    expect(decodeRequestConnectionId(fromHex('05'))).toBe(5);
    expect(() => decodeRequestConnectionId(fromHex('0500'))).toThrow(DecodeError);
    expect(() => decodeRequestConnectionId(fromHex(''))).toThrow(DecodeError);
    expect(() => encodeRequestConnectionId(256)).toThrow(RangeError);
  });
});
