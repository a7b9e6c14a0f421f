/**
 * The structured fuzzer's DTLS 1.3 cases (dtls13-scenarios.ts): real 1.3 sessions through the
 * FuzzPump, with the wire mutations of mutations.ts and dtls13-mutations.ts at chosen datagrams
 * (the attacker without keys) and, at chosen records either side seals under the epoch 2+ keys,
 * mutations of the plaintext before it is sealed (a peer that holds the keys: a broken or hostile
 * implementation), so the EncryptedExtensions, Certificate, CertificateVerify, Finished, ACK,
 * KeyUpdate, alert and application data parsers of both sides get hostile input too.
 *
 * On top of FuzzPump.check: nothing a side delivers as data may be anything but what the other
 * side's application sent, or a mutant of it sealed under the application keys of epoch 3 on
 * (application data under the handshake keys, or in the clear, is never delivered: RFC 9147
 * 4.1, 6.1); no side ends with internal_error, which names a fault of ours, not of the peer
 * (RFC 8446 6.2); two established sides share one handshake (the same client random, suite and version).
 */
import fc from 'fast-check';
import { fromHex, utf8 } from '../../src/bytes.js';
import { AlertDescription } from '../../src/alert.js';
import { Dtls13RecordLayer } from '../../src/record/dtls13-record-layer.js';
import { type Dtls13Scenario, DTLS13_SCENARIOS, clientKeyUpdate, dtls13LayerOf, dtls13Options } from './dtls13-scenarios.js';
import {
  applyDtls13SealMutation,
  applyDtls13WireMutation,
  type Dtls13SealMutation,
  dtls13SealMutationArbitrary,
  type Dtls13WireMutation,
  dtls13WireMutationArbitrary,
} from './dtls13-mutations.js';
import { type Direction, FuzzPump, type FuzzTap } from './fuzz-pump.js';
import { applyMutation, type Mutation, mutationArbitrary } from './mutations.js';

const KEY = fromHex('8c2a6b7c1e3f4d5a69788796a5b4c3d2');
const IDENTITY = utf8('fuzz-client');
/** Short deadlines in virtual time: every handshake the mutations stall ends within 8 s. */
const TIMING = { handshakeTimeoutMs: 8_000, retransmit: { initialMs: 500, maxMs: 2_000 } };

export type AnyWireMutation = Mutation | Dtls13WireMutation;

export interface Injection13 {
  readonly index: number;
  readonly mutants: readonly (readonly AnyWireMutation[])[];
  readonly keepOriginal: boolean;
  readonly mutantsFirst: boolean;
}

/** At the `index`-th record `side` seals under keys (epoch 2 on): its plaintext mutated first. */
export interface SealInjection {
  readonly side: 'client' | 'server';
  readonly index: number;
  readonly mutations: readonly Dtls13SealMutation[];
}

export interface FuzzCase13 {
  readonly scenario: Dtls13Scenario;
  readonly mtu: number;
  readonly injections: readonly Injection13[];
  readonly seals: readonly SealInjection[];
  readonly appMessages: number;
  readonly closeFrom: 'client' | 'server';
}

const wireMutation: fc.Arbitrary<AnyWireMutation> = fc.oneof({ weight: 1, arbitrary: mutationArbitrary }, { weight: 2, arbitrary: dtls13WireMutationArbitrary });

