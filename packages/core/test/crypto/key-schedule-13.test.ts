/**
 * The TLS 1.3 key schedule (RFC 8446 7.1-7.3, 4.4.4, 4.6.1, 4.2.11.2, 4.4.1) on every provider,
 * against every secret the RFC 8448 traces print: section 3 (simple 1-RTT), section 4 (resumed
 * with the ticket of section 3, PSK binder, 0-RTT secrets) and section 5 (HelloRetryRequest:
 * message_hash in the transcript). The traces use the "tls13 " prefix; the same functions take
 * "dtls13" for DTLS 1.3 (RFC 9147 5.9), checked against wolfSSL in dtls13-wolfssl-binder.test.ts.
 */
import { createPublicKey, verify, X509Certificate, constants } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/bytes.js';
import { certificateVerifyContent } from '../../src/crypto/certificate-verify-content.js';
import { checkFinished13, finishedKey, finishedVerifyData13 } from '../../src/crypto/finished-13.js';
import { type LabelledHkdf, TLS13_LABEL_PREFIX, deriveSecret, emptyHash } from '../../src/crypto/hkdf-label.js';
import {
  binderKey,
  clientApplicationTrafficSecret,
  clientEarlyTrafficSecret,
  clientHandshakeTrafficSecret,
  earlyExporterMasterSecret,
  earlySecret,
  exporterMasterSecret,
  handshakeSecret,
  masterSecret,
  resumptionMasterSecret,
  serverApplicationTrafficSecret,
  serverHandshakeTrafficSecret,
} from '../../src/crypto/key-schedule-13.js';
import { bindersListLength, checkPskBinder, pskBinder, truncateClientHello } from '../../src/crypto/psk-binder.js';
import { resumptionPsk } from '../../src/crypto/resumption-psk.js';
import { trafficKeys13 } from '../../src/crypto/traffic-keys-13.js';
import { Transcript13 } from '../../src/crypto/transcript-13.js';
import { AlertDescription } from '../../src/alert.js';
import { DtlsError } from '../../src/errors.js';
import { keyShareGroup13 } from '../../src/handshake/key-exchange/key-share-groups-13.js';
import { loadHexFixture } from './hex-fixture.js';
import { PROVIDERS } from './providers.js';

const simple = loadHexFixture('rfc8448/simple-1rtt.json');
const resumed = loadHexFixture('rfc8448/resumed-0rtt.json');
const hrr = loadHexFixture('rfc8448/hello-retry-request.json');

/** TLS_AES_128_GCM_SHA256: 16-byte key, 12-byte IV (RFC 8446 5.3, B.4). */
const KEY_LENGTH = 16;
const IV_LENGTH = 12;

/** The verify_data of a Finished message as printed (14 00 00 20 || verify_data). */
const finishedBody = (message: Uint8Array): string => toHex(message.subarray(4));

function thrownAlert(f: () => unknown): AlertDescription | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof DtlsError) return err.alert;
    throw err;
  }
  return undefined;
}

