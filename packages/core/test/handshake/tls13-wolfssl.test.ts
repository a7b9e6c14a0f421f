import { describe, expect, it } from 'vitest';
import { bytesEqual, toHex, utf8 } from '../../src/bytes.js';
import { decodeConnectionId } from '../../src/handshake/extensions/connection-id.js';
import { decodeCookie } from '../../src/handshake/extensions/cookie.js';
import type { Extension } from '../../src/handshake/extensions/extension.js';
import { findExtension } from '../../src/handshake/extensions/extension.js';
import { checkExtensionsPermitted } from '../../src/handshake/extensions/extension-permissions.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import {
  checkHelloRetryGroup,
  checkKeySharesFollowGroups,
  checkServerShareGroup,
  decodeKeyShareClientHello,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
} from '../../src/handshake/extensions/key-share.js';
import { checkPreSharedKeyLast, checkSelectedIdentity, decodeOfferedPsks, decodePreSharedKeyServerHello } from '../../src/handshake/extensions/pre-shared-key.js';
import { decodePskKeyExchangeModes, PskKeyExchangeMode } from '../../src/handshake/extensions/psk-key-exchange-modes.js';
import { decodeSupportedGroups } from '../../src/handshake/extensions/supported-groups.js';
import {
  checkSelectedVersion,
  decodeSupportedVersionsClientHello,
  decodeSupportedVersionsServerHello,
} from '../../src/handshake/extensions/supported-versions.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeCertificate13, encodeCertificate13 } from '../../src/handshake/messages/certificate-13.js';
import type { CertificateRequest13 } from '../../src/handshake/messages/certificate-request-13.js';
import { decodeCertificateRequest13, encodeCertificateRequest13 } from '../../src/handshake/messages/certificate-request-13.js';
import { decodeCertificateVerify13, encodeCertificateVerify13 } from '../../src/handshake/messages/certificate-verify-13.js';
import type { ClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { checkDtls13ClientHello, offersDtls13 } from '../../src/handshake/messages/client-hello-13.js';
import { checkDowngradeSentinel, downgradeSentinelOf } from '../../src/handshake/messages/downgrade-sentinel.js';
import { decodeEncryptedExtensions, encodeEncryptedExtensions } from '../../src/handshake/messages/encrypted-extensions.js';
import { decodeFinished13, encodeFinished13 } from '../../src/handshake/messages/finished-13.js';
import { decodeKeyUpdate, encodeKeyUpdate, KeyUpdateRequest } from '../../src/handshake/messages/key-update.js';
import { truncateClientHelloBinders } from '../../src/handshake/messages/partial-client-hello.js';
import type { ServerHello } from '../../src/handshake/messages/server-hello.js';
import { decodeServerHello, encodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { checkDtls13ServerHello, checkHelloRetryRequestAsksForChange, checkServerCipherSuite } from '../../src/handshake/messages/server-hello-13.js';
import { DTLS_1_3 } from '../../src/handshake/protocol-version.js';
import type { Direction, Wolfssl13Fixture } from '../interop/wolfssl13-fixture.js';
import { fromHex, handshakeFragments, loadWolfssl13Fixture, openRecords, plaintextRecords, TLS13_SUITES, wolfssl13FixtureNames } from '../interop/wolfssl13-fixture.js';

/*
 * The 1.3 codecs against wolfSSL 5.5.4's own DTLS 1.3 bytes: sessions between its example client
 * and server recorded by i17-wolfssl (test/fixtures/wolfssl13/README.md gives every command, e.g.
 * `./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -p PORT -d` and
 * `./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p RELAY_PORT -d -x`).
 * The hellos are read from the plaintext records; the rest from the records opened with the key
 * log by the fixture's reader (test/interop/wolfssl13-fixture.ts, independent of src/). Every
 * message wolfSSL sent is decoded, checked by the RFC 9147 / RFC 8446 rules, and re-encoded to
 * the same bytes.
 */

interface Message {
  direction: Direction;
  type: number;
  body: Uint8Array;
}

/** Every handshake message of the session, in order, fragments joined, retransmissions dropped. */
function handshakeMessages(fixture: Wolfssl13Fixture): Message[] {
  const fragments: Array<{ direction: Direction; content: Uint8Array }> = [];
  for (const d of fixture.datagrams) {
    for (const r of plaintextRecords(fromHex(d.hex)).records) if (r.type === 22) fragments.push({ direction: d.direction, content: r.fragment });
  }
  const chacha = fixture.scenario === 'psk-chacha20' ? 'big-endian' : 'little-endian'; // README: wolfSSL 5.5.4's ChaCha20 mask quirk
  for (const r of openRecords(fixture, chacha)) if (r.type === 22) fragments.push({ direction: r.direction, content: r.content });
  const out: Message[] = [];
  const partial = new Map<string, { message: Message; filled: number }>();
  const done = new Set<string>();
  for (const { direction, content } of fragments) {
    for (const f of handshakeFragments(content)) {
      const key = `${direction}:${f.messageSeq}`;
      if (done.has(key)) continue;
      let p = partial.get(key);
      if (p === undefined) {
        p = { message: { direction, type: f.msgType, body: new Uint8Array(f.length) }, filled: 0 };
        partial.set(key, p);
        out.push(p.message);
      }
      p.message.body.set(f.body, f.fragmentOffset);
      p.filled += f.fragmentLength;
      if (p.filled >= f.length) done.add(key);
    }
  }
  for (const key of partial.keys()) expect(done.has(key), `message ${key} incomplete`).toBe(true);
  return out;
}

const ext = (list: readonly Extension[], type: ExtensionType): Uint8Array | undefined => findExtension(list, type)?.data;
const types = (list: readonly Extension[]): number[] => list.map((e) => e.type);

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`missing ${what}`);
  return v;
}

