/**
 * The long structured fuzz run: `pnpm fuzz` (at the repository root) or
 * `pnpm --filter @dtls-kit/core fuzz`. FUZZ_DATAGRAMS (default 1,000,000) datagrams,
 * FUZZ_SEED (default random, printed) for a new exploration each run; FUZZ_SCENARIOS (comma-
 * separated, default all of ALL_SCENARIOS: DTLS 1.2's and the tls13-* ones) to run some scenarios only.
 */
import { expect, it } from 'vitest';
import { ALL_SCENARIOS, formatReport, fuzz } from './handshake-fuzz.js';

const datagrams = Number(process.env.FUZZ_DATAGRAMS ?? 1_000_000);
const seed = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);
const scenarios = (process.env.FUZZ_SCENARIOS?.split(',') ?? [...ALL_SCENARIOS]).map((name) => {
  const known = ALL_SCENARIOS.find((s) => s === name.trim());
  if (known === undefined) throw new Error(`FUZZ_SCENARIOS: unknown scenario ${JSON.stringify(name)}; known: ${ALL_SCENARIOS.join(', ')}`);
  return known;
});

it(`fuzz: ${datagrams} datagrams (FUZZ_DATAGRAMS), seed ${seed} (FUZZ_SEED)`, () => {
  expect(Number.isSafeInteger(datagrams) && datagrams > 0).toBe(true);
  console.log(`fuzz: seed ${seed}`);
  console.log(`fuzz: scenarios ${scenarios.join(', ')}`);
  expect(scenarios.length).toBeGreaterThan(0);
  const report = fuzz(datagrams, seed, scenarios);
  console.log(formatReport(report));
  expect(report.datagrams).toBeGreaterThanOrEqual(datagrams);
  expect(report.heapAfterMB - report.heapBeforeMB).toBeLessThan(8);
});
