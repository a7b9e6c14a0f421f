/**
 * The DTLS 1.3 wire fixtures recorded between wolfSSL 5.5.4's example client and server
 * (test/fixtures/wolfssl13/README.md has the commands) are what they say they are:
 * - the plaintext hellos parse (RFC 9147 5.3, RFC 8446 4.1): a ClientHello offering DTLS 1.3
 *   (0xfefc) with an empty legacy_cookie, a HelloRetryRequest with a cookie, the second
 *   ClientHello echoing it, a ServerHello selecting DTLS 1.3 and the suite wolfSSL printed;
 * - every later record has a unified header (RFC 9147 4) and opens with the key log: record
 *   number encryption (4.2.3), the nonce and AAD, the "dtls13" labels (5.9), epochs 2 and 3 and
 *   a KeyUpdate's epoch 4 (8); the inner content types tell the flights, the ACKs (7) and the
 *   application data both programs printed;
 * - each scenario shows its feature: connection IDs in the headers (9), the server's 300-byte
 *   datagrams, psk_ke without a key share, the HelloRetryRequest asking for a group.
 * Found here: wolfSSL 5.5.4 computes the ChaCha20 record number mask with a big-endian counter
 * (see ChachaCounter in wolfssl13-fixture.ts), so RFC-conformant stacks do not open its
 * TLS_CHACHA20_POLY1305_SHA256 records.
 */
import { describe, expect, it } from 'vitest';
import {
  HELLO_RETRY_REQUEST_RANDOM,
  TLS13_SUITES,
  fromHex,
  handshakeFragments,
  loadWolfssl13Fixture,
  openRecords,
  parseClientHello,
  parseServerHello,
  plaintextRecords,
  wolfssl13FixtureNames,
  type Hello,
  type OpenedRecord,
  type Wolfssl13Fixture,
} from './wolfssl13-fixture.js';

const DTLS13 = 0xfefc;
const DTLS12 = 0xfefd;
const ext = { preSharedKey: 41, supportedVersions: 43, cookie: 44, keyShare: 51, connectionId: 54 } as const;
const content = { alert: 21, handshake: 22, applicationData: 23, ack: 26 } as const;
const hs = {
  clientHello: 1,
  serverHello: 2,
  encryptedExtensions: 8,
  certificate: 11,
  certificateRequest: 13,
  certificateVerify: 15,
  finished: 20,
  keyUpdate: 24,
} as const;

const SCENARIOS = [
  'cid',
  'ecdsa',
  'ecdsa-client-auth',
  'ecdsa-mtu',
  'hrr-key-share',
  'key-update',
  'psk-aes128gcm',
  'psk-aes256gcm',
  'psk-ccm8',
  'psk-chacha20',
  'psk-ke',
  'rsa',
];
const PSK = new Set(['cid', 'key-update', 'psk-aes128gcm', 'psk-aes256gcm', 'psk-ccm8', 'psk-chacha20', 'psk-ke']);

/** The one handshake message of a plaintext datagram's records. */
function plaintextHello(fixture: Wolfssl13Fixture, index: number, msgType: number): { hello: Hello; messageSeq: number; recordEpoch: number } {
  const d = fixture.datagrams[index]!;
  const { records } = plaintextRecords(fromHex(d.hex));
  const record = records[0];
  expect(record, `${fixture.scenario} datagram ${index}`).toBeDefined();
  expect(record!.type).toBe(content.handshake);
  const [message] = handshakeFragments(record!.fragment);
  expect(message!.msgType, `${fixture.scenario} datagram ${index}`).toBe(msgType);
  // Whole, not fragmented: the hellos fit one datagram here.
  expect(message!.fragmentOffset).toBe(0);
  expect(message!.fragmentLength).toBe(message!.length);
  const hello = msgType === hs.clientHello ? parseClientHello(message!.body) : parseServerHello(message!.body);
  return { hello, messageSeq: message!.messageSeq, recordEpoch: record!.epoch };
}

