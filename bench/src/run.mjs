// `pnpm bench`: every measurement, every implementation, loopback only, server and client in
// separate processes, RUNS runs each (interleaved, so machine-load drifts hit every row alike),
// medians with min/max and ratios to the baselines of the same run. Writes
// bench/results/<date>-<host>.md and bench/results/latest.md, and prints the tables.
//
//   BENCH_QUICK=1   tiny counts, one run: a smoke run of the harness (seconds)
//   BENCH_RUNS=N    runs per row (default 5)
//   BENCH_ONLY=re   only the measurements whose id matches (throughput, pingpong, handshake-psk,
//                   handshake-ecdsa, handshake-resumed, blocking, memory-1000, memory-10000; and memory-100000,
//                   which runs only when named here: 100,000 connections take a few minutes)
//   BENCH_OUT=dir   where the results go (default bench/results); a BENCH_ONLY run writes
//                   <date>-<host>-subset.md and leaves latest.md alone
//   BENCH_NOTE=txt  a note for the results file (e.g. "measured on a loaded machine")
//   BENCH_PARALLEL=N  N rows at once: for the smoke test of the harness only (figures disturbed)
//   BENCH_RETRIES=N   a row that fails is run again, up to N times (default 0): for the smoke test,
//                   which checks the tables' shape on a loaded machine; every failure is still listed
import { mkdirSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from './build-c.mjs';
import { writeCertificates } from './credentials.mjs';
import { machine } from './machine.mjs';
import { renderMarkdown, summarize } from './report.mjs';
import { withRetries } from './retry.mjs';
import { counts, defineMeasurements, runRow as runMeasurementRow } from './measurements.mjs';

const quick = process.env.BENCH_QUICK === '1';
const runs = Number(process.env.BENCH_RUNS ?? (quick ? 1 : 5));
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const outDir = process.env.BENCH_OUT ?? fileURLToPath(new URL('../results/', import.meta.url));

const N = counts(quick);

const startedAt = new Date();
const loadAtStart = os.loadavg();
const t0 = performance.now();
const certs = await writeCertificates(join(tmpdir(), `dtls-kit-bench-certs-${process.pid}`));
const cbin = buildC();

const measurements = defineMeasurements({ N, certs, cbin });

// ---------------------------------------------------------------- running

// An opt-in measurement (memory-100000: minutes) runs only when BENCH_ONLY names it.
const selected = measurements.filter((m) => (only ? only.test(m.id) : !m.optIn));
const samples = new Map(); // measurement id -> label -> [{ run, value }]
const failures = [];
// Failures a retry then made up for (BENCH_RETRIES): listed in the results, not fatal.
const retried = [];
const retries = Math.max(0, Number(process.env.BENCH_RETRIES ?? 0));

async function runRow(m, r, run) {
  const key = `${m.id} / ${r.label}`;
  try {
    const results = await withRetries(() => runMeasurementRow(m, r, N), retries, (e, attempt) => {
      retried.push(`${key} (run ${run}, attempt ${attempt + 1}): ${e.message.split('\n')[0]}`);
      process.stderr.write(`run ${run}/${runs} ${key}: FAILED, retrying: ${e.message}\n`);
    });
    const value = m.memory ? { heap: results[0].heapPerConnection, rss: results[0].rssPerConnection, connections: results[0].connections } : m.value(results);
    const perId = samples.get(m.id) ?? new Map();
    samples.set(m.id, perId);
    const list = perId.get(r.label) ?? [];
    list.push({ run, value });
    perId.set(r.label, list);
    process.stderr.write(`run ${run}/${runs} ${key}: ${m.memory ? `${Math.round(value.heap)} B heap, ${Math.round(value.rss)} B RSS per connection (${value.connections})` : `${value.toFixed(1)} ${m.unit}`}\n`);
  } catch (e) {
    failures.push(`${key} (run ${run}): ${e.message.split('\n')[0]}`);
    process.stderr.write(`run ${run}/${runs} ${key}: FAILED ${e.message}\n`);
  }
}

// One row at a time, so that rows do not disturb each other. BENCH_PARALLEL=N (N rows at once)
// is for the harness's smoke test only: its figures are not measurements.
const parallel = Math.max(1, Number(process.env.BENCH_PARALLEL ?? 1));
for (let run = 1; run <= runs; run++) {
  const queue = selected.flatMap((m) => m.rows.map((r) => () => runRow(m, r, run)));
  await Promise.all(
    Array.from({ length: Math.min(parallel, queue.length) }, async () => {
      for (let task = queue.shift(); task !== undefined; task = queue.shift()) await task();
    }),
  );
}

const tables = selected.map((m) => summarize(m, samples.get(m.id) ?? new Map()));
const info = { ...(await machine(startedAt)), loadStart: loadAtStart };
const markdown = renderMarkdown({ info, tables, runs, quick, parallel, failures, retried, seconds: (performance.now() - t0) / 1000, note: process.env.BENCH_NOTE });
mkdirSync(outDir, { recursive: true });
const stamp = startedAt.toISOString().slice(0, 16).replace(':', '');
// A BENCH_ONLY run measures some rows: its file says so, and latest.md (the whole run the README
// and the targets table quote) is left as it is.
const file = join(outDir, `${stamp}-${info.host}${only ? '-subset' : ''}.md`);
writeFileSync(file, markdown);
if (!only) writeFileSync(join(outDir, 'latest.md'), markdown);
process.stdout.write(markdown);
process.stderr.write(`\nwritten: ${file}${only ? ' (a subset: latest.md unchanged)' : ' and latest.md'}\n`);
process.exitCode = failures.length > 0 ? 1 : 0;
