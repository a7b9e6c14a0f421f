/**
 * The abbreviated (resumed) handshake on the hostile simulated network of sim-lossy.test.ts: 25%
 * loss each way, duplication, reordering, MTU 200. Here the server's flight is the first one
 * after the cookie exchange (ServerHello, ChangeCipherSpec, Finished) and the client's
 * ChangeCipherSpec and Finished are the last flight, so the retransmission roles of RFC 6347
 * 4.2.4 are swapped: the server's timer drives it, the client answers retransmissions. Every
 * seed must resume (isSessionReused on both sides), with data both ways after.
 * Seeds: 300 per mode (SIM_RESUME_SEEDS overrides).
 */
import { describe, expect, it } from 'vitest';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { MemorySessionStore } from '../../src/session/session-store.js';
import { clientPsk, serverPsk } from '../support/psk.js';
import { SimPair, type PairOptions } from './sim-harness.js';
import { expectFaultsBit, expectSeedsOk, runSeed, sweep } from './sim-sweep.js';
import { Pair } from './harness.js';

const SEEDS = Number(process.env.SIM_RESUME_SEEDS ?? 300);
const MTU = 200;
const HOSTILE = { loss: 0.25, duplicate: 0.1, reorder: 0.25, reorderDelay: 80 } as const;
const PATIENT = { handshakeTimeoutMs: 3_600_000 } as const;
/** The hour of virtual time a seed may take outlives the default 300 s session lifetime (a late seed would rightly get a full handshake). */
const LONG_LIVED = { ...PATIENT, sessionTimeout: 7_200 } as const;
const SUITE = 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256';
const TICKET_KEYS = [new Uint8Array(48).fill(7)];

/** A session from a full handshake on a clean link, against a server with these options. */
async function sessionFrom(server: ConstructorParameters<typeof ServerEndpoint>[0], client: PairOptions['client'] = {}): Promise<Uint8Array> {
  const p = await new Pair({ endpoint: new ServerEndpoint({ psk: serverPsk(), ...server }), client: { psk: clientPsk(), cipherSuites: SUITE, ...client } }).handshake();
  const s = p.client.getSession();
  if (s === undefined) throw new Error('no session');
  return s;
}

function resumedSweep(label: string, options: (seed: number) => PairOptions): ReturnType<typeof sweep> {
  return sweep(label, SEEDS, (seed) => {
    const pair = new SimPair({ ...options(seed), seed, suite: SUITE, mtu: MTU, link: HOSTILE });
    return runSeed(pair, seed, {
      budgetMs: PATIENT.handshakeTimeoutMs + 1_000,
      measure: () => ({}),
      check: {
        what: 'resumed',
        run: () => {
          expect(pair.client.isSessionReused()).toBe(true);
          expect(pair.serverConn?.isSessionReused()).toBe(true);
        },
      },
    });
  });
}

describe(`resumed handshakes at 25% loss, duplication, reordering, MTU ${MTU}`, () => {
  it(`by ticket (shared ticketKeys), ${SEEDS} seeds`, async () => {
    const session = await sessionFrom({ ticketKeys: TICKET_KEYS, cipherSuites: SUITE });
    const outcomes = await resumedSweep('resumed ticket', () => ({
      client: { ...PATIENT, session },
      server: { ...LONG_LIVED, ticketKeys: TICKET_KEYS },
    }));
    expectSeedsOk(outcomes, MTU);
    expectFaultsBit(outcomes);
  }, 300_000);

  it(`by session ID (a shared store), ${SEEDS} seeds`, async () => {
    const store = new MemorySessionStore();
    const session = await sessionFrom({ sessionStore: store, cipherSuites: SUITE }, { sessionTickets: false });
    const outcomes = await resumedSweep('resumed id', () => ({
      client: { ...PATIENT, session, sessionTickets: false },
      server: { ...LONG_LIVED, sessionStore: store },
    }));
    expectSeedsOk(outcomes, MTU);
    expectFaultsBit(outcomes);
  }, 300_000);
});