function supportedVersions(hello: Hello): number[] {
  const body = hello.extensions.get(ext.supportedVersions);
  if (body === undefined) return [];
  // ClientHello: a list <2..254>; ServerHello: the one selected_version (RFC 8446 4.2.1).
  if (body.length === 2) return [(body[0]! << 8) | body[1]!];
  const out: number[] = [];
  for (let i = 1; i < 1 + body[0]!; i += 2) out.push((body[i]! << 8) | body[i + 1]!);
  return out;
}

/** Handshake message types of the opened records, in order, for one direction and epoch. */
function handshakeTypes(records: readonly OpenedRecord[], direction: OpenedRecord['direction'], epoch: number): number[] {
  return records
    .filter((r) => r.direction === direction && r.epoch === epoch && r.type === content.handshake)
    .flatMap((r) => handshakeFragments(r.content).filter((f) => f.fragmentOffset === 0).map((f) => f.msgType));
}

function text(records: readonly OpenedRecord[], direction: OpenedRecord['direction']): string {
  return records
    .filter((r) => r.direction === direction && r.type === content.applicationData)
    .map((r) => Buffer.from(r.content).toString('utf8'))
    .join('');
}

describe('wolfSSL 5.5.4 DTLS 1.3 fixtures', () => {
  it('the folder holds every scenario', () => {
    expect(wolfssl13FixtureNames()).toEqual(SCENARIOS);
  });

  for (const name of SCENARIOS) {
    describe(name, () => {
      const fixture = loadWolfssl13Fixture(name);
      const suite = TLS13_SUITES[fixture.client.cipher ?? ''];

      it('is a complete DTLS 1.3 session of the commands it names', () => {
        expect(fixture.scenario).toBe(name);
        expect(fixture.client.code).toBe(0);
        expect(fixture.client.version).toBe('DTLSv1.3');
        expect(suite).toBeDefined();
        expect(fixture.commands.server).toMatch(/^\.\/examples\/server\/server -u\d* -v 4 /);
        expect(fixture.commands.client).toMatch(/^\.\/examples\/client\/client -u\d* -v 4 /);
        expect(fixture.keylog.map((k) => k.label).sort()).toEqual([
          'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
          'CLIENT_TRAFFIC_SECRET_0',
          'SERVER_HANDSHAKE_TRAFFIC_SECRET',
          'SERVER_TRAFFIC_SECRET_0',
        ]);
      });

      it('opens with a ClientHello, a HelloRetryRequest with a cookie, the cookie echoed, a ServerHello for DTLS 1.3', () => {
        expect(fixture.datagrams.slice(0, 4).map((d) => d.direction)).toEqual(['client-to-server', 'server-to-client', 'client-to-server', 'server-to-client']);
        const first = plaintextHello(fixture, 0, hs.clientHello);
        const hrr = plaintextHello(fixture, 1, hs.serverHello);
        const second = plaintextHello(fixture, 2, hs.clientHello);
        const serverHello = plaintextHello(fixture, 3, hs.serverHello);

        // RFC 9147 5.3: legacy_version {254, 253}, an empty legacy_cookie, DTLS 1.3 offered.
        for (const ch of [first, second]) {
          expect(ch.recordEpoch).toBe(0);
          expect(ch.hello.legacyVersion).toBe(DTLS12);
          expect(ch.hello.legacyCookie).toEqual(new Uint8Array(0));
          expect(supportedVersions(ch.hello)).toContain(DTLS13);
          expect(ch.hello.cipherSuites).toContain(suite!.id);
        }
        expect([first.messageSeq, second.messageSeq]).toEqual([0, 1]);

        // RFC 8446 4.1.3/4.1.4: the HelloRetryRequest random, DTLS 1.3 selected, a cookie (4.2.2).
        expect(hrr.hello.random).toEqual(HELLO_RETRY_REQUEST_RANDOM);
        expect(supportedVersions(hrr.hello)).toEqual([DTLS13]);
        expect(hrr.hello.cipherSuites).toEqual([suite!.id]);
        const cookie = hrr.hello.extensions.get(ext.cookie);
        expect(cookie?.length).toBeGreaterThan(2);
        expect(second.hello.extensions.get(ext.cookie)).toEqual(cookie);
        // The two ClientHellos share the random (RFC 8446 4.1.2).
        expect(second.hello.random).toEqual(first.hello.random);

        expect(serverHello.hello.random).not.toEqual(HELLO_RETRY_REQUEST_RANDOM);
        expect(serverHello.hello.legacyVersion).toBe(DTLS12);
        expect(supportedVersions(serverHello.hello)).toEqual([DTLS13]);
        expect(serverHello.hello.cipherSuites).toEqual([suite!.id]);
        expect(serverHello.hello.extensions.has(ext.preSharedKey)).toBe(PSK.has(name));
        // The key log's client_random is the ClientHello's.
        expect(fixture.keylog[0]!.clientRandom).toBe(Buffer.from(first.hello.random).toString('hex'));
      });

      it('every later record has a unified header and opens with the key log', () => {
        const opened = openRecords(fixture, name === 'psk-chacha20' ? 'big-endian' : 'little-endian');
        // Each unified-header record of each datagram, none left over.
        const unified = fixture.datagrams.filter((d) => plaintextRecords(fromHex(d.hex)).rest.length > 0).length;
        expect(new Set(opened.map((r) => r.datagram)).size).toBe(unified);

        // The server's flight in epoch 2: EncryptedExtensions, [Certificate, CertificateVerify,] Finished.
        const withCertificate = !PSK.has(name);
        const clientAuth = name === 'ecdsa-client-auth';
        expect(handshakeTypes(opened, 'server-to-client', 2)).toEqual(
          withCertificate
            ? [hs.encryptedExtensions, ...(clientAuth ? [hs.certificateRequest] : []), hs.certificate, hs.certificateVerify, hs.finished]
            : [hs.encryptedExtensions, hs.finished],
        );
        expect(handshakeTypes(opened, 'client-to-server', 2)).toEqual(clientAuth ? [hs.certificate, hs.certificateVerify, hs.finished] : [hs.finished]);
        // RFC 9147 7: the server ACKs the client's last flight (its epoch 2 records) in epoch 3:
        // record_numbers<16..2^16-1>, each uint64 epoch + uint64 sequence_number.
        const ack = opened.find((r) => r.type === content.ack && r.direction === 'server-to-client');
        expect(ack?.epoch).toBe(3);
        const numbers = Buffer.from(ack!.content);
        expect(numbers.readUInt16BE(0)).toBe(numbers.length - 2);
        const acked: string[] = [];
        for (let at = 2; at < numbers.length; at += 16) acked.push(`${numbers.readBigUInt64BE(at)}:${numbers.readBigUInt64BE(at + 8)}`);
        const clientFlight = opened.filter((r) => r.direction === 'client-to-server' && r.epoch === 2).map((r) => `${r.epoch}:${r.sequence}`);
        // As a set: wolfSSL 5.5.4 lists them in decreasing order, where RFC 9147 7 asks for increasing.
        expect([...acked].sort()).toEqual([...clientFlight].sort());
        // What both programs printed crossed in epoch 3 (4 after a KeyUpdate).
        expect(text(opened, 'client-to-server')).toContain('hello wolfssl!');
        expect(text(opened, 'server-to-client')).toContain('I hear you fa shizzle!');
        for (const r of opened) expect(r.flags.cid).toBe(name === 'cid');
      });

      if (name === 'psk-chacha20') {
        it('does not open with the RFC 8439 little-endian ChaCha20 counter (wolfSSL 5.5.4 quirk)', () => {
          expect(() => openRecords(fixture, 'little-endian')).toThrow(/does not open/);
        });
      }
    });
  }

  it('cid: each side sends the other\'s connection ID in every encrypted record (RFC 9147 9)', () => {
    const fixture = loadWolfssl13Fixture('cid');
    const first = plaintextHello(fixture, 0, hs.clientHello);
    const serverHello = plaintextHello(fixture, 3, hs.serverHello);
    // connection_id extension (RFC 9146 3): opaque cid<0..2^8-1>.
    expect(first.hello.extensions.get(ext.connectionId)).toEqual(Uint8Array.of(2, ...Buffer.from('cl')));
    expect(serverHello.hello.extensions.get(ext.connectionId)).toEqual(Uint8Array.of(2, ...Buffer.from('sv')));
    const opened = openRecords(fixture);
    for (const r of opened) {
      expect(Buffer.from(r.connectionId).toString('ascii')).toBe(r.direction === 'client-to-server' ? 'sv' : 'cl');
    }
  });

  it('key-update: both sides send a KeyUpdate in epoch 3, ACKed, then use epoch 4 (RFC 9147 8)', () => {
    const opened = openRecords(loadWolfssl13Fixture('key-update'));
    expect(handshakeTypes(opened, 'client-to-server', 3)).toEqual([hs.keyUpdate]);
    expect(handshakeTypes(opened, 'server-to-client', 3)).toEqual([hs.keyUpdate]);
    expect(opened.filter((r) => r.epoch === 3 && r.type === content.ack).map((r) => r.direction).sort()).toEqual(['client-to-server', 'server-to-client', 'server-to-client']);
    expect(opened.some((r) => r.direction === 'client-to-server' && r.epoch === 4 && r.type === content.applicationData)).toBe(true);
    expect(opened.some((r) => r.direction === 'server-to-client' && r.epoch === 4)).toBe(true);
  });

  it('CertificateVerify schemes: ECDSA P-256 SHA-256 and RSA-PSS (RFC 8446 4.2.3, 4.4.3)', () => {
    const scheme = (name: string, direction: OpenedRecord['direction']): number => {
      const verify = openRecords(loadWolfssl13Fixture(name))
        .filter((r) => r.direction === direction && r.type === content.handshake)
        .flatMap((r) => handshakeFragments(r.content))
        .find((f) => f.msgType === hs.certificateVerify);
      return (verify!.body[0]! << 8) | verify!.body[1]!;
    };
    expect(scheme('ecdsa', 'server-to-client')).toBe(0x0403); // ecdsa_secp256r1_sha256
    expect(scheme('ecdsa-client-auth', 'client-to-server')).toBe(0x0403);
    expect([0x0804, 0x0805, 0x0806]).toContain(scheme('rsa', 'server-to-client')); // rsa_pss_rsae_*
  });

  it('ecdsa-mtu: the server keeps to 300-byte datagrams, its Certificate in fragments (RFC 9147 4.4)', () => {
    const fixture = loadWolfssl13Fixture('ecdsa-mtu');
    for (const d of fixture.datagrams.filter((x) => x.direction === 'server-to-client')) expect(d.hex.length / 2).toBeLessThanOrEqual(300);
    const certificate = openRecords(fixture)
      .filter((r) => r.direction === 'server-to-client' && r.type === content.handshake)
      .flatMap((r) => handshakeFragments(r.content))
      .filter((f) => f.msgType === hs.certificate);
    expect(certificate.length).toBeGreaterThan(1);
    expect(certificate.reduce((sum, f) => sum + f.fragmentLength, 0)).toBe(certificate[0]!.length);
  });

  it('psk-ke: no key share either way; psk-aes128gcm: P-256 key shares (RFC 8446 4.2.9)', () => {
    const ke = loadWolfssl13Fixture('psk-ke');
    expect(plaintextHello(ke, 3, hs.serverHello).hello.extensions.has(ext.keyShare)).toBe(false);
    const dhe = loadWolfssl13Fixture('psk-aes128gcm');
    const share = plaintextHello(dhe, 3, hs.serverHello).hello.extensions.get(ext.keyShare)!;
    // KeyShareEntry: group secp256r1 (0x0017), an uncompressed point of 65 bytes.
    expect(Buffer.from(share.subarray(0, 5)).toString('hex')).toBe('0017004104');
  });

  it('hrr-key-share: the first ClientHello has an empty key share, the HelloRetryRequest names a group', () => {
    const fixture = loadWolfssl13Fixture('hrr-key-share');
    const first = plaintextHello(fixture, 0, hs.clientHello);
    // client_shares<0..2^16-1> empty (RFC 8446 4.2.8).
    expect(first.hello.extensions.get(ext.keyShare)).toEqual(Uint8Array.of(0, 0));
    // HelloRetryRequest: selected_group only.
    const selected = plaintextHello(fixture, 1, hs.serverHello).hello.extensions.get(ext.keyShare)!;
    expect(selected.length).toBe(2);
    const second = plaintextHello(fixture, 2, hs.clientHello).hello.extensions.get(ext.keyShare)!;
    expect(second.subarray(2, 4)).toEqual(selected);
  });
});
