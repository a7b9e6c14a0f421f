/**
 * The stateless DTLS 1.3 cookie exchange (RFC 9147 5.1, RFC 8446 4.2.2) of the cookie check, fed
 * with first ClientHellos that wolfSSL 5.5.4's client sent (test/fixtures/wolfssl13/): the
 * HelloRetryRequest it answers, and which second ClientHellos verify. The real second ClientHello
 * of wolfSSL's client is in test/interop/wolfssl13-hello-retry.test.ts.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { CookieCheck, type VerifyResult } from '../../src/endpoint/cookie-check.js';
import { decodeCookie } from '../../src/handshake/extensions/cookie.js';
import { findExtension, type Extension } from '../../src/handshake/extensions/extension.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { decodeKeyShareHelloRetryRequest, encodeKeyShareClientHello } from '../../src/handshake/extensions/key-share.js';
import { decodeSupportedVersionsServerHello, encodeSupportedVersionsClientHello } from '../../src/handshake/extensions/supported-versions.js';
import { decodeHandshakeFragments, encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello, encodeClientHello, type ClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeServerHello, type ServerHello } from '../../src/handshake/messages/server-hello.js';
import { isHelloRetryRequest } from '../../src/handshake/messages/server-hello-13.js';
import { DTLS_1_2, DTLS_1_3 } from '../../src/handshake/protocol-version.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { encodeRecord } from '../../src/record/record-header.js';
import { fromHex, loadWolfssl13Fixture } from '../interop/wolfssl13-fixture.js';

const PEER = '127.0.0.1:40000';
const ROTATION = 30_000;

/** wolfSSL's first ClientHello of a capture (the first datagram), its body and record/message numbers. */
function wolfsslClientHello1(scenario: string): { datagram: Uint8Array; body: Uint8Array; hello: ClientHello } {
  const hex = loadWolfssl13Fixture(scenario).datagrams[0]?.hex;
  if (hex === undefined) throw new Error(`${scenario}: no datagram`);
  const datagram = fromHex(hex);
  const [record] = splitRecords(datagram);
  const [fragment] = decodeHandshakeFragments(record?.fragment ?? new Uint8Array(0));
  if (fragment === undefined) throw new Error(`${scenario}: no ClientHello`);
  return { datagram, body: fragment.body, hello: decodeClientHello(fragment.body) };
}

function helloRetryRequestOf(result: VerifyResult): { hrr: ServerHello; recordSeq: number; messageSeq: number; datagram: Uint8Array } {
  if (result.type !== 'reply') throw new Error(`expected a reply, got ${result.type}${result.type === 'drop' ? ` (${result.reason})` : ''}`);
  const [record, extra] = splitRecords(result.datagram);
  if (record === undefined || extra !== undefined) throw new Error('not one record');
  expect(record.header.type).toBe(ContentType.handshake);
  expect(record.header.version).toBe(DTLS_1_2);
  expect(record.header.epoch).toBe(0);
  const [fragment] = decodeHandshakeFragments(record.fragment);
  if (fragment === undefined || fragment.msgType !== HandshakeType.server_hello) throw new Error('not a ServerHello');
  return { hrr: decodeServerHello(fragment.body), recordSeq: record.header.sequenceNumber, messageSeq: fragment.messageSeq, datagram: result.datagram };
}

/**
 * What RFC 8446 4.1.2 has the client send after a HelloRetryRequest: the same ClientHello with the
 * cookie added and, when a group was asked for, a key_share of that group only (a 32-byte X25519
 * or 65-byte P-256 value: the check does not look inside it).
 */
function clientHello2(hello1: ClientHello, hrr: ServerHello, change: Partial<ClientHello> = {}): Uint8Array {
  const cookie = findExtension(hrr.extensions, ExtensionType.cookie);
  if (cookie === undefined) throw new Error('HelloRetryRequest without cookie');
  const asked = findExtension(hrr.extensions, ExtensionType.key_share);
  const extensions: Extension[] = hello1.extensions.filter((e) => e.type !== ExtensionType.pre_shared_key && (asked === undefined || e.type !== ExtensionType.key_share));
  if (asked !== undefined) {
    const group = decodeKeyShareHelloRetryRequest(asked.data);
    extensions.push({ type: ExtensionType.key_share, data: encodeKeyShareClientHello([{ group, keyExchange: new Uint8Array(group === 0x1d ? 32 : 65).fill(4) }]) });
  }
  extensions.push({ type: ExtensionType.cookie, data: cookie.data });
  const body = encodeClientHello({ ...hello1, extensions, ...change });
  return encodeRecord(
    { type: ContentType.handshake, version: DTLS_1_2, epoch: 0, sequenceNumber: 1 },
    encodeHandshakeFragment({ msgType: HandshakeType.client_hello, length: body.length, messageSeq: 1, fragmentOffset: 0, body }),
  );
}

