/**
 * The connection's RecordLayer switched to DTLS 1.3 (RecordLayer.enterDtls13, RFC 9147 4) reads
 * every record of the sessions wolfSSL 5.5.4's example client and server had with each other
 * (test/fixtures/wolfssl13, README there for the exact commands: `./examples/server/server -u -v 4
 * ... -p PORT -d` and `./examples/client/client -u -v 4 ... -h 127.0.0.1 -p RELAY_PORT -d -x`,
 * with -s for PSK, -l for the suite, --cid, -U/-I for KeyUpdate, -u300 for small datagrams, -J for
 * the HelloRetryRequest asking for a group).
 *
 * The keys come from the session's key log through OUR key schedule (trafficKeys13: RFC 8446 7.3
 * with RFC 9147 5.9's "dtls13" prefix, and the sn_key of RFC 9147 4.2.3; the next generation of
 * the application secret after a KeyUpdate, RFC 8446 7.2) and are set as a client or server
 * would: the handshake epoch once the ServerHello is read, the application epoch once the
 * sender's Finished is read, epoch 4 once its KeyUpdate is. Records that arrive before their keys
 * are held and come back from setReadKeys (RFC 9147 4.2.1). Every record must open (none dropped,
 * none failing authentication), the handshake messages reassembled from them must decode with our
 * codecs, the ACKs must name records the other side sent (RFC 9147 7), and the application data
 * must be what the two programs printed.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/bytes.js';
import { DTLS13_LABEL_PREFIX, type LabelledHkdf } from '../../src/crypto/hkdf-label.js';
import { nobleCryptoProvider } from '../../src/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { nextApplicationTrafficSecret, trafficKeys13 } from '../../src/crypto/traffic-keys-13.js';
import { HandshakeReassembler } from '../../src/handshake/common/reassembler.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { decodeCertificate13 } from '../../src/handshake/messages/certificate-13.js';
import { decodeCertificateRequest13 } from '../../src/handshake/messages/certificate-request-13.js';
import { decodeCertificateVerify13 } from '../../src/handshake/messages/certificate-verify-13.js';
import { decodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { offersDtls13 } from '../../src/handshake/messages/client-hello-13.js';
import { decodeEncryptedExtensions } from '../../src/handshake/messages/encrypted-extensions.js';
import { decodeFinished13 } from '../../src/handshake/messages/finished-13.js';
import { decodeKeyUpdate } from '../../src/handshake/messages/key-update.js';
import { decodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { isHelloRetryRequest } from '../../src/handshake/messages/server-hello-13.js';
import { decodeAck } from '../../src/record/ack.js';
import { dtls13EpochKeys } from '../../src/record/dtls13-epoch-keys.js';
import type { ReadRecord } from '../../src/record/record-layer.js';
import { RecordLayer } from '../../src/record/record-layer.js';
import { tls13CipherSuiteByName } from '../../src/suites/tls13-cipher-suites.js';
import type { Tls13CipherSuite } from '../../src/suites/tls13-cipher-suites.js';
import { loadWolfssl13Fixture, wolfssl13FixtureNames } from '../interop/wolfssl13-fixture.js';
import type { Wolfssl13Fixture } from '../interop/wolfssl13-fixture.js';

type Dir = 'c2s' | 's2c';
const HS = { clientHello: 1, serverHello: 2, newSessionTicket: 4, encryptedExtensions: 8, certificate: 11, certificateRequest: 13, certificateVerify: 15, finished: 20, keyUpdate: 24 } as const;

interface Side {
  readonly layer: RecordLayer;
  readonly reassembler: HandshakeReassembler;
  /** Message types in message_seq order. */
  readonly messages: number[];
  readonly records: ReadRecord[];
  readonly appData: string[];
  /** The traffic secret of each epoch this side's reader has keys for. */
  readonly secrets: Map<number, Uint8Array>;
}

function keylogSecret(fixture: Wolfssl13Fixture, label: string): Uint8Array {
  const line = fixture.keylog.find((k) => k.label === label);
  if (line === undefined) throw new Error(`${fixture.scenario}: no ${label} in the key log`);
  return fromHex(line.secret);
}

