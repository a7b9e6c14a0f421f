/**
 * Structured fuzzing of the engine with mutated real handshakes. Each case runs a real
 * handshake (PSK, ECDHE_PSK, PSK with CCM-8, or ECDHE_ECDSA with a client certificate) through
 * a tap that, at chosen datagrams, delivers mutants of the datagram in flight (see
 * mutations.ts), before or after the original or instead of it; so every state of the client
 * (wait_server_hello ... wait_finished), of the stateless endpoint and of the accepted server
 * connection gets hostile input that is one mutation away from what it expects. After the
 * handshake the established connections exchange data and close_notify through the same tap.
 * A corpus of datagrams recorded from clean handshakes of every scenario feeds the splice
 * and replace mutations (records of another session, of another state).
 *
 * What must hold (FuzzPump.check): nothing escapes receive()/handle()/handleTimeout(); every
 * connection ends established or closed with a typed DtlsError, never stuck (a handshaking
 * connection always has a timer, and the virtual clock runs every handshake to its deadline);
 * no data is delivered that the peer application did not send; two established peers share
 * one session. The heap, after a full GC, ends where it started (within a few MB).
 */
import fc from 'fast-check';
import { fromHex, utf8 } from '../../src/bytes.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { clientRpk, serverRpk } from '../support/test-raw-public-keys.js';
import { applyCidProbe, type CidProbe, cidProbeArbitrary } from './cid-probes.js';
import { type CidProbeSource, FuzzPump, type FuzzTap } from './fuzz-pump.js';
import { applyMutations, type Mutation, mutationArbitrary } from './mutations.js';
import { withResumption } from './resumed-scenarios.js';
import { checkSrtpAgreement } from './srtp-agreement.js';
import { corpus13, type FuzzCase13, fuzzCase13Arbitrary, runCase13 } from './dtls13-fuzz.js';
import { DTLS13_SCENARIOS, type Dtls13Scenario, isDtls13Scenario } from './dtls13-scenarios.js';
import { RECORD_LIMIT_SCENARIOS, recordLimitOptions, type RecordLimitScenario } from './record-limit-scenarios.js';

export type Scenario = 'psk' | 'ecdhe-psk' | 'psk-ccm8' | 'ecdsa' | 'psk-cid' | 'psk-resumed' | 'ecdsa-resumed' | 'psk-srtp' | RecordLimitScenario | 'psk-cbc-etm' | 'ecdhe-psk-cbc-mte' | 'rpk';
/**
 * 'psk-cid': PSK with connection IDs both ways (RFC 9146), so the mutations reach tls12_cid records too.
 * 'psk-resumed', 'ecdsa-resumed': abbreviated handshakes resuming a session by ticket and by session ID (resumed-scenarios.ts).
 * 'psk-cbc-etm' / 'ecdhe-psk-cbc-mte': CBC records (RFC 5246 6.2.3.2) with encrypt-then-MAC (RFC 7366)
 * and with MAC-then-encrypt (its padding and MAC checks).
 * 'rpk': raw public keys both ways (RFC 7250: certificate type extensions, SPKI Certificates).
 * 'psk-srtp': PSK with use_srtp (RFC 5764) and an MKI, so the mutations reach both use_srtp extensions.
 */
export const SCENARIOS: readonly Scenario[] = ['psk', 'ecdhe-psk', 'psk-ccm8', 'ecdsa', 'psk-cid', 'psk-resumed', 'ecdsa-resumed', 'psk-srtp', ...RECORD_LIMIT_SCENARIOS, 'psk-cbc-etm', 'ecdhe-psk-cbc-mte', 'rpk'];

/** Every scenario FUZZ_SCENARIOS may name: DTLS 1.2's and DTLS 1.3's (dtls13-scenarios.ts). */
export const ALL_SCENARIOS: readonly (Scenario | Dtls13Scenario)[] = [...SCENARIOS, ...DTLS13_SCENARIOS];

/** The CBC scenarios (cbc-fuzz.test.ts runs a slice of them alone). */
export const CBC_SCENARIOS: readonly Scenario[] = ['psk-cbc-etm', 'ecdhe-psk-cbc-mte'];