const check13 = (): CookieCheck => new CookieCheck({ cookieRotationMs: ROTATION, maxVersion: 'DTLSv1.3' });

describe('DTLS 1.3 HelloRetryRequest cookie (RFC 9147 5.1): the first ClientHello', () => {
  it("answers wolfSSL's ClientHello with a HelloRetryRequest carrying a cookie, and keeps nothing", () => {
    const { datagram, hello } = wolfsslClientHello1('ecdsa');
    const { hrr, recordSeq, messageSeq, datagram: reply } = helloRetryRequestOf(check13().verify(datagram, PEER, 0));
    expect(isHelloRetryRequest(hrr)).toBe(true);
    expect(hrr.serverVersion).toBe(DTLS_1_2);
    expect(hrr.sessionId).toEqual(hello.sessionId);
    expect(hrr.cipherSuite).toBe(0x1301);
    const versions = findExtension(hrr.extensions, ExtensionType.supported_versions);
    expect(versions && decodeSupportedVersionsServerHello(versions.data)).toBe(DTLS_1_3);
    const cookie = findExtension(hrr.extensions, ExtensionType.cookie);
    expect(cookie && decodeCookie(cookie.data).length).toBe(1 + 2 + 2 + 32 + 16);
    // wolfSSL sent a share of a group we run: nothing to ask for.
    expect(findExtension(hrr.extensions, ExtensionType.key_share)).toBeUndefined();
    // RFC 6347 4.2.1's rule for HelloVerifyRequest, kept: the ClientHello's record and message numbers.
    expect(recordSeq).toBe(0);
    expect(messageSeq).toBe(0);
    expect(reply.length).toBeLessThanOrEqual(datagram.length);
  });

  it('asks for a group when the key_share has none we run (wolfSSL -J: no share at all), within the 145 bytes it sent', () => {
    const { datagram } = wolfsslClientHello1('hrr-key-share');
    expect(datagram.length).toBe(145);
    const { hrr, datagram: reply } = helloRetryRequestOf(check13().verify(datagram, PEER, 0));
    const asked = findExtension(hrr.extensions, ExtensionType.key_share);
    // P-256: the first of our groups in its supported_groups (this wolfSSL build has no X25519).
    expect(asked && decodeKeyShareHelloRetryRequest(asked.data)).toBe(0x17);
    expect(reply.length).toBeLessThanOrEqual(145);
  });

  it('drops rather than answer with more bytes than the ClientHello (amplification)', () => {
    // A 1.3 ClientHello cut to the bone, offering only a SHA-384 suite: its cookie holds a 48-byte hash.
    const body = encodeClientHello({
      clientVersion: DTLS_1_2,
      random: new Uint8Array(32).fill(7),
      sessionId: new Uint8Array(0),
      cookie: new Uint8Array(0),
      cipherSuites: [0x1302],
      compressionMethods: [0],
      extensions: [
        { type: ExtensionType.supported_versions, data: encodeSupportedVersionsClientHello([DTLS_1_3]) },
        { type: ExtensionType.supported_groups, data: fromHex('0002001d') },
      ],
    });
    const datagram = encodeRecord(
      { type: ContentType.handshake, version: DTLS_1_2, epoch: 0, sequenceNumber: 0 },
      encodeHandshakeFragment({ msgType: HandshakeType.client_hello, length: body.length, messageSeq: 0, fragmentOffset: 0, body }),
    );
    const result = check13().verify(datagram, PEER, 0);
    expect(result).toMatchObject({ type: 'drop', code: 'amplification' });
  });

  it('refuses a DTLS 1.3 ClientHello with a legacy_cookie (RFC 9147 5.3: illegal_parameter), or no suite in common (handshake_failure)', () => {
    const { hello } = wolfsslClientHello1('ecdsa');
    const cases: Array<[Partial<ClientHello>, AlertDescription]> = [
      [{ cookie: new Uint8Array(8) }, AlertDescription.illegal_parameter],
      [{ cipherSuites: [0xc02b] }, AlertDescription.handshake_failure],
    ];
    for (const [change, alert] of cases) {
      const body = encodeClientHello({ ...hello, ...change });
      const datagram = encodeRecord(
        { type: ContentType.handshake, version: DTLS_1_2, epoch: 0, sequenceNumber: 0 },
        encodeHandshakeFragment({ msgType: HandshakeType.client_hello, length: body.length, messageSeq: 0, fragmentOffset: 0, body }),
      );
      const result = check13().verify(datagram, PEER, 0);
      if (result.type !== 'reply') throw new Error(`expected an alert, got ${result.type}`);
      const [record] = splitRecords(result.datagram);
      expect(record?.header.type).toBe(ContentType.alert);
      expect(Array.from(record?.fragment ?? [])).toEqual([2, alert]);
    }
  });

  it('answers as DTLS 1.2 (a HelloVerifyRequest) with maxVersion DTLSv1.2, and with a HelloRetryRequest by default (1.3 preferred)', () => {
    const { datagram } = wolfsslClientHello1('ecdsa');
    const firstHandshakeType = (check: CookieCheck): number | undefined => {
      const result = check.verify(datagram, PEER, 0);
      if (result.type !== 'reply') throw new Error(`expected a reply, got ${result.type}`);
      return splitRecords(result.datagram)[0]?.fragment[0];
    };
    expect(firstHandshakeType(new CookieCheck({ cookieRotationMs: ROTATION, maxVersion: 'DTLSv1.2' }))).toBe(HandshakeType.hello_verify_request);
    // RFC 9147 5.1: the HelloRetryRequest is a ServerHello with its special random.
    expect(firstHandshakeType(new CookieCheck({ cookieRotationMs: ROTATION }))).toBe(HandshakeType.server_hello);
  });
});

