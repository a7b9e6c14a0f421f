/**
 * Raw public keys (RFC 7250) on the simulated network, with the test-only credentials of
 * test-raw-public-keys.ts (openssl-made P-256 keys, pinned byte for byte).
 *
 * Clean network: both ends send a bare SubjectPublicKeyInfo as their Certificate (RFC 7250 3),
 * negotiated with client_certificate_type/server_certificate_type (ours offers and answers
 * them only with raw-key credentials), each end exposes the other's key, not a chain, and an
 * unpinned key ends the handshake with certificate_unknown on the side that checks it.
 *
 * Hostile network: 25% loss each way, duplication, reordering, MTU 200 (the ClientHello with
 * both extensions, flight 4 with the raw Certificate and CertificateRequest, flight 5 with the
 * client's raw Certificate and CertificateVerify all go through retransmissions). Seeds:
 * SIM_RPK_SEEDS (default 60).
 */
import { describe, expect, it } from 'vitest';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { AlertDescription } from '../../src/alert.js';
import { PROVIDERS, SimPair, type PairOptions } from './sim-harness.js';
import { expectFaultsBit, expectSeedsOk, runSeed, sweep } from './sim-sweep.js';
import { records } from '../support/wire.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { ContentType } from '../../src/record/content-type.js';
import { testPki } from '../support/test-certificates.js';
import { clientRpk, serverRpk, spkiOf, type RpkTestOptions } from '../support/test-raw-public-keys.js';

const SUITE = 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';
const SEEDS = Number(process.env.SIM_RPK_SEEDS ?? 60);
const MTU = 200;
const HOSTILE = { loss: 0.25, duplicate: 0.1, reorder: 0.25, reorderDelay: 80 } as const;
const PATIENT_MS = 3_600_000;

function pairOptions(client: RpkTestOptions = {}, server: RpkTestOptions = {}, provider: 'node' | 'noble' = 'node'): PairOptions {
  return {
    suite: SUITE,
    clientProvider: PROVIDERS[provider],
    serverProvider: PROVIDERS[provider],
    record: true,
    client: { x509: clientRpk(client), handshakeTimeoutMs: PATIENT_MS },
    server: { x509: serverRpk(server), handshakeTimeoutMs: PATIENT_MS },
  };
}

/** The whole handshake message bodies of one type sent in one direction, in epoch 0 (clean network). */
function bodies(pair: SimPair, dir: 'AtoB' | 'BtoA', msgType: number): Uint8Array[] {
  return pair.sent
    .filter((s) => s.dir === dir)
    .flatMap((s) => records(s.datagram))
    .filter((r) => r.header.type === ContentType.handshake && r.header.epoch === 0)
    .flatMap((r) => decodeHandshakeFragments(r.fragment))
    .filter((f) => f.msgType === msgType && f.fragmentOffset === 0 && f.body.length === f.length)
    .map((f) => f.body);
}

describe('raw public keys on a clean simulated network', () => {
  for (const provider of ['node', 'noble'] as const) {
    it(`both ends authenticate with pinned raw keys (${provider})`, async () => {
      const pair = new SimPair(pairOptions({}, {}, provider));
      const hs = await pair.handshake();
      expect(pair.client.error).toBeUndefined();
      expect(pair.serverConn?.error).toBeUndefined();
      expect(pair.established).toBe(true);
      expect(hs.time).toBe(60);
      const pki = testPki().ecdsa;
      expect(pair.client.peerRawPublicKey).toEqual(spkiOf(pki.serverKey));
      expect(pair.serverConn?.peerRawPublicKey).toEqual(spkiOf(pki.clientKey));
      expect(pair.client.peerCertificates).toEqual([]);
      expect(pair.serverConn?.authorized).toBe(true);
      // RFC 7250 3: each Certificate is one opaque<1..2^24-1> holding the SPKI.
      const withLength = (spki: Uint8Array): Uint8Array => Uint8Array.from([0, spki.length >> 8, spki.length & 0xff, ...spki]);
      expect(bodies(pair, 'BtoA', HandshakeType.certificate)).toEqual([withLength(spkiOf(pki.serverKey))]);
      expect(bodies(pair, 'AtoB', HandshakeType.certificate)).toEqual([withLength(spkiOf(pki.clientKey))]);
      const data = await pair.exchange('raw ping', 'raw pong');
      expect(data.reason).toBe('until');
      expect(pair.serverLog.data).toEqual(['raw ping']);
    });
  }

  it('a server that does not ask for the client key answers server_certificate_type only', async () => {
    const pair = new SimPair(pairOptions({ clientKey: false }, { clientKey: false }));
    await pair.handshake();
    expect(pair.established).toBe(true);
    expect(pair.serverConn?.peerRawPublicKey).toBeUndefined();
    const hello = bodies(pair, 'BtoA', HandshakeType.server_hello)[0];
    expect(hello).toBeDefined();
    const text = Buffer.from(hello ?? []).toString('hex');
    // server_certificate_type (0x0014), length 1, RawPublicKey (2); no client_certificate_type (0x0013).
    expect(text).toContain('0014000102');
    expect(text).not.toContain('00130001');
  });

  it('the client refuses an unpinned server key: certificate_unknown', async () => {
    const pair = new SimPair(pairOptions({ pinPeer: false }));
    await pair.handshake();
    expect(pair.established).toBe(false);
    expect(pair.client.error?.alert).toBe(AlertDescription.certificate_unknown);
    expect(pair.client.error?.fromPeer).toBe(false);
  });

  it('the server refuses an unpinned client key: certificate_unknown', async () => {
    const pair = new SimPair(pairOptions({}, { pinPeer: false }));
    await pair.handshake();
    expect(pair.established).toBe(false);
    expect(pair.serverConn?.error?.alert).toBe(AlertDescription.certificate_unknown);
    expect(pair.serverConn?.error?.fromPeer).toBe(false);
  });
});

describe(`raw public keys on a hostile network (MTU ${MTU}, 25% loss)`, () => {
  it(`${SEEDS} seeds complete and carry data`, async () => {
    const outcomes = await sweep('rpk', SEEDS, (seed) =>
      runSeed(new SimPair({ ...pairOptions(), seed, mtu: MTU, link: HOSTILE }), seed, { budgetMs: PATIENT_MS + 1_000, measure: () => ({}) }),
    );
    expectSeedsOk(outcomes, MTU);
    expectFaultsBit(outcomes);
  }, 120_000);
});
