// `pnpm bench:profile MEASUREMENT [ROW]`: one run of one row of `pnpm bench` with V8's CPU profiler
// on in every Node process of it (server, clients, worker threads), so that the next pass starts
// from data. Writes the .cpuprofile files (open them in Chrome DevTools or speedscope) and prints
// each process's functions by self time.
//
//   MEASUREMENT  a measurement id: throughput, pingpong, handshake-psk, handshake-ecdsa, blocking,
//                memory-1000, memory-10000
//   ROW          part of a row's label (default: the first dtls-kit row), e.g. "noble", "2 workers"
//   BENCH_QUICK=1 tiny counts; BENCH_OUT=dir where the profiles go (default bench/profiles/<date>-<id>)
//   BENCH_TOP=N  functions listed per profile (default 15)
//   BENCH_PROF_INTERVAL=us  V8's sampling interval (default 1000 us): a ping-pong step takes tens of
//                microseconds, so its parts need a finer one (e.g. 50), at the cost of a slower run
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from './build-c.mjs';
import { writeCertificates } from './credentials.mjs';
import { counts, defineMeasurements, runRow } from './measurements.mjs';
import { summarizeProfile } from './profile-summary.mjs';

const [id, rowPart] = process.argv.slice(2);
const N = counts(process.env.BENCH_QUICK === '1');
const top = Number(process.env.BENCH_TOP ?? 15);
const stamp = new Date().toISOString().slice(0, 16).replace(':', '');
const dir = process.env.BENCH_OUT ?? fileURLToPath(new URL(`../profiles/${stamp}-${id ?? 'none'}/`, import.meta.url));

const certs = await writeCertificates(join(tmpdir(), `dtls-kit-bench-certs-${process.pid}`));
// One folder per process (named after its script and role), each thread's profile in it.
let processes = 0;
const nodeFlags = (script, args) => {
  const role = args[args.indexOf('--role') + 1] ?? 'peer';
  const interval = process.env.BENCH_PROF_INTERVAL ? [`--cpu-prof-interval=${process.env.BENCH_PROF_INTERVAL}`] : [];
  return ['--cpu-prof', ...interval, `--cpu-prof-dir=${join(dir, `${script.replace(/\.mjs$/, '')}-${role}-${++processes}`)}`];
};
const measurements = defineMeasurements({ N, certs, cbin: buildC(), nodeFlags });
const m = measurements.find((x) => x.id === id);
if (!m) {
  process.stderr.write(`usage: pnpm bench:profile MEASUREMENT [ROW]\nMEASUREMENT is one of: ${measurements.map((x) => x.id).join(', ')}\n`);
  process.exit(2);
}
const row = rowPart === undefined ? m.rows.find((r) => r.label.startsWith('dtls-kit')) : m.rows.find((r) => r.label.includes(rowPart));
if (!row) {
  process.stderr.write(`no row of ${id} matches "${rowPart}"; its rows: ${m.rows.map((r) => JSON.stringify(r.label)).join(', ')}\n`);
  process.exit(2);
}

mkdirSync(dir, { recursive: true });
process.stderr.write(`profiling ${id} / ${row.label} ...\n`);
const results = await runRow(m, row, N);
const value = m.memory ? `${Math.round(results[0].heapPerConnection)} B heap per connection` : `${m.value(results).toFixed(1)} ${m.unit}`;
process.stdout.write(`${id} / ${row.label}: ${value} (under the profiler: slower than in pnpm bench)\n`);

const files = readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.cpuprofile')).sort();
for (const file of files) {
  const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')), top);
  process.stdout.write(`\n${join(dir, file)}: ${summary.totalMs.toFixed(0)} ms sampled\n`);
  for (const f of summary.functions) process.stdout.write(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(1).padStart(8)} ms  ${f.name}\n`);
}
if (files.length === 0) {
  process.stderr.write(`no profile was written to ${dir} (only Node processes are profiled; this row has none that exited cleanly)\n`);
  process.exitCode = 1;
}