const injection13Arbitrary: fc.Arbitrary<Injection13> = fc.record({
  index: fc.nat(24),
  mutants: fc.array(fc.array(wireMutation, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
  keepOriginal: fc.boolean(),
  mutantsFirst: fc.boolean(),
});

const sealInjectionArbitrary: fc.Arbitrary<SealInjection> = fc.record({
  side: fc.constantFrom<'client' | 'server'>('client', 'server'),
  index: fc.nat(16),
  mutations: fc.array(dtls13SealMutationArbitrary, { minLength: 1, maxLength: 3 }),
});

export function fuzzCase13Arbitrary(scenarios: readonly Dtls13Scenario[] = DTLS13_SCENARIOS): fc.Arbitrary<FuzzCase13> {
  return fc.record({
    scenario: fc.constantFrom(...scenarios),
    mtu: fc.constantFrom(1200, 1200, 256),
    injections: fc.array(injection13Arbitrary, { maxLength: 10 }),
    seals: fc.array(sealInjectionArbitrary, { maxLength: 4 }),
    appMessages: fc.nat(3),
    closeFrom: fc.constantFrom<'client' | 'server'>('client', 'server'),
  });
}

function isDtls12Mutation(m: AnyWireMutation): m is Mutation {
  return !['unified-field', 'body-flip', 'drop-record', 'duplicate-record13', 'swap-records13', 'strip-length', 'as-dtls12', 'plaintext-handshake-field'].includes(m.kind);
}

function applyWire(d: Uint8Array, ms: readonly AnyWireMutation[], pool: readonly Uint8Array[]): Uint8Array {
  let out = d;
  for (const m of ms) out = isDtls12Mutation(m) ? applyMutation(out, m, pool) : applyDtls13WireMutation(out, m);
  return out;
}

/** A session of the scenario with the case's seal mutations; `then` drives the established phase. */
function withSealHook<T>(p: FuzzPump, seals: readonly SealInjection[], run: () => T): T {
  const original = Dtls13RecordLayer.prototype.seal;
  const counts = { client: 0, server: 0 };
  const sealsBy = (side: 'client' | 'server', index: number): SealInjection[] => seals.filter((s) => s.side === side && s.index === index);
  Dtls13RecordLayer.prototype.seal = function (this: Dtls13RecordLayer, type: number, content: Uint8Array, epoch: number = this.writeEpoch, padding = 0): Uint8Array {
    if (epoch === 0) return original.call(this, type, content, epoch, padding);
    const side = this === dtls13LayerOf(p.client.conn) ? 'client' : 'server';
    const index = counts[side]++;
    let record = { type, content };
    for (const s of sealsBy(side, index)) for (const m of s.mutations) record = applyDtls13SealMutation(record.type, record.content, m);
    // What a side sealed as application data under the application keys is "sent" by that side (a peer may send anything);
    // application data delivered from any other record is forged.
    if (record.type === 23 && epoch >= 3 && (record.type !== type || record.content !== content)) p.sent[side === 'client' ? 'c2s' : 's2c'].push(record.content.slice());
    return original.call(this, record.type, record.content, epoch, padding);
  };
  try {
    return run();
  } finally {
    Dtls13RecordLayer.prototype.seal = original;
  }
}

/** One clean session of a 1.3 scenario through to close_notify: every datagram of it. */
function record13(scenario: Dtls13Scenario, mtu: number): Uint8Array[] {
  const o = dtls13Options(scenario, { ...TIMING, mtu }, { key: KEY, identity: IDENTITY });
  const p = new FuzzPump(o.client, o.server, undefined);
  p.start();
  p.run();
  established(p, scenario, 1);
  p.call('close', () => p.client.conn.close());
  p.run();
  p.check();
  if (p.failures.length > 0 || p.server?.events.every((e) => e.type !== 'handshake-complete')) {
    throw new Error(`the clean ${scenario} session did not complete: ${p.failures.join('; ')}`);
  }
  return p.wire.map((w) => w.datagram);
}

let corpusCache: Uint8Array[] | undefined;

/** Datagrams of clean 1.3 sessions of every scenario, at both MTUs: what splice and replace draw from. */
export function corpus13(): readonly Uint8Array[] {
  corpusCache ??= DTLS13_SCENARIOS.flatMap((s) => [...record13(s, 1200), ...record13(s, 256)]);
  return corpusCache;
}

/** The established phase: application data both ways, and KeyUpdates in the key-update scenario. */
function established(p: FuzzPump, scenario: Dtls13Scenario, messages: number): void {
  for (let i = 0; i < Math.max(messages, scenario === 'tls13-key-update' ? 2 : 0); i++) {
    if (scenario === 'tls13-key-update') {
      p.call('key update', () => clientKeyUpdate(p.client.conn));
      p.run();
    }
    p.send('c2s', utf8(`client ${i}`));
    p.send('s2c', utf8(`server ${i}`));
    p.step();
  }
}

/** Runs one 1.3 case: the datagrams fed to the engine, what broke, the states reached. */
export function runCase13(c: FuzzCase13): { datagrams: number; failures: string[]; reached: ReadonlyMap<string, number> } {
  const o = dtls13Options(c.scenario, { ...TIMING, mtu: c.mtu }, { key: KEY, identity: IDENTITY });
  const pool = corpus13();
  const byIndex = new Map<number, Injection13[]>();
  for (const inj of c.injections) byIndex.set(inj.index, [...(byIndex.get(inj.index) ?? []), inj]);
  const tap: FuzzTap = (d, _direction: Direction, index) => {
    const injections = byIndex.get(index);
    if (!injections) return [d];
    const mutants = injections.flatMap((inj) => inj.mutants.map((ms) => applyWire(d, ms, pool)));
    const keep = injections.some((inj) => inj.keepOriginal);
    const first = injections[0]?.mutantsFirst ?? false;
    if (!keep) return mutants;
    return first ? [...mutants, d] : [d, ...mutants];
  };
  const p = new FuzzPump(o.client, o.server, tap);
  withSealHook(p, c.seals, () => {
    p.start();
    p.run();
    established(p, c.scenario, c.appMessages);
    const closing = c.closeFrom === 'client' ? p.client : p.server;
    if (closing) p.call('close', () => closing.conn.close());
    p.run();
  });
  p.check();
  checkDtls13(p);
  return { datagrams: p.datagrams, failures: p.failures, reached: p.reached };
}

/** What a 1.3 case adds to FuzzPump.check. */
function checkDtls13(p: FuzzPump): void {
  for (const [name, side] of [['client', p.client], ['server', p.server], ...p.extras.map((e, i) => [`extra ${i}`, e] as const)] as const) {
    const error = side?.conn.error;
    if (error !== undefined && !error.fromPeer && error.alert === AlertDescription.internal_error) p.failures.push(`${name} ended with internal_error: ${error.message}`);
  }
  const c = p.client.conn;
  const s = p.server?.conn;
  if (s && c.state === 'established' && s.state === 'established' && c.error === undefined && s.error === undefined) {
    const same = c.protocol === s.protocol && c.cipherSuite === s.cipherSuite && Buffer.from(c.clientRandom ?? []).equals(Buffer.from(s.clientRandom ?? []));
    if (!same || c.protocol !== 'DTLSv1.3') p.failures.push(`established as ${c.protocol}/${s.protocol} with different handshakes`);
  }
}