const KEY = fromHex('8c2a6b7c1e3f4d5a69788796a5b4c3d2');
const IDENTITY = utf8('fuzz-client');

/** Short deadlines in virtual time: every handshake the mutations stall ends within 8 s. */
const TIMING = { handshakeTimeoutMs: 8_000, retransmit: { initialMs: 500, maxMs: 2_000 } };

function options(scenario: Scenario, mtu: number): { client: ClientOptions; server: ServerOptions } {
  // DTLS 1.2's scenarios (dtls13-scenarios.ts has 1.3's).
  const common = { ...TIMING, mtu, maxVersion: 'DTLSv1.2' } as const;
  switch (scenario) {
    case 'psk':
    case 'ecdhe-psk':
    case 'psk-ccm8': {
      const suite = { psk: 'PSK-AES128-GCM-SHA256', 'ecdhe-psk': 'ECDHE-PSK-CHACHA20-POLY1305', 'psk-ccm8': 'PSK-AES128-CCM8' }[scenario];
      return {
        client: { ...common, cipherSuites: suite, psk: { type: 'psk', resolve: () => ({ identity: IDENTITY, key: KEY }) } },
        server: {
          ...common,
          // A hint makes the plain-PSK server send a ServerKeyExchange too (RFC 4279 2).
          psk: { type: 'psk', identityHint: scenario === 'psk' ? utf8('hint') : undefined, lookup: (id) => (id.length === IDENTITY.length ? KEY : undefined) },
        },
      };
    }
    case 'psk-cbc-etm':
    case 'ecdhe-psk-cbc-mte': {
      const etm = scenario === 'psk-cbc-etm';
      const cbc = { ...common, cipherSuites: etm ? 'PSK-AES128-CBC-SHA256' : 'ECDHE-PSK-AES128-CBC-SHA256', encryptThenMac: etm };
      return {
        client: { ...cbc, psk: { type: 'psk', resolve: () => ({ identity: IDENTITY, key: KEY }) } },
        server: { ...cbc, psk: { type: 'psk', identityHint: etm ? utf8('hint') : undefined, lookup: (id) => (id.length === IDENTITY.length ? KEY : undefined) } },
      };
    }
    case 'psk-cid':
      return {
        client: { ...common, cipherSuites: 'PSK-AES128-GCM-SHA256', connectionId: { length: 4 }, psk: { type: 'psk', resolve: () => ({ identity: IDENTITY, key: KEY }) } },
        server: { ...common, connectionId: { length: 6 }, psk: { type: 'psk', identityHint: undefined, lookup: (id) => (id.length === IDENTITY.length ? KEY : undefined) } },
      };
    case 'psk-resumed':
      return withResumption('ticket', options('psk', mtu), `psk ${mtu}`);
    case 'ecdsa-resumed':
      return withResumption('id', options('ecdsa', mtu), `ecdsa ${mtu}`);
    case 'psk-srtp':
      return {
        client: {
          ...common,
          cipherSuites: 'PSK-AES128-GCM-SHA256',
          srtpProfiles: 'SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_256_GCM',
          srtpMki: Uint8Array.of(0x5a, 0xa5),
          psk: { type: 'psk', resolve: () => ({ identity: IDENTITY, key: KEY }) },
        },
        server: { ...common, srtpProfiles: 'SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_32', psk: { type: 'psk', identityHint: undefined, lookup: (id) => (id.length === IDENTITY.length ? KEY : undefined) } },
      };
    case 'ecdsa-rsl':
    case 'psk-mfl':
      return recordLimitOptions(scenario, common, { key: KEY, identity: IDENTITY });
    case 'rpk':
      return {
        client: { ...common, cipherSuites: 'ECDHE-ECDSA-AES128-GCM-SHA256', x509: clientRpk() },
        server: { ...common, cipherSuites: 'ECDHE-ECDSA-AES128-GCM-SHA256', x509: serverRpk() },
      };
    case 'ecdsa':
      return {
        client: { ...common, cipherSuites: 'ECDHE-ECDSA-AES128-GCM-SHA256', x509: clientX509({ cert: 'ecdsa' }), servername: 'localhost' },
        server: { ...common, cipherSuites: 'ECDHE-ECDSA-AES128-GCM-SHA256', x509: serverX509('ecdsa', { requestCert: true }) },
      };
  }
}

