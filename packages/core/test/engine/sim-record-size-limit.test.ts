/**
 * Record size limits on the hostile simulated network (the sim-lossy.test.ts link: 25% loss each
 * way, duplication, reordering): with a small record_size_limit (RFC 8449) or max_fragment_length
 * (RFC 6066 4), the server's flight 4 leaves as many small records, fragments of one message across
 * datagrams, and every one of them must be reassembled under loss. Every seed completes, data flows,
 * and no record either side sends after the negotiation is larger than the peer's limit.
 */
import { describe, expect, it } from 'vitest';
import { recordViews } from '../support/wire.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { SimPair, type PairOptions } from './sim-harness.js';
import { expectFaultsBit, expectSeedsOk, runSeed, sweep, type SeedOutcome } from './sim-sweep.js';

const SEEDS = Number(process.env.SIM_SEEDS ?? 200);
const HOSTILE = { loss: 0.25, duplicate: 0.1, reorder: 0.25, reorderDelay: 80 } as const;
const PATIENT = { handshakeTimeoutMs: 3_600_000 } as const;
/** AES-GCM in DTLS 1.2: explicit nonce + tag around a protected record's plaintext. */
const GCM_EXPANSION = 8 + 16;

interface Outcome extends SeedOutcome {
  /** The largest plaintext of any record each side sent after its first flight (the ClientHello, the HelloVerifyRequest). */
  largestFromClient: number;
  largestFromServer: number;
  /** Handshake records sent in fragments. */
  fragmented: number;
}

function plaintext(r: { bytes: Uint8Array; epoch: number }): number {
  return r.bytes.length - 13 - (r.epoch === 0 ? 0 : GCM_EXPANSION);
}

function run(seed: number, options: PairOptions): Promise<Outcome> {
  const pair = new SimPair({ ...options, seed, record: true });
  return runSeed(pair, seed, {
    budgetMs: PATIENT.handshakeTimeoutMs + 1_000,
    measure: () => {
      // Records sent before the peer's hello could carry a limit: the ClientHello (and its retransmissions) and the HelloVerifyRequest.
      const records = (dir: string): { bytes: Uint8Array; epoch: number; msgType: number | undefined; fragmented: boolean }[] =>
        pair.sent.filter((s) => s.dir === dir).flatMap((s) => recordViews(s.datagram)).filter((r) => r.msgType !== 1 && r.msgType !== 3);
      const fromClient = records('AtoB');
      const fromServer = records('BtoA');
      return {
        largestFromClient: Math.max(0, ...fromClient.map(plaintext)),
        largestFromServer: Math.max(0, ...fromServer.map(plaintext)),
        fragmented: [...fromClient, ...fromServer].filter((r) => r.fragmented).length,
      };
    },
  });
}

describe('record size limits under 25% loss, duplication, reordering', () => {
  it(`ECDHE-ECDSA with a client record_size_limit of 64 and a server one of 100: ${SEEDS} seeds`, async () => {
    const suite = 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';
    const outcomes = await sweep(`${suite} rsl 64/100`, SEEDS, (seed) =>
      run(seed, {
        suite,
        mtu: 1200,
        link: HOSTILE,
        client: { ...PATIENT, x509: clientX509(), servername: 'localhost', recordSizeLimit: 64 },
        server: { ...PATIENT, x509: serverX509('ecdsa'), recordSizeLimit: 100 },
      }),
    );
    expectSeedsOk(outcomes, 1200);
    expectFaultsBit(outcomes);
    expect(Math.max(...outcomes.map((o) => o.largestFromServer))).toBeLessThanOrEqual(64);
    expect(Math.max(...outcomes.map((o) => o.largestFromClient))).toBeLessThanOrEqual(100);
    // The Certificate alone is several hundred bytes: fragments in every run.
    expect(outcomes.every((o) => o.fragmented >= 5)).toBe(true);
  }, 300_000);

  it(`ECDHE-ECDSA with max_fragment_length 512 at MTU 1400 (client certificate too): ${SEEDS} seeds`, async () => {
    const suite = 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';
    const outcomes = await sweep(`${suite} mfl 512`, SEEDS, (seed) =>
      run(seed, {
        suite,
        mtu: 1400,
        link: HOSTILE,
        client: { ...PATIENT, x509: clientX509({ cert: 'ecdsa' }), servername: 'localhost', maxFragmentLength: 512 },
        server: { ...PATIENT, x509: serverX509('ecdsa', { requestCert: true }) },
      }),
    );
    expectSeedsOk(outcomes, 1400);
    expectFaultsBit(outcomes);
    expect(Math.max(...outcomes.map((o) => o.largestFromServer))).toBeLessThanOrEqual(512);
    expect(Math.max(...outcomes.map((o) => o.largestFromClient))).toBeLessThanOrEqual(512);
    // Without the limit a flight would go in records of up to 1400 - 13 bytes: it bound them.
    expect(outcomes.every((o) => o.fragmented >= 2)).toBe(true);
  }, 300_000);
});
