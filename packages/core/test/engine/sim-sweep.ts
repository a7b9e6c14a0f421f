/**
 * Many seeds of one handshake on a hostile simulated network, as sim-lossy.test.ts (PSK suites)
 * and sim-certificates.test.ts (certificate suites) run them: each seed's outcome, the sweep over
 * a label's own range of seeds, and the checks every sweep must pass. SIM_REPORT=1 prints the
 * distribution of completion times and retransmissions of each sweep.
 */
import { expect } from 'vitest';
import { cipherSuiteByName } from '../../src/suites/registry.js';
import { summarize, type SimPair } from './sim-harness.js';

/** What one seed gave. */
export interface SeedOutcome {
  seed: number;
  ok: boolean;
  /** Why the seed failed ('' when ok). */
  why: string;
  /** Virtual ms the handshake took. */
  time: number;
  retransmissions: number;
  largest: number;
  /** Datagrams over the link MTU. */
  oversize: number;
}

export interface SeedRun<X> {
  /** Virtual time the handshake may take. */
  budgetMs: number;
  /** What the caller counts, read right after the handshake. */
  measure: () => X;
  /** A check of the established connection that throws to fail the seed, and what it checks. */
  check?: { what: string; run: () => void };
}

/**
 * Runs the handshake of `pair`, checks both ends negotiated its suite, then sends one message
 * each way: DTLS does not retransmit application data, so the "application" resends until it
 * gets through (at most 40 times).
 */
export async function runSeed<X extends object>(pair: SimPair, seed: number, run: SeedRun<X>): Promise<SeedOutcome & X> {
  const hs = await pair.handshake(run.budgetMs);
  const stats = pair.net.getStats();
  const outcome: SeedOutcome & X = {
    seed,
    ok: false,
    why: '',
    time: hs.time,
    retransmissions: pair.client.stats.retransmissions + (pair.serverConn?.stats.retransmissions ?? 0),
    largest: Math.max(stats.AtoB.largest, stats.BtoA.largest),
    oversize: stats.AtoB.oversize + stats.BtoA.oversize,
    ...run.measure(),
  };
  if (!pair.established) {
    outcome.why = `handshake: ${hs.reason} at ${hs.time}; client ${pair.client.handshakeState} ${pair.client.error?.message ?? ''}; server ${pair.serverConn?.handshakeState ?? 'none'} ${pair.serverConn?.error?.message ?? ''}`;
    return outcome;
  }
  const suite = cipherSuiteByName(pair.options.suite ?? '');
  if (pair.client.cipherSuite !== suite || pair.serverConn?.cipherSuite !== suite) {
    outcome.why = `negotiated ${pair.client.cipherSuite?.name} / ${pair.serverConn?.cipherSuite?.name}`;
    return outcome;
  }
  if (run.check) {
    try {
      run.check.run();
    } catch (err) {
      outcome.why = `${run.check.what}: ${err instanceof Error ? err.message : String(err)}`;
      return outcome;
    }
  }
  const server = pair.serverConn;
  for (let attempt = 0; attempt < 40; attempt++) {
    const serverHas = pair.serverLog.data.length > 0;
    const clientHas = pair.clientLog.data.length > 0;
    if (serverHas && clientHas) break;
    if (!serverHas) pair.client.send(new TextEncoder().encode(`c${seed}`));
    if (!clientHas && server) server.send(new TextEncoder().encode(`s${seed}`));
    await pair.runUntil(() => (pair.serverLog.data.length > 0 && pair.clientLog.data.length > 0) || pair.anyClosed, 300);
  }
  if (pair.anyClosed) {
    outcome.why = `closed after handshake: ${pair.client.error?.message ?? ''} ${pair.serverConn?.error?.message ?? ''}`;
  } else if (!pair.serverLog.data.every((d) => d === `c${seed}`) || !pair.clientLog.data.every((d) => d === `s${seed}`)) {
    outcome.why = `wrong data: ${pair.serverLog.data} / ${pair.clientLog.data}`;
  } else if (pair.serverLog.data.length === 0 || pair.clientLog.data.length === 0) {
    outcome.why = 'application data never got through';
  } else {
    outcome.ok = true;
  }
  return outcome;
}

/**
 * Each sweep gets its own seed range, derived from its label (so a failing seed replays alone
 * with -t): suites whose flights have the same number of datagrams would otherwise lose
 * exactly the same datagrams.
 */
function seedBase(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return 1 + (h % 100_000) * 1_000;
}

/** Runs `seeds` seeds of the label's range, one after the other; `report` adds to the SIM_REPORT line. */
export async function sweep<O extends SeedOutcome>(
  label: string,
  seeds: number,
  run: (seed: number) => Promise<O>,
  report?: (outcomes: readonly O[]) => string,
): Promise<O[]> {
  const started = performance.now();
  const outcomes: O[] = [];
  const base = seedBase(label);
  for (let seed = base; seed < base + seeds; seed++) outcomes.push(await run(seed));
  if (process.env.SIM_REPORT === '1') {
    const ok = outcomes.filter((o) => o.ok);
    console.log(
      `${label}: ${ok.length}/${outcomes.length} ok in ${Math.round(performance.now() - started)} ms wall;` +
        ` completion ms ${JSON.stringify(summarize(ok.map((o) => o.time)))};` +
        ` retransmissions ${JSON.stringify(summarize(ok.map((o) => o.retransmissions)))};` +
        ` >60s: ${ok.filter((o) => o.time > 60_000).length}; largest datagram ${Math.max(...outcomes.map((o) => o.largest))}` +
        (report ? `; ${report(outcomes)}` : ''),
    );
  }
  return outcomes;
}

/** Every seed succeeded and no datagram exceeded `mtu`; `name` tells a failed seed. */
export function expectSeedsOk<O extends SeedOutcome>(outcomes: readonly O[], mtu: number, name: (o: O) => string = (o) => `seed ${o.seed}`): void {
  const failed = outcomes.filter((o) => !o.ok).map((o) => `${name(o)}: ${o.why}`);
  expect(failed).toEqual([]);
  expect(outcomes.reduce((n, o) => n + o.oversize, 0)).toBe(0);
  expect(Math.max(...outcomes.map((o) => o.largest))).toBeLessThanOrEqual(mtu);
}

/** The faults really bit: most seeds needed retransmissions. */
export function expectFaultsBit(outcomes: readonly SeedOutcome[]): void {
  expect(outcomes.filter((o) => o.retransmissions > 0).length).toBeGreaterThan(outcomes.length / 2);
}