/** At wire datagram `index`: mutants delivered before/after the original, or instead of it. */
export interface Injection {
  readonly index: number;
  readonly mutants: readonly (readonly Mutation[])[];
  readonly keepOriginal: boolean;
  readonly mutantsFirst: boolean;
}

export interface FuzzCase {
  readonly scenario: Scenario;
  readonly mtu: number;
  readonly injections: readonly Injection[];
  /** Application records each way once established, then close_notify from one side. */
  readonly appMessages: number;
  readonly closeFrom: 'client' | 'server';
  /**
   * 'psk-cid' only: hostile variants of every genuine tls12_cid datagram, delivered after it from
   * a third address and from the real one through the server's ConnectionTable (cid-probes.ts).
   */
  readonly cidProbes: readonly CidProbe[];
}

const injectionArbitrary: fc.Arbitrary<Injection> = fc.record({
  index: fc.nat(20),
  mutants: fc.array(fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
  keepOriginal: fc.boolean(),
  mutantsFirst: fc.boolean(),
});

export function fuzzCaseArbitrary(scenarios: readonly Scenario[] = SCENARIOS): fc.Arbitrary<FuzzCase> {
  return fc.record({
    scenario: fc.constantFrom(...scenarios),
    mtu: fc.constantFrom(1200, 1200, 256),
    injections: fc.array(injectionArbitrary, { minLength: 1, maxLength: 10 }),
    appMessages: fc.nat(3),
    closeFrom: fc.constantFrom<'client' | 'server'>('client', 'server'),
    cidProbes: fc.array(cidProbeArbitrary, { maxLength: 6 }),
  });
}

/** Runs one clean session of a scenario through to close_notify and returns every datagram of it. */
function record(scenario: Scenario, mtu: number): Uint8Array[] {
  const o = options(scenario, mtu);
  const p = new FuzzPump(o.client, o.server, undefined);
  p.start();
  p.run();
  p.send('c2s', utf8('corpus ping'));
  p.send('s2c', utf8('corpus pong'));
  p.step();
  p.call('close', () => p.client.conn.close());
  p.run();
  if (p.failures.length > 0 || p.server?.events.every((e) => e.type !== 'handshake-complete')) {
    throw new Error(`the clean ${scenario} session did not complete: ${p.failures.join('; ')}`);
  }
  return p.wire.map((w) => w.datagram);
}

let corpusCache: Uint8Array[] | undefined;

/** Datagrams of clean sessions of every scenario, at both MTUs: what splice and replace draw from. */
export function corpus(): readonly Uint8Array[] {
  corpusCache ??= SCENARIOS.flatMap((s) => [...record(s, 1200), ...record(s, 256)]);
  return corpusCache;
}

/** Runs one case; returns the datagrams fed to the engine and what broke (nothing, for a pass). */
export function runCase(c: FuzzCase): { datagrams: number; failures: string[]; reached: ReadonlyMap<string, number> } {
  const o = options(c.scenario, c.mtu);
  const pool = corpus();
  const byIndex = new Map<number, Injection[]>();
  for (const inj of c.injections) byIndex.set(inj.index, [...(byIndex.get(inj.index) ?? []), inj]);
  const tap: FuzzTap = (d, _direction, index) => {
    const injections = byIndex.get(index);
    if (!injections) return [d];
    const mutants = injections.flatMap((inj) => inj.mutants.map((ms) => applyMutations(d, ms, pool)));
    const keep = injections.some((inj) => inj.keepOriginal);
    const first = injections[0]?.mutantsFirst ?? false;
    if (!keep) return mutants;
    return first ? [...mutants, d] : [d, ...mutants];
  };
  const probes: CidProbeSource | undefined =
    c.scenario === 'psk-cid' && c.cidProbes.length > 0 ? (d, cidLength, decoy) => c.cidProbes.map((pr) => applyCidProbe(d, pr, cidLength, decoy)) : undefined;
  const p = new FuzzPump(o.client, o.server, tap, probes);
  p.start();
  p.run();
  if (c.scenario === 'psk-srtp') checkSrtpAgreement(p);
  for (let i = 0; i < c.appMessages; i++) {
    p.send('c2s', utf8(`client ${i}`));
    p.send('s2c', utf8(`server ${i}`));
    p.step();
  }
  const closing = c.closeFrom === 'client' ? p.client : p.server;
  if (closing) p.call('close', () => closing.conn.close());
  p.run();
  p.check();
  return { datagrams: p.datagrams, failures: p.failures, reached: p.reached };
}

export interface FuzzReport {
  cases: number;
  datagrams: number;
  ms: number;
  datagramsPerSecond: number;
  heapBeforeMB: number;
  heapAfterMB: number;
  /** Datagrams received per side and handshake state, summed over every case. */
  reached: Record<string, number>;
}

function fullGc(): () => void {
  const gc: unknown = Reflect.get(globalThis, 'gc');
  if (typeof gc !== 'function') throw new Error('run with --expose-gc (node --expose-gc, or vitest with execArgv --expose-gc)');
  return () => {
    Reflect.apply(gc, undefined, []);
  };
}

const MB = 1024 * 1024;

/**
 * Runs cases until `datagrams` datagrams have been fed to the engine, in chunks of fc.assert
 * (each its own seed, derived from `seed`, so a failure names a seed and shrinks).
 */
export function fuzz(datagrams: number, seed: number, scenarios: readonly (Scenario | Dtls13Scenario)[] = SCENARIOS, chunk = 50): FuzzReport {
  const gc = fullGc();
  corpus(); // built (and the test PKI made) before the heap is measured
  if (scenarios.some(isDtls13Scenario)) corpus13();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  let fed = 0;
  let cases = 0;
  const reached: Record<string, number> = {};
  // DTLS 1.3 scenarios run their own cases (dtls13-fuzz.ts); a 1.2-only run draws exactly as before.
  const s12 = scenarios.filter((s): s is Scenario => !isDtls13Scenario(s));
  const s13 = scenarios.filter(isDtls13Scenario);
  const arbitrary: fc.Arbitrary<FuzzCase | FuzzCase13> =
    s13.length === 0 ? fuzzCaseArbitrary(s12) : s12.length === 0 ? fuzzCase13Arbitrary(s13) : fc.oneof(fuzzCaseArbitrary(s12), fuzzCase13Arbitrary(s13));
  for (let round = 0; fed < datagrams; round++) {
    fc.assert(
      fc.property(arbitrary, (c) => {
        const r = 'seals' in c ? runCase13(c) : runCase(c);
        fed += r.datagrams;
        cases++;
        for (const [k, n] of r.reached) reached[k] = (reached[k] ?? 0) + n;
        if (r.failures.length > 0) throw new Error(`${c.scenario}: ${r.failures.slice(0, 5).join('; ')}`);
      }),
      { numRuns: chunk, seed: (seed + round * 0x9e3779b1) | 0 },
    );
  }
  const ms = performance.now() - started;
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  return {
    cases,
    datagrams: fed,
    ms: Math.round(ms),
    datagramsPerSecond: Math.round(fed / (ms / 1000)),
    heapBeforeMB: Math.round((heapBefore / MB) * 10) / 10,
    heapAfterMB: Math.round((heapAfter / MB) * 10) / 10,
    reached,
  };
}

export function formatReport(r: FuzzReport): string {
  return (
    `fuzz: ${r.datagrams} datagrams in ${r.cases} handshakes, ${(r.ms / 1000).toFixed(1)} s, ` +
    `${r.datagramsPerSecond} datagrams/s, heap after full GC ${r.heapBeforeMB} MB before, ${r.heapAfterMB} MB after\n` +
    `  received per state: ${Object.entries(r.reached)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`
  );
}