describe.each(PROVIDERS)('TLS 1.3 key schedule: $name provider', ({ provider, keyShareFromPrivate }) => {
  const kdf: LabelledHkdf = { provider, hash: 'sha256', labelPrefix: TLS13_LABEL_PREFIX };

  it('RFC 8448 3 (simple 1-RTT): every secret, key, IV, Finished and the resumption PSK', () => {
    const s = simple.secretHex;
    const early = earlySecret(kdf);
    expect(toHex(early)).toBe(s('early'));
    expect(toHex(deriveSecret(kdf, early, 'derived', emptyHash(kdf)))).toBe(s('derivedForHandshake'));

    // The x25519 key share through the 1.3 group entry, both sides.
    const x25519 = keyShareGroup13('x25519');
    const server = x25519.serverShare(provider, simple.bytes('clientPublic'), keyShareFromPrivate('x25519', simple.bytes('serverPrivate')));
    expect(toHex(server.keyExchange)).toBe(toHex(simple.bytes('serverPublic')));
    expect(toHex(server.sharedSecret)).toBe(s('ecdhe'));
    const client = x25519.clientShare(provider, keyShareFromPrivate('x25519', simple.bytes('clientPrivate')));
    expect(toHex(client.keyExchange)).toBe(toHex(simple.bytes('clientPublic')));
    expect(toHex(client.complete(server.keyExchange))).toBe(s('ecdhe'));

    const hs = handshakeSecret(kdf, early, server.sharedSecret);
    expect(toHex(hs)).toBe(s('handshake'));
    const t = new Transcript13();
    t.addTlsMessage(simple.bytes('clientHello'));
    t.addTlsMessage(simple.bytes('serverHello'));
    const cHs = clientHandshakeTrafficSecret(kdf, hs, t.hash(provider, 'sha256'));
    const sHs = serverHandshakeTrafficSecret(kdf, hs, t.hash(provider, 'sha256'));
    expect(toHex(cHs)).toBe(s('clientHandshakeTraffic'));
    expect(toHex(sHs)).toBe(s('serverHandshakeTraffic'));
    expect(toHex(deriveSecret(kdf, hs, 'derived', emptyHash(kdf)))).toBe(s('derivedForMaster'));
    const master = masterSecret(kdf, hs);
    expect(toHex(master)).toBe(s('master'));
    const sHsKeys = trafficKeys13(kdf, sHs, KEY_LENGTH, IV_LENGTH);
    expect(toHex(sHsKeys.key)).toBe(s('serverHandshakeKey'));
    expect(toHex(sHsKeys.iv)).toBe(s('serverHandshakeIv'));
    const cHsKeys = trafficKeys13(kdf, cHs, KEY_LENGTH, IV_LENGTH);
    expect(toHex(cHsKeys.key)).toBe(s('clientHandshakeKey'));
    expect(toHex(cHsKeys.iv)).toBe(s('clientHandshakeIv'));

    t.addTlsMessage(simple.bytes('encryptedExtensions'));
    t.addTlsMessage(simple.bytes('certificate'));
    t.addTlsMessage(simple.bytes('certificateVerify'));
    const serverFinished = finishedVerifyData13(kdf, sHs, t.hash(provider, 'sha256'));
    expect(toHex(serverFinished)).toBe(s('serverFinishedVerifyData'));
    expect(toHex(serverFinished)).toBe(finishedBody(simple.bytes('serverFinished')));
    t.addTlsMessage(simple.bytes('serverFinished'));

    const cAp = clientApplicationTrafficSecret(kdf, master, t.hash(provider, 'sha256'));
    const sAp = serverApplicationTrafficSecret(kdf, master, t.hash(provider, 'sha256'));
    expect(toHex(cAp)).toBe(s('clientApplicationTraffic'));
    expect(toHex(sAp)).toBe(s('serverApplicationTraffic'));
    expect(toHex(exporterMasterSecret(kdf, master, t.hash(provider, 'sha256')))).toBe(s('exporterMaster'));
    const sApKeys = trafficKeys13(kdf, sAp, KEY_LENGTH, IV_LENGTH);
    expect(toHex(sApKeys.key)).toBe(s('serverApplicationKey'));
    expect(toHex(sApKeys.iv)).toBe(s('serverApplicationIv'));
    const cApKeys = trafficKeys13(kdf, cAp, KEY_LENGTH, IV_LENGTH);
    expect(toHex(cApKeys.key)).toBe(s('clientApplicationKey'));
    expect(toHex(cApKeys.iv)).toBe(s('clientApplicationIv'));

    const clientFinished = finishedVerifyData13(kdf, cHs, t.hash(provider, 'sha256'));
    expect(toHex(clientFinished)).toBe(s('clientFinishedVerifyData'));
    checkFinished13(kdf, cHs, t.hash(provider, 'sha256'), simple.bytes('clientFinished').subarray(4), 'client');
    t.addTlsMessage(simple.bytes('clientFinished'));

    const resumption = resumptionMasterSecret(kdf, master, t.hash(provider, 'sha256'));
    expect(toHex(resumption)).toBe(s('resumptionMaster'));
    expect(toHex(resumptionPsk(kdf, resumption, simple.secret('ticketNonce')))).toBe(s('resumptionPsk'));
  });

  it('RFC 8448 3: the server CertificateVerify signs 64 spaces, "TLS 1.3, server CertificateVerify", 0, Hash(CH..Certificate)', () => {
    const t = new Transcript13();
    for (const m of ['clientHello', 'serverHello', 'encryptedExtensions', 'certificate']) t.addTlsMessage(simple.bytes(m));
    const cert = simple.bytes('certificate');
    // Certificate: context<0> (00), certificate_list<3 bytes>, cert_data<3 bytes>, the DER.
    const derLength = (cert[8]! << 16) | (cert[9]! << 8) | cert[10]!;
    const rsaKey = createPublicKey(new X509Certificate(cert.subarray(11, 11 + derLength)).publicKey.export({ format: 'pem', type: 'spki' }));
    const cv = simple.bytes('certificateVerify');
    expect((cv[4]! << 8) | cv[5]!).toBe(0x0804); // rsa_pss_rsae_sha256
    const signature = cv.subarray(8);
    const pss = { key: rsaKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    const hash = t.hash(provider, 'sha256');
    expect(verify('sha256', certificateVerifyContent('server', hash), pss, signature)).toBe(true);
    // The role is signed: the same signature does not pass as a client's.
    expect(verify('sha256', certificateVerifyContent('client', hash), pss, signature)).toBe(false);
    const content = certificateVerifyContent('client', hash);
    expect(toHex(content.subarray(0, 64))).toBe('20'.repeat(64));
    expect(Buffer.from(content.subarray(64, 64 + 33)).toString('latin1')).toBe('TLS 1.3, client CertificateVerify');
    expect(content[97]).toBe(0);
    expect(toHex(content.subarray(98))).toBe(toHex(hash));
  });

  it('RFC 8448 4 (resumed): PSK binder over the truncated ClientHello, 0-RTT secrets, then the whole schedule', () => {
    const s = resumed.secretHex;
    const psk = resumed.secret('psk');
    const early = earlySecret(kdf, psk);
    expect(toHex(early)).toBe(s('early'));
    const bk = binderKey(kdf, early, 'resumption');
    expect(toHex(bk)).toBe(s('binderKey'));
    expect(toHex(binderKey(kdf, early, 'external'))).not.toBe(s('binderKey'));
    expect(toHex(finishedKey(kdf, bk))).toBe(s('binderFinishedKey'));

    // The hello as sent: the truncated hello, then binders<33..2^16-1> with the one 32-byte binder.
    const truncated = resumed.bytes('truncatedClientHello');
    const binder = resumed.secret('binder');
    const clientHello = concatBytes(truncated, fromHex('002120'), binder);
    const listLength = bindersListLength([32]);
    expect(listLength).toBe(35);
    expect(toHex(truncateClientHello(clientHello, listLength))).toBe(toHex(truncated));
    const t = new Transcript13();
    const binderHash = t.hashWith(provider, 'sha256', truncateClientHello(clientHello, listLength));
    expect(toHex(binderHash)).toBe(s('binderHash'));
    expect(toHex(pskBinder(kdf, bk, binderHash))).toBe(s('binder'));
    checkPskBinder(kdf, bk, binderHash, binder);
    const forged = binder.slice();
    forged[31]! ^= 1;
    expect(thrownAlert(() => checkPskBinder(kdf, bk, binderHash, forged))).toBe(AlertDescription.decrypt_error);
    expect(thrownAlert(() => truncateClientHello(clientHello, bindersListLength([48])))).toBe(AlertDescription.decode_error);

    t.addTlsMessage(clientHello);
    const chHash = t.hash(provider, 'sha256');
    const cE = clientEarlyTrafficSecret(kdf, early, chHash);
    expect(toHex(cE)).toBe(s('clientEarlyTraffic'));
    expect(toHex(earlyExporterMasterSecret(kdf, early, chHash))).toBe(s('earlyExporterMaster'));
    const cEKeys = trafficKeys13(kdf, cE, KEY_LENGTH, IV_LENGTH);
    expect(toHex(cEKeys.key)).toBe(s('clientEarlyKey'));
    expect(toHex(cEKeys.iv)).toBe(s('clientEarlyIv'));

    t.addTlsMessage(resumed.bytes('serverHello'));
    expect(toHex(deriveSecret(kdf, early, 'derived', emptyHash(kdf)))).toBe(s('derivedForHandshake'));
    const shared = keyShareFromPrivate('x25519', resumed.bytes('serverPrivate')).deriveSecret(resumed.bytes('clientPublic'));
    expect(toHex(shared)).toBe(s('ecdhe'));
    const hs = handshakeSecret(kdf, early, shared);
    expect(toHex(hs)).toBe(s('handshake'));
    const cHs = clientHandshakeTrafficSecret(kdf, hs, t.hash(provider, 'sha256'));
    const sHs = serverHandshakeTrafficSecret(kdf, hs, t.hash(provider, 'sha256'));
    expect(toHex(cHs)).toBe(s('clientHandshakeTraffic'));
    expect(toHex(sHs)).toBe(s('serverHandshakeTraffic'));
    expect(toHex(deriveSecret(kdf, hs, 'derived', emptyHash(kdf)))).toBe(s('derivedForMaster'));
    const master = masterSecret(kdf, hs);
    expect(toHex(master)).toBe(s('master'));
    expect(toHex(trafficKeys13(kdf, sHs, KEY_LENGTH, IV_LENGTH).key)).toBe(s('serverHandshakeKey'));
    expect(toHex(trafficKeys13(kdf, sHs, KEY_LENGTH, IV_LENGTH).iv)).toBe(s('serverHandshakeIv'));

    t.addTlsMessage(resumed.bytes('encryptedExtensions'));
    expect(toHex(finishedVerifyData13(kdf, sHs, t.hash(provider, 'sha256')))).toBe(s('serverFinishedVerifyData'));
    t.addTlsMessage(resumed.bytes('serverFinished'));
    const cAp = clientApplicationTrafficSecret(kdf, master, t.hash(provider, 'sha256'));
    const sAp = serverApplicationTrafficSecret(kdf, master, t.hash(provider, 'sha256'));
    expect(toHex(cAp)).toBe(s('clientApplicationTraffic'));
    expect(toHex(sAp)).toBe(s('serverApplicationTraffic'));
    expect(toHex(exporterMasterSecret(kdf, master, t.hash(provider, 'sha256')))).toBe(s('exporterMaster'));
    expect(toHex(trafficKeys13(kdf, sAp, KEY_LENGTH, IV_LENGTH).key)).toBe(s('serverApplicationKey'));
    expect(toHex(trafficKeys13(kdf, sAp, KEY_LENGTH, IV_LENGTH).iv)).toBe(s('serverApplicationIv'));

    t.addTlsMessage(resumed.bytes('endOfEarlyData'));
    expect(toHex(trafficKeys13(kdf, cHs, KEY_LENGTH, IV_LENGTH).key)).toBe(s('clientHandshakeKey'));
    expect(toHex(trafficKeys13(kdf, cHs, KEY_LENGTH, IV_LENGTH).iv)).toBe(s('clientHandshakeIv'));
    expect(toHex(finishedVerifyData13(kdf, cHs, t.hash(provider, 'sha256')))).toBe(s('clientFinishedVerifyData'));
    t.addTlsMessage(resumed.bytes('clientFinished'));
    expect(toHex(trafficKeys13(kdf, cAp, KEY_LENGTH, IV_LENGTH).key)).toBe(s('clientApplicationKey'));
    expect(toHex(trafficKeys13(kdf, cAp, KEY_LENGTH, IV_LENGTH).iv)).toBe(s('clientApplicationIv'));
    expect(toHex(resumptionMasterSecret(kdf, master, t.hash(provider, 'sha256')))).toBe(s('resumptionMaster'));
  });

  it('RFC 8448 5 (HelloRetryRequest): message_hash replaces ClientHello1 in the transcript', () => {
    const s = hrr.secretHex;
    const t = new Transcript13();
    t.addTlsMessage(hrr.bytes('clientHello1'));
    t.replaceClientHelloWithMessageHash(provider, 'sha256');
    expect(t.messageCount).toBe(1);
    // 0xfe, uint24 32, then SHA-256(ClientHello1) (RFC 8446 4.4.1).
    expect(toHex(t.bytes())).toBe(`fe000020${toHex(provider.hash('sha256', hrr.bytes('clientHello1')))}`);
    for (const m of ['helloRetryRequest', 'clientHello2', 'serverHello']) t.addTlsMessage(hrr.bytes(m));
    const helloHash = t.hash(provider, 'sha256');
    expect(toHex(helloHash)).toBe(s('helloHash'));
    const hs = handshakeSecret(kdf, earlySecret(kdf), hrr.secret('ecdhe'));
    expect(toHex(hs)).toBe(s('handshake'));
    expect(toHex(clientHandshakeTrafficSecret(kdf, hs, helloHash))).toBe(s('clientHandshakeTraffic'));
    expect(toHex(serverHandshakeTrafficSecret(kdf, hs, helloHash))).toBe(s('serverHandshakeTraffic'));

    // Without the replacement the transcript, and so every secret, would differ.
    const plain = new Transcript13();
    for (const m of ['clientHello1', 'helloRetryRequest', 'clientHello2', 'serverHello']) plain.addTlsMessage(hrr.bytes(m));
    expect(toHex(plain.hash(provider, 'sha256'))).not.toBe(s('helloHash'));
  });
});

describe('Finished and transcript misuse', () => {
  const provider = PROVIDERS[0]!.provider;
  const kdf: LabelledHkdf = { provider, hash: 'sha256', labelPrefix: TLS13_LABEL_PREFIX };
  const secret = simple.secret('clientHandshakeTraffic');
  const hash = provider.hash('sha256', new Uint8Array(0));

  it('a wrong verify_data is decrypt_error, a wrong-sized one decode_error (RFC 8446 4.4.4)', () => {
    const good = finishedVerifyData13(kdf, secret, hash);
    const bad = good.slice();
    bad[0]! ^= 0x80;
    expect(thrownAlert(() => checkFinished13(kdf, secret, hash, bad, 'client'))).toBe(AlertDescription.decrypt_error);
    expect(thrownAlert(() => checkFinished13(kdf, secret, hash, good.subarray(0, 12), 'client'))).toBe(AlertDescription.decode_error);
    expect(thrownAlert(() => checkFinished13(kdf, secret, hash, good, 'client'))).toBeUndefined();
  });

  it('message_hash replaces ClientHello1 alone', () => {
    const t = new Transcript13();
    t.addTlsMessage(hrr.bytes('clientHello1'));
    t.addTlsMessage(hrr.bytes('helloRetryRequest'));
    expect(() => t.replaceClientHelloWithMessageHash(provider, 'sha256')).toThrow(RangeError);
    expect(thrownAlert(() => t.addTlsMessage(fromHex('01000005aabb')))).toBe(AlertDescription.decode_error);
  });

  it('an empty PSK is refused rather than taken for "no PSK"', () => {
    expect(() => earlySecret(kdf, new Uint8Array(0))).toThrow(RangeError);
  });
});