describe('DTLS 1.3 HelloRetryRequest cookie (RFC 9147 5.1): the second ClientHello', () => {
  function exchange(scenario: string): { check: CookieCheck; hello: ClientHello; body: Uint8Array; hrr: ServerHello } {
    const check = check13();
    const { datagram, hello, body } = wolfsslClientHello1(scenario);
    return { check, hello, body, hrr: helloRetryRequestOf(check.verify(datagram, PEER, 0)).hrr };
  }

  it('verifies and brings back the suite, the asked group and Hash(ClientHello1) for the transcript (RFC 8446 4.4.1)', () => {
    for (const scenario of ['ecdsa', 'hrr-key-share']) {
      const { check, hello, body, hrr } = exchange(scenario);
      const result = check.verify(clientHello2(hello, hrr), PEER, 1000);
      if (result.type !== 'verified') throw new Error(`${scenario}: expected verified, got ${result.type}`);
      const transcriptForm = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
      expect(result.hello.dtls13?.cipherSuite).toBe(0x1301);
      expect(result.hello.dtls13?.selectedGroup).toBe(scenario === 'ecdsa' ? undefined : 0x17);
      expect(Buffer.from(result.hello.dtls13?.clientHello1Hash ?? [])).toEqual(createHash('sha256').update(transcriptForm).digest());
      expect(result.hello.dtls13?.cookie).toEqual(decodeCookie(findExtension(hrr.extensions, ExtensionType.cookie)?.data ?? new Uint8Array(0)));
      expect(result.hello.messageSeq).toBe(1);
    }
  });

  it('drops the cookie from another address', () => {
    const { check, hello, hrr } = exchange('ecdsa');
    expect(check.verify(clientHello2(hello, hrr), '127.0.0.1:40001', 1000)).toMatchObject({ type: 'drop', code: 'badMac' });
  });

  it('drops a forged or altered cookie', () => {
    const { check, hello, hrr } = exchange('hrr-key-share');
    const cookieExt = findExtension(hrr.extensions, ExtensionType.cookie);
    if (cookieExt === undefined) throw new Error('no cookie');
    for (const at of [2 /* format */, 4 /* suite */, 6 /* group */, 10 /* hash */, cookieExt.data.length - 1 /* tag */]) {
      const data = cookieExt.data.slice();
      data[at] = (data[at] ?? 0) ^ 1;
      const altered: ServerHello = { ...hrr, extensions: hrr.extensions.map((e) => (e === cookieExt ? { type: e.type, data } : e)) };
      expect(check.verify(clientHello2(hello, altered), PEER, 1000), `byte ${at}`).toMatchObject({ type: 'drop', code: 'badMac' });
    }
    // A cookie of another check (another secret) never verifies either.
    expect(check13().verify(clientHello2(hello, hrr), PEER, 1000)).toMatchObject({ type: 'drop', code: 'badMac' });
  });

  it("drops a cookie replayed in another client's ClientHello (another random, session_id or suite list)", () => {
    const { check, hello, hrr } = exchange('ecdsa');
    expect(check.verify(clientHello2(hello, hrr, { random: new Uint8Array(32).fill(9) }), PEER, 1000)).toMatchObject({ type: 'drop', code: 'badMac' });
    expect(check.verify(clientHello2(hello, hrr, { sessionId: new Uint8Array(32).fill(1) }), PEER, 1000)).toMatchObject({ type: 'drop', code: 'badMac' });
    expect(check.verify(clientHello2(hello, hrr, { cipherSuites: [0x1301, 0x1302] }), PEER, 1000)).toMatchObject({ type: 'drop', code: 'badMac' });
  });

  it('accepts a cookie up to one rotation old and drops it after two (expired)', () => {
    const { check, hello, hrr } = exchange('ecdsa');
    const second = clientHello2(hello, hrr);
    expect(check.verify(second, PEER, ROTATION + 1).type).toBe('verified');
    expect(check.verify(second, PEER, 2 * ROTATION + 2)).toMatchObject({ type: 'drop', code: 'badMac' });
  });
});
