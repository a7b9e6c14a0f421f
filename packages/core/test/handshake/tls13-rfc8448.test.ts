import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/bytes.js';
import { decodeCookie, encodeCookie } from '../../src/handshake/extensions/cookie.js';
import { decodeEarlyDataIndication, decodeEarlyDataTicket, encodeEarlyDataTicket } from '../../src/handshake/extensions/early-data.js';
import type { Extension } from '../../src/handshake/extensions/extension.js';
import { encodeExtensionBlock, findExtension } from '../../src/handshake/extensions/extension.js';
import { checkExtensionsPermitted } from '../../src/handshake/extensions/extension-permissions.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import {
  checkHelloRetryGroup,
  checkKeySharesFollowGroups,
  checkServerShareGroup,
  decodeKeyShareClientHello,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
  encodeKeyShareClientHello,
  encodeKeyShareHelloRetryRequest,
  encodeKeyShareServerHello,
} from '../../src/handshake/extensions/key-share.js';
import { NamedGroup } from '../../src/handshake/extensions/named-group.js';
import {
  checkPreSharedKeyLast,
  checkSelectedIdentity,
  decodeOfferedPsks,
  decodePreSharedKeyServerHello,
  encodeOfferedPsks,
  encodePreSharedKeyServerHello,
} from '../../src/handshake/extensions/pre-shared-key.js';
import { decodePskKeyExchangeModes, encodePskKeyExchangeModes, PskKeyExchangeMode } from '../../src/handshake/extensions/psk-key-exchange-modes.js';
import { decodeSignatureAlgorithms } from '../../src/handshake/extensions/signature-algorithms.js';
import { decodeSupportedGroups } from '../../src/handshake/extensions/supported-groups.js';
import {
  decodeSupportedVersionsClientHello,
  decodeSupportedVersionsServerHello,
  encodeSupportedVersionsClientHello,
  encodeSupportedVersionsServerHello,
} from '../../src/handshake/extensions/supported-versions.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeCertificate13, encodeCertificate13 } from '../../src/handshake/messages/certificate-13.js';
import { decodeCertificateRequest13, encodeCertificateRequest13 } from '../../src/handshake/messages/certificate-request-13.js';
import { decodeCertificateVerify13, encodeCertificateVerify13 } from '../../src/handshake/messages/certificate-verify-13.js';
import type { ClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { checkDtls13ClientHello } from '../../src/handshake/messages/client-hello-13.js';
import { decodeEncryptedExtensions, encodeEncryptedExtensions } from '../../src/handshake/messages/encrypted-extensions.js';
import { decodeEndOfEarlyData, encodeEndOfEarlyData } from '../../src/handshake/messages/end-of-early-data.js';
import { decodeFinished13, encodeFinished13 } from '../../src/handshake/messages/finished-13.js';
import { decodeNewSessionTicket13, encodeNewSessionTicket13 } from '../../src/handshake/messages/new-session-ticket-13.js';
import { truncateClientHelloBinders } from '../../src/handshake/messages/partial-client-hello.js';
import { decodeServerHello, encodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { checkHelloRetryRequestAsksForChange, isHelloRetryRequest } from '../../src/handshake/messages/server-hello-13.js';
import { body, clientAuth, resumed, retry, simple } from './rfc8448-messages.js';

/*
 * RFC 8448's TLS 1.3 traces, decoded and re-encoded byte for byte. The bodies after the ClientHello
 * are the same in DTLS 1.3 (RFC 9147 5.2 changes the header only). A DTLS ClientHello has one more
 * field, legacy_cookie, after the session ID (RFC 9147 5.3): asDtls() inserts it (empty, as 1.3
 * requires) so that the DTLS codec reads RFC 8448's hellos; asTls() takes it out again.
 */

const TLS_1_3 = 0x0304;

function cookieOffset(tlsBody: Uint8Array): number {
  return 2 + 32 + 1 + (tlsBody[34] ?? 0);
}
/** A TLS ClientHello body in the DTLS layout (an empty legacy_cookie inserted). */
function asDtls(tlsBody: Uint8Array): Uint8Array {
  const at = cookieOffset(tlsBody);
  return concatBytes(tlsBody.subarray(0, at), Uint8Array.of(0), tlsBody.subarray(at));
}
/** Back to the TLS layout (the empty legacy_cookie removed). */
function asTls(dtlsBody: Uint8Array): Uint8Array {
  const at = cookieOffset(dtlsBody);
  expect(dtlsBody[at]).toBe(0);
  return concatBytes(dtlsBody.subarray(0, at), dtlsBody.subarray(at + 1));
}
function ext(list: readonly Extension[], type: ExtensionType): Uint8Array {
  const e = findExtension(list, type);
  if (e === undefined) throw new Error(`no ${ExtensionType[type]}`);
  return e.data;
}
const types = (list: readonly Extension[]): number[] => list.map((e) => e.type);
const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
/** A handshake message in the TLS form the transcript uses (RFC 9147 5.2). */
const framed = (type: number, b: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(type, b.length >>> 16, (b.length >>> 8) & 0xff, b.length & 0xff), b);

function decodeHello(message: Uint8Array): { hello: ClientHello; dtls: Uint8Array } {
  const dtls = asDtls(body(message));
  const hello = decodeClientHello(dtls);
  expect(encodeClientHello(hello)).toEqual(dtls);
  return { hello, dtls };
}

describe('RFC 8448 3: simple 1-RTT handshake', () => {
  const ch = decodeHello(simple.clientHello).hello;
  const requested = types(ch.extensions);

  it('ClientHello: legacy fields, every 1.3 extension, and the DTLS 1.3 rules', () => {
    expect(ch.cookie.length).toBe(0);
    expect(ch.compressionMethods).toEqual([0]);
    expect(ch.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    checkDtls13ClientHello(ch);
    checkExtensionsPermitted('CH', ch.extensions);
    checkPreSharedKeyLast(ch.extensions);
    const shares = decodeKeyShareClientHello(ext(ch.extensions, ExtensionType.key_share));
    expect(shares.map((s) => s.group)).toEqual([NamedGroup.x25519]);
    expect(toHex(shares[0]?.keyExchange ?? new Uint8Array(0))).toBe('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c');
    expect(encodeKeyShareClientHello(shares)).toEqual(ext(ch.extensions, ExtensionType.key_share));
    const groups = decodeSupportedGroups(ext(ch.extensions, ExtensionType.supported_groups));
    checkKeySharesFollowGroups(shares, groups);
    expect(decodeSupportedVersionsClientHello(ext(ch.extensions, ExtensionType.supported_versions))).toEqual([TLS_1_3]);
    expect(encodeSupportedVersionsClientHello([TLS_1_3])).toEqual(ext(ch.extensions, ExtensionType.supported_versions));
    expect(decodePskKeyExchangeModes(ext(ch.extensions, ExtensionType.psk_key_exchange_modes))).toEqual([PskKeyExchangeMode.psk_dhe_ke]);
    expect(encodePskKeyExchangeModes([PskKeyExchangeMode.psk_dhe_ke])).toEqual(ext(ch.extensions, ExtensionType.psk_key_exchange_modes));
    expect(decodeSignatureAlgorithms(ext(ch.extensions, ExtensionType.signature_algorithms))).toHaveLength(15);
  });

  it('ServerHello: x25519 share, selected version, and every extension answers one of the ClientHello', () => {
    const sh = decodeServerHello(body(simple.serverHello));
    expect(encodeServerHello(sh)).toEqual(body(simple.serverHello));
    expect(isHelloRetryRequest(sh)).toBe(false);
    expect(sh.cipherSuite).toBe(0x1301);
    checkExtensionsPermitted('SH', sh.extensions, requested);
    const share = decodeKeyShareServerHello(ext(sh.extensions, ExtensionType.key_share));
    expect(share.group).toBe(NamedGroup.x25519);
    expect(toHex(share.keyExchange)).toBe('c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f');
    expect(encodeKeyShareServerHello(share)).toEqual(ext(sh.extensions, ExtensionType.key_share));
    checkServerShareGroup(share.group, decodeKeyShareClientHello(ext(ch.extensions, ExtensionType.key_share)));
    expect(decodeSupportedVersionsServerHello(ext(sh.extensions, ExtensionType.supported_versions))).toBe(TLS_1_3);
    expect(encodeSupportedVersionsServerHello(TLS_1_3)).toEqual(ext(sh.extensions, ExtensionType.supported_versions));
  });

  it('EncryptedExtensions: supported_groups, record_size_limit, server_name', () => {
    const ee = decodeEncryptedExtensions(body(simple.encryptedExtensions));
    expect(encodeEncryptedExtensions(ee)).toEqual(body(simple.encryptedExtensions));
    expect(types(ee.extensions)).toEqual([ExtensionType.supported_groups, ExtensionType.record_size_limit, ExtensionType.server_name]);
    checkExtensionsPermitted('EE', ee.extensions, requested);
  });

  it('Certificate: empty context, one RSA certificate entry without extensions', () => {
    const cert = decodeCertificate13(body(simple.certificate));
    expect(encodeCertificate13(cert)).toEqual(body(simple.certificate));
    expect(cert.context.length).toBe(0);
    expect(cert.entries).toHaveLength(1);
    expect(cert.entries[0]?.data.length).toBe(0x1b0);
    expect(toHex(cert.entries[0]?.data.subarray(0, 4) ?? new Uint8Array(0))).toBe('308201ac');
    expect(cert.entries[0]?.extensions).toEqual([]);
    for (const e of cert.entries) checkExtensionsPermitted('CT', e.extensions, requested);
  });

  it('CertificateVerify: rsa_pss_rsae_sha256 and a 128-byte signature', () => {
    const cv = decodeCertificateVerify13(body(simple.certificateVerify));
    expect(encodeCertificateVerify13(cv)).toEqual(body(simple.certificateVerify));
    expect(cv.scheme).toBe(0x0804);
    expect(cv.signature.length).toBe(128);
  });

  it('Finished (both): the SHA-256 length', () => {
    for (const m of [simple.serverFinished, simple.clientFinished]) {
      const verifyData = decodeFinished13(body(m), 32);
      expect(encodeFinished13(verifyData)).toEqual(body(m));
    }
    expect(toHex(decodeFinished13(body(simple.serverFinished), 32))).toBe('9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718');
  });

  it('NewSessionTicket: lifetime, age_add, nonce, ticket and early_data', () => {
    const nst = decodeNewSessionTicket13(body(simple.newSessionTicket));
    expect(encodeNewSessionTicket13(nst)).toEqual(body(simple.newSessionTicket));
    expect(nst.lifetime).toBe(30);
    expect(nst.ageAdd).toBe(0xfad6aac5);
    expect(toHex(nst.nonce)).toBe('0000');
    expect(nst.ticket.length).toBe(0xb2);
    checkExtensionsPermitted('NST', nst.extensions);
    expect(decodeEarlyDataTicket(ext(nst.extensions, ExtensionType.early_data))).toBe(1024);
    expect(encodeEarlyDataTicket(1024)).toEqual(ext(nst.extensions, ExtensionType.early_data));
  });

  it('every message re-encoded from its decoded form gives the transcript hash RFC 8448 prints', () => {
    const reencoded = [
      framed(HandshakeType.client_hello, asTls(encodeClientHello(ch))),
      framed(HandshakeType.server_hello, encodeServerHello(decodeServerHello(body(simple.serverHello)))),
      framed(HandshakeType.encrypted_extensions, encodeEncryptedExtensions(decodeEncryptedExtensions(body(simple.encryptedExtensions)))),
      framed(HandshakeType.certificate, encodeCertificate13(decodeCertificate13(body(simple.certificate)))),
      framed(HandshakeType.certificate_verify, encodeCertificateVerify13(decodeCertificateVerify13(body(simple.certificateVerify)))),
      framed(HandshakeType.finished, encodeFinished13(decodeFinished13(body(simple.serverFinished), 32))),
      framed(HandshakeType.finished, encodeFinished13(decodeFinished13(body(simple.clientFinished), 32))),
    ];
    expect(toHex(sha256(...reencoded.slice(0, 2)))).toBe(simple.helloHash);
    expect(toHex(sha256(...reencoded))).toBe(simple.fullHash);
  });
});

describe('RFC 8448 4: resumed 0-RTT handshake (PSK offer, binders, early_data)', () => {
  const { hello: ch, dtls } = decodeHello(resumed.clientHello);

  it('ClientHello: pre_shared_key last, the ticket of section 3 as identity, one binder', () => {
    checkDtls13ClientHello(ch);
    checkExtensionsPermitted('CH', ch.extensions);
    checkPreSharedKeyLast(ch.extensions);
    expect(ch.extensions[ch.extensions.length - 1]?.type).toBe(ExtensionType.pre_shared_key);
    const offered = decodeOfferedPsks(ext(ch.extensions, ExtensionType.pre_shared_key));
    expect(encodeOfferedPsks(offered)).toEqual(ext(ch.extensions, ExtensionType.pre_shared_key));
    const ticket = decodeNewSessionTicket13(body(simple.newSessionTicket));
    expect(offered.identities).toHaveLength(1);
    expect(offered.identities[0]?.identity).toEqual(ticket.ticket);
    expect(offered.identities[0]?.obfuscatedTicketAge).toBe(0xfad6aacb);
    expect(toHex(offered.binders[0] ?? new Uint8Array(0))).toBe('3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d');
    decodeEarlyDataIndication(ext(ch.extensions, ExtensionType.early_data));
  });

  it('the ClientHello without its binders hashes to the binder hash RFC 8448 prints', () => {
    const truncated = truncateClientHelloBinders(dtls);
    expect(truncated.length).toBe(dtls.length - 35);
    // The binder covers the header with the full length (RFC 8446 4.2.11.2), in TLS form here.
    const header = body(resumed.clientHello).length;
    const hashed = concatBytes(Uint8Array.of(HandshakeType.client_hello, header >>> 16, (header >>> 8) & 0xff, header & 0xff), asTls(truncated));
    expect(toHex(sha256(hashed))).toBe(resumed.binderHash);
  });

  it('ServerHello selects identity 0; EncryptedExtensions accepts early_data; EndOfEarlyData is empty', () => {
    const sh = decodeServerHello(body(resumed.serverHello));
    expect(encodeServerHello(sh)).toEqual(body(resumed.serverHello));
    checkExtensionsPermitted('SH', sh.extensions, types(ch.extensions));
    const selected = decodePreSharedKeyServerHello(ext(sh.extensions, ExtensionType.pre_shared_key));
    expect(selected).toBe(0);
    expect(encodePreSharedKeyServerHello(0)).toEqual(ext(sh.extensions, ExtensionType.pre_shared_key));
    checkSelectedIdentity(selected, 1);
    const ee = decodeEncryptedExtensions(body(resumed.encryptedExtensions));
    expect(encodeEncryptedExtensions(ee)).toEqual(body(resumed.encryptedExtensions));
    checkExtensionsPermitted('EE', ee.extensions, types(ch.extensions));
    decodeEarlyDataIndication(ext(ee.extensions, ExtensionType.early_data));
    decodeEndOfEarlyData(body(resumed.endOfEarlyData));
    expect(framed(HandshakeType.end_of_early_data, encodeEndOfEarlyData())).toEqual(resumed.endOfEarlyData);
  });
});

describe('RFC 8448 5: HelloRetryRequest', () => {
  const ch1 = decodeHello(retry.clientHello1).hello;
  const ch2 = decodeHello(retry.clientHello2).hello;
  const hrr = decodeServerHello(body(retry.helloRetryRequest));

  it('the HelloRetryRequest: the special random, selected group P-256, a cookie, supported_versions', () => {
    expect(encodeServerHello(hrr)).toEqual(body(retry.helloRetryRequest));
    expect(isHelloRetryRequest(hrr)).toBe(true);
    // RFC 8446 4.2: the cookie is the one extension a HelloRetryRequest may send unasked.
    expect(types(ch1.extensions)).not.toContain(ExtensionType.cookie);
    checkExtensionsPermitted('HRR', hrr.extensions, types(ch1.extensions));
    checkHelloRetryRequestAsksForChange(hrr);
    const selected = decodeKeyShareHelloRetryRequest(ext(hrr.extensions, ExtensionType.key_share));
    expect(selected).toBe(NamedGroup.secp256r1);
    expect(encodeKeyShareHelloRetryRequest(selected)).toEqual(ext(hrr.extensions, ExtensionType.key_share));
    const groups = decodeSupportedGroups(ext(ch1.extensions, ExtensionType.supported_groups));
    checkHelloRetryGroup(selected, groups, decodeKeyShareClientHello(ext(ch1.extensions, ExtensionType.key_share)));
    const cookie = decodeCookie(ext(hrr.extensions, ExtensionType.cookie));
    expect(cookie.length).toBe(0x72);
    expect(encodeCookie(cookie)).toEqual(ext(hrr.extensions, ExtensionType.cookie));
  });

  it('the second ClientHello echoes the cookie and shares P-256; the ServerHello answers in that group', () => {
    checkExtensionsPermitted('CH', ch2.extensions);
    expect(decodeCookie(ext(ch2.extensions, ExtensionType.cookie))).toEqual(decodeCookie(ext(hrr.extensions, ExtensionType.cookie)));
    const shares = decodeKeyShareClientHello(ext(ch2.extensions, ExtensionType.key_share));
    expect(shares.map((s) => s.group)).toEqual([NamedGroup.secp256r1]);
    expect(shares[0]?.keyExchange.length).toBe(65);
    checkKeySharesFollowGroups(shares, decodeSupportedGroups(ext(ch2.extensions, ExtensionType.supported_groups)));
    const sh = decodeServerHello(body(retry.serverHello));
    expect(encodeServerHello(sh)).toEqual(body(retry.serverHello));
    expect(isHelloRetryRequest(sh)).toBe(false);
    checkExtensionsPermitted('SH', sh.extensions, types(ch2.extensions));
    const share = decodeKeyShareServerHello(ext(sh.extensions, ExtensionType.key_share));
    checkServerShareGroup(share.group, shares, NamedGroup.secp256r1);
  });

  it('message_hash(ClientHello1) in place of ClientHello1 gives the transcript hash RFC 8448 prints', () => {
    // RFC 8446 4.4.1: message_hash || 00 00 Hash.length || Hash(ClientHello1). (The transcript
    // itself is the key schedule's: crypto/transcript-13.ts on the i17-keys branch.)
    const synthetic = framed(HandshakeType.message_hash, sha256(retry.clientHello1));
    expect(toHex(synthetic.subarray(0, 4))).toBe('fe000020');
    expect(toHex(sha256(synthetic, retry.helloRetryRequest, retry.clientHello2, retry.serverHello))).toBe(retry.helloHash);
  });
});

describe('RFC 8448 6: client authentication', () => {
  it('CertificateRequest: empty context and signature_algorithms', () => {
    const cr = decodeCertificateRequest13(body(clientAuth.certificateRequest));
    expect(encodeCertificateRequest13(cr)).toEqual(body(clientAuth.certificateRequest));
    expect(cr.context.length).toBe(0);
    expect(types(cr.extensions)).toEqual([ExtensionType.signature_algorithms]);
    expect(decodeSignatureAlgorithms(ext(cr.extensions, ExtensionType.signature_algorithms))).toHaveLength(15);
    checkExtensionsPermitted('CR', cr.extensions);
    expect(encodeExtensionBlock(cr.extensions)).toEqual(body(clientAuth.certificateRequest).subarray(1));
  });
});