describe('DTLS 1.3 codecs against wolfSSL 5.5.4 captures', () => {
  const names = wolfssl13FixtureNames();

  it('the captures are there (12 scenarios)', () => {
    expect(names.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of names) {
    it(`${name}: every handshake message decodes, passes the 1.3 checks and re-encodes to wolfSSL's bytes`, () => {
      const fixture = loadWolfssl13Fixture(name);
      const suite = must(TLS13_SUITES[fixture.client.cipher ?? ''], 'suite');
      const messages = handshakeMessages(fixture);
      const clientHellos: ClientHello[] = [];
      const serverHellos: ServerHello[] = [];
      let certificateRequest: CertificateRequest13 | undefined;
      const seen: number[] = [];

      for (const m of messages) {
        seen.push(m.type);
        const lastClientHello = clientHellos[clientHellos.length - 1];
        switch (m.type) {
          case HandshakeType.client_hello: {
            const ch = decodeClientHello(m.body);
            expect(encodeClientHello(ch)).toEqual(m.body);
            expect(ch.clientVersion).toBe(0xfefd);
            checkDtls13ClientHello(ch);
            expect(offersDtls13(ch)).toBe(true);
            checkExtensionsPermitted('CH', ch.extensions);
            checkPreSharedKeyLast(ch.extensions);
            const groups = ext(ch.extensions, ExtensionType.supported_groups);
            const shares = ext(ch.extensions, ExtensionType.key_share);
            if (shares !== undefined && groups !== undefined) checkKeySharesFollowGroups(decodeKeyShareClientHello(shares), decodeSupportedGroups(groups));
            const psk = ext(ch.extensions, ExtensionType.pre_shared_key);
            if (psk !== undefined) {
              const offered = decodeOfferedPsks(psk);
              // wolfSSL 5.5.4's example client names its TLS 1.3 PSK "Client_identity" plus the suite's hash.
              expect(offered.identities.map((i) => i.identity)).toContainEqual(utf8(`Client_identity${suite.hash.toUpperCase()}`));
              expect(decodePskKeyExchangeModes(must(ext(ch.extensions, ExtensionType.psk_key_exchange_modes), 'psk_key_exchange_modes'))).toContain(
                name === 'psk-ke' ? PskKeyExchangeMode.psk_ke : PskKeyExchangeMode.psk_dhe_ke,
              );
              const cut = truncateClientHelloBinders(m.body);
              expect(m.body.length - cut.length).toBe(offered.binders.reduce((n, b) => n + 1 + b.length, 2));
            }
            clientHellos.push(ch);
            break;
          }
          case HandshakeType.server_hello: {
            const ch = must(lastClientHello, 'ClientHello before ServerHello');
            const sh = decodeServerHello(m.body);
            expect(encodeServerHello(sh)).toEqual(m.body);
            const kind = checkDtls13ServerHello(sh, ch.sessionId);
            const offered = decodeSupportedVersionsClientHello(must(ext(ch.extensions, ExtensionType.supported_versions), 'supported_versions'));
            checkSelectedVersion(decodeSupportedVersionsServerHello(must(ext(sh.extensions, ExtensionType.supported_versions), 'supported_versions')), offered);
            const chShares = decodeKeyShareClientHello(ext(ch.extensions, ExtensionType.key_share) ?? Uint8Array.of(0, 0));
            if (kind === 'hello_retry_request') {
              expect(serverHellos).toHaveLength(0);
              checkExtensionsPermitted('HRR', sh.extensions, types(ch.extensions));
              checkHelloRetryRequestAsksForChange(sh);
              const group = ext(sh.extensions, ExtensionType.key_share);
              if (group !== undefined) {
                const groups = decodeSupportedGroups(must(ext(ch.extensions, ExtensionType.supported_groups), 'supported_groups'));
                checkHelloRetryGroup(decodeKeyShareHelloRetryRequest(group), groups, chShares);
              }
            } else {
              checkExtensionsPermitted('SH', sh.extensions, types(ch.extensions));
              checkDowngradeSentinel(sh.random, DTLS_1_3, true);
              expect(downgradeSentinelOf(sh.random)).toBeUndefined();
              const share = ext(sh.extensions, ExtensionType.key_share);
              const hrr = serverHellos[0];
              const retryGroupData = hrr === undefined ? undefined : ext(hrr.extensions, ExtensionType.key_share);
              const retryGroup = retryGroupData === undefined ? undefined : decodeKeyShareHelloRetryRequest(retryGroupData);
              if (share !== undefined) checkServerShareGroup(decodeKeyShareServerHello(share).group, chShares, retryGroup);
              const psk = ext(sh.extensions, ExtensionType.pre_shared_key);
              if (psk !== undefined) checkSelectedIdentity(decodePreSharedKeyServerHello(psk), decodeOfferedPsks(must(ext(ch.extensions, ExtensionType.pre_shared_key), 'psk')).identities.length);
            }
            checkServerCipherSuite(sh.cipherSuite, ch.cipherSuites, serverHellos[0]?.cipherSuite);
            if (kind === 'server_hello') expect(sh.cipherSuite).toBe(suite.id);
            serverHellos.push(sh);
            break;
          }
          case HandshakeType.encrypted_extensions: {
            const ee = decodeEncryptedExtensions(m.body);
            expect(encodeEncryptedExtensions(ee)).toEqual(m.body);
            checkExtensionsPermitted('EE', ee.extensions, types(must(lastClientHello, 'ClientHello').extensions));
            break;
          }
          case HandshakeType.certificate_request: {
            expect(m.direction).toBe('server-to-client');
            const cr = decodeCertificateRequest13(m.body);
            expect(encodeCertificateRequest13(cr)).toEqual(m.body);
            checkExtensionsPermitted('CR', cr.extensions);
            certificateRequest = cr;
            break;
          }
          case HandshakeType.certificate: {
            const cert = decodeCertificate13(m.body);
            expect(encodeCertificate13(cert)).toEqual(m.body);
            expect(cert.entries.length).toBeGreaterThan(0);
            // RFC 8446 4.4.2: a server's answers the ClientHello, a client's the CertificateRequest
            // (and echoes its context).
            const request = m.direction === 'client-to-server' ? must(certificateRequest, 'CertificateRequest') : undefined;
            expect(cert.context).toEqual(request?.context ?? new Uint8Array(0));
            for (const e of cert.entries) {
              expect(e.data[0]).toBe(0x30); // a DER SEQUENCE
              checkExtensionsPermitted('CT', e.extensions, types(request?.extensions ?? must(lastClientHello, 'ClientHello').extensions));
            }
            break;
          }
          case HandshakeType.certificate_verify: {
            const cv = decodeCertificateVerify13(m.body);
            expect(encodeCertificateVerify13(cv)).toEqual(m.body);
            // rsa_pss_rsae_sha256 for wolfSSL's RSA key, ecdsa_secp256r1_sha256 for the P-256 ones.
            expect(cv.scheme).toBe(name === 'rsa' && m.direction === 'server-to-client' ? 0x0804 : 0x0403);
            break;
          }
          case HandshakeType.finished: {
            const verifyData = decodeFinished13(m.body, suite.hashLength);
            expect(encodeFinished13(verifyData)).toEqual(m.body);
            break;
          }
          case HandshakeType.key_update: {
            const request = decodeKeyUpdate(m.body);
            expect(encodeKeyUpdate(request)).toEqual(m.body);
            break;
          }
          default:
            throw new Error(`${name}: wolfSSL sent handshake type ${m.type}, which this test does not expect`);
        }
      }

      // Every capture: the stateless cookie exchange of RFC 9147 5.1 (README), then the 1-RTT flights.
      expect(seen.slice(0, 4)).toEqual([HandshakeType.client_hello, HandshakeType.server_hello, HandshakeType.client_hello, HandshakeType.server_hello]);
      const [ch1, ch2] = clientHellos;
      const [hrr, sh] = serverHellos;
      expect(checkDtls13ServerHello(must(hrr, 'HRR'), must(ch1, 'ClientHello1').sessionId)).toBe('hello_retry_request');
      expect(checkDtls13ServerHello(must(sh, 'ServerHello'), must(ch2, 'ClientHello2').sessionId)).toBe('server_hello');
      const cookie = decodeCookie(must(ext(must(hrr, 'HRR').extensions, ExtensionType.cookie), 'HRR cookie'));
      expect(decodeCookie(must(ext(must(ch2, 'ClientHello2').extensions, ExtensionType.cookie), 'echoed cookie'))).toEqual(cookie);
      expect(seen).toContain(HandshakeType.encrypted_extensions);
      expect(seen.filter((t) => t === HandshakeType.finished)).toHaveLength(2);
      if (name.startsWith('ecdsa') || name === 'hrr-key-share' || name === 'rsa') {
        expect(seen).toContain(HandshakeType.certificate);
        expect(seen).toContain(HandshakeType.certificate_verify);
      }
      if (name === 'ecdsa-client-auth') {
        expect(certificateRequest).toBeDefined();
        const fromClient = messages.filter((m) => m.direction === 'client-to-server').map((m) => m.type);
        expect(fromClient).toContain(HandshakeType.certificate);
        expect(fromClient).toContain(HandshakeType.certificate_verify);
      } else {
        expect(certificateRequest).toBeUndefined();
      }
      if (name === 'hrr-key-share') {
        expect(ext(must(ch1, 'ClientHello1').extensions, ExtensionType.key_share)).toBeDefined();
        expect(decodeKeyShareClientHello(must(ext(must(ch1, 'ClientHello1').extensions, ExtensionType.key_share), 'key_share'))).toEqual([]);
        expect(ext(must(hrr, 'HRR').extensions, ExtensionType.key_share)).toBeDefined();
      }
      if (name === 'key-update') {
        // Client (-I) and server (-U) each send update_requested, and each answers the other's with
        // update_not_requested (RFC 8446 4.6.3).
        const requests = (direction: Direction): KeyUpdateRequest[] =>
          messages.filter((m) => m.type === HandshakeType.key_update && m.direction === direction).map((m) => decodeKeyUpdate(m.body));
        const directions: Direction[] = ['client-to-server', 'server-to-client'];
        for (const d of directions) {
          expect(requests(d).sort()).toEqual([KeyUpdateRequest.update_not_requested, KeyUpdateRequest.update_requested]);
        }
      }
      if (name === 'psk-ke') expect(ext(must(sh, 'ServerHello').extensions, ExtensionType.key_share)).toBeUndefined();
      if (name === 'cid') {
        // RFC 9147 9 / RFC 9146 3: each hello carries the CID its sender wants to receive.
        const clientCid = decodeConnectionId(must(ext(must(ch2, 'ClientHello2').extensions, ExtensionType.connection_id), 'client connection_id'));
        const serverCid = decodeConnectionId(must(ext(must(sh, 'ServerHello').extensions, ExtensionType.connection_id), 'server connection_id'));
        expect(toHex(clientCid)).toBe(fixture.connectionIds.serverToClient);
        expect(toHex(serverCid)).toBe(fixture.connectionIds.clientToServer);
        expect(bytesEqual(clientCid, serverCid)).toBe(false);
      }
    });
  }
});