function replay(fixture: Wolfssl13Fixture, provider: CryptoProvider): Record<Dir, Side> {
  const suite: Tls13CipherSuite | undefined = tls13CipherSuiteByName(fixture.client.cipher ?? '');
  if (suite === undefined) throw new Error(`${fixture.scenario}: unknown suite ${fixture.client.cipher}`);
  const kdf: LabelledHkdf = { provider, hash: suite.hash, labelPrefix: DTLS13_LABEL_PREFIX };
  // wolfSSL 5.5.4 reads the ChaCha20 mask counter big-endian (fixture README, "Peer quirks").
  const chacha20MaskCounter = suite.aead === 'chacha20-poly1305' ? 'big-endian' : 'little-endian';
  const side = (cid: string): Side => {
    const layer = new RecordLayer();
    layer.enterDtls13({ receiveConnectionId: fromHex(cid), chacha20MaskCounter });
    return { layer, reassembler: new HandshakeReassembler(), messages: [], records: [], appData: [], secrets: new Map() };
  };
  const sides: Record<Dir, Side> = { c2s: side(fixture.connectionIds.clientToServer), s2c: side(fixture.connectionIds.serverToClient) };
  const secretsOf: Record<Dir, Record<2 | 3, Uint8Array>> = {
    c2s: { 2: keylogSecret(fixture, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'), 3: keylogSecret(fixture, 'CLIENT_TRAFFIC_SECRET_0') },
    s2c: { 2: keylogSecret(fixture, 'SERVER_HANDSHAKE_TRAFFIC_SECRET'), 3: keylogSecret(fixture, 'SERVER_TRAFFIC_SECRET_0') },
  };

  const take = (dir: Dir, records: readonly ReadRecord[]): void => {
    const s = sides[dir];
    for (const r of records) {
      s.records.push(r);
      if (r.type === 23) s.appData.push(new TextDecoder().decode(r.payload));
      if (r.type !== 22) continue;
      for (const f of decodeHandshakeFragments(r.payload)) s.reassembler.add(f);
      for (let m = s.reassembler.poll(); m !== undefined; m = s.reassembler.poll()) {
        s.messages.push(m.msgType);
        decodeMessage(m.msgType, m.body, suite);
        // The keys a peer would now set (RFC 8446 7, RFC 9147 6.1: epoch 2 handshake, 3 application, 4.. updates).
        if (m.msgType === HS.serverHello && !isHelloRetryRequest(decodeServerHello(m.body))) {
          for (const d of ['c2s', 's2c'] as const) install(d, 2, secretsOf[d][2]);
        } else if (m.msgType === HS.finished) {
          install(dir, 3, secretsOf[dir][3]);
        } else if (m.msgType === HS.keyUpdate) {
          const epoch = s.layer.readEpoch + 1;
          const previous = s.secrets.get(epoch - 1);
          if (previous === undefined) throw new Error('a KeyUpdate before the application epoch');
          install(dir, epoch, nextApplicationTrafficSecret(kdf, previous));
        }
      }
    }
  };
  const install = (dir: Dir, epoch: number, secret: Uint8Array): void => {
    const layer = sides[dir].layer.dtls13Records;
    if (layer === undefined) throw new Error('not in DTLS 1.3 mode');
    sides[dir].secrets.set(epoch, secret);
    const traffic = trafficKeys13(kdf, secret, suite.keyLength, suite.ivLength);
    const released = layer.setReadKeys(epoch, dtls13EpochKeys(provider, suite.aead, traffic));
    take(dir, released.map((r) => ({ type: r.type, epoch: r.epoch, sequenceNumber: r.sequenceNumber, payload: r.content, authenticated: r.authenticated })));
  };

  for (const d of fixture.datagrams) {
    const dir: Dir = d.direction === 'client-to-server' ? 'c2s' : 's2c';
    take(dir, sides[dir].layer.open(fromHex(d.hex)));
  }
  return sides;
}

/** Each message through our codec (a DecodeError fails the test). */
function decodeMessage(type: number, body: Uint8Array, suite: Tls13CipherSuite): void {
  switch (type) {
    case HS.clientHello:
      expect(offersDtls13(decodeClientHello(body))).toBe(true);
      break;
    case HS.serverHello:
      expect(decodeServerHello(body).cipherSuite).toBe(suite.id);
      break;
    case HS.encryptedExtensions:
      decodeEncryptedExtensions(body);
      break;
    case HS.certificate:
      expect(decodeCertificate13(body).entries.length).toBeGreaterThan(0);
      break;
    case HS.certificateRequest:
      decodeCertificateRequest13(body);
      break;
    case HS.certificateVerify:
      decodeCertificateVerify13(body);
      break;
    case HS.finished:
      expect(decodeFinished13(body, suite.hash === 'sha384' ? 48 : 32).length).toBe(suite.hash === 'sha384' ? 48 : 32);
      break;
    case HS.keyUpdate:
      decodeKeyUpdate(body);
      break;
    default:
      throw new Error(`unexpected handshake message type ${type}`);
  }
}

const CERTIFICATE_SCENARIOS = new Set(['ecdsa', 'ecdsa-client-auth', 'ecdsa-mtu', 'hrr-key-share', 'rsa']);

describe('RecordLayer in DTLS 1.3 mode reads wolfSSL 5.5.4 sessions with keys from our key schedule (RFC 9147 4)', () => {
  const names = wolfssl13FixtureNames();
  it('has the twelve captures', () => {
    expect(names.length).toBe(12);
  });
  for (const name of names) {
    for (const provider of [nodeCryptoProvider, nobleCryptoProvider]) {
      it(`${name} (${provider.name})`, () => {
        const fixture = loadWolfssl13Fixture(name);
        const sides = replay(fixture, provider);
        for (const dir of ['c2s', 's2c'] as const) {
          const stats = sides[dir].layer.stats;
          // Every record of the capture opened: nothing dropped, nothing failed authentication, nothing left held.
          expect({ dir, dropped: stats.dropped, badMac: stats.badMac, held: sides[dir].layer.heldCount }).toEqual({ dir, dropped: 0, badMac: 0, held: 0 });
          expect(sides[dir].records.every((r) => r.epoch === 0 || r.authenticated)).toBe(true);
        }
        const c = sides.c2s.messages;
        const s = sides.s2c.messages;
        // RFC 9147 5.1: wolfSSL's server always answers the first ClientHello with a HelloRetryRequest.
        expect(c.slice(0, 2)).toEqual([HS.clientHello, HS.clientHello]);
        expect(s.slice(0, 3)).toEqual([HS.serverHello, HS.serverHello, HS.encryptedExtensions]);
        expect(s).toContain(HS.finished);
        expect(c).toContain(HS.finished);
        if (CERTIFICATE_SCENARIOS.has(name)) {
          expect(s).toEqual(expect.arrayContaining([HS.certificate, HS.certificateVerify]));
        } else {
          expect(s).not.toContain(HS.certificate);
        }
        if (name === 'ecdsa-client-auth') {
          expect(s).toContain(HS.certificateRequest);
          expect(c).toEqual(expect.arrayContaining([HS.certificate, HS.certificateVerify]));
        }
        if (name === 'key-update') {
          // Each side's KeyUpdate moved its records to epoch 4 (RFC 9147 8).
          for (const dir of ['c2s', 's2c'] as const) {
            expect(sides[dir].messages).toContain(HS.keyUpdate);
            expect(sides[dir].records.some((r) => r.epoch === 4)).toBe(true);
          }
        }
        expect(sides.c2s.appData).toContain('hello wolfssl!');
        expect(sides.s2c.appData).toContain('I hear you fa shizzle!');
        // RFC 9147 7: the ACKs (content type 26 passed up) name protected records the other direction sent.
        let named = 0;
        for (const [dir, other] of [['c2s', 's2c'], ['s2c', 'c2s']] as const) {
          for (const ack of sides[dir].records.filter((r) => r.type === 26)) {
            for (const n of decodeAck(ack.payload)) {
              expect(sides[other].records.some((r) => r.epoch === n.epoch && r.sequenceNumber === n.sequenceNumber), `${dir} ACK ${n.epoch}:${n.sequenceNumber}`).toBe(true);
              named++;
            }
          }
        }
        expect(named).toBeGreaterThan(0);
      });
    }
  }
});
