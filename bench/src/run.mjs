// `pnpm bench`: every measurement, every implementation, loopback only, server and client in
// separate processes, RUNS runs each (interleaved, so machine-load drifts hit every row alike),
// medians with min/max and ratios to the baselines of the same run. Writes
// bench/results/<date>-<host>.md and bench/results/latest.md, and prints the tables.
//
//   BENCH_QUICK=1   tiny counts, one run: a smoke run of the harness (seconds)
//   BENCH_RUNS=N    runs per row (default 5)
//   BENCH_ONLY=re   only the measurements whose id matches (throughput, pingpong, handshake-psk,
//                   handshake-ecdsa, blocking, memory-1000, memory-10000)
//   BENCH_OUT=dir   where the results go (default bench/results)
//   BENCH_NOTE=txt  a note for the results file (e.g. "measured on a loaded machine")
//   BENCH_PARALLEL=N  N rows at once: for the smoke test of the harness only (figures disturbed)
import { mkdirSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from './build-c.mjs';
import { writeCertificates } from './credentials.mjs';
import { machine } from './machine.mjs';
import { renderMarkdown, summarize } from './report.mjs';
import { result, start } from './runner.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const runs = Number(process.env.BENCH_RUNS ?? (quick ? 1 : 5));
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const outDir = process.env.BENCH_OUT ?? fileURLToPath(new URL('../results/', import.meta.url));

/** Counts: every load loop is bounded by a count and by seconds. */
const N = quick
  ? { tput: 1000, tputWarm: 100, pp: 200, ppWarm: 20, hs: 10, hsWarm: 1, sec: 0.3, mem: [20], memSec: 20, blockingClients: 2 }
  : { tput: 100_000, tputWarm: 5000, pp: 50_000, ppWarm: 1000, hs: 5000, hsWarm: 20, sec: 2, mem: [1000, 10_000], memSec: 90, blockingClients: 4 };

const startedAt = new Date();
const loadAtStart = os.loadavg();
const t0 = performance.now();
const certs = await writeCertificates(join(tmpdir(), `dtls-kit-bench-certs-${process.pid}`));
const cbin = buildC();

const node = (file, ...args) => [process.execPath, [join(here, file), ...args]];
const nodeGc = (file, ...args) => [process.execPath, ['--expose-gc', join(here, file), ...args]];
const c = (...args) => [cbin, args.map(String)];

// ---------------------------------------------------------------- servers and clients

const servers = {
  dgram: () => node('peer-dgram.mjs', '--role', 'server'),
  kit: (suite, provider = 'node') => node('peer-dtlskit.mjs', '--role', 'server', '--suite', suite, '--provider', provider, '--certs', certs),
  openssl: (suite) => c('server', suite, 0, certs),
  werift: () => node('peer-werift.mjs', '--role', 'server', '--suite', 'ecdsa', '--certs', certs),
  blocking: (workers) => node('peer-blocking.mjs', '--role', 'server', '--suite', 'psk', '--workers', String(workers)),
};

const loadArgs = (workload, count, warmup, seconds) => ['--workload', workload, '--count', String(count), '--warmup', String(warmup), '--seconds', String(seconds)];
const clients = {
  dgram: (port, w, n, warm, s) => node('peer-dgram.mjs', '--role', 'client', '--port', String(port), ...loadArgs(w, n, warm, s)),
  kit: (suite, provider = 'node') => (port, w, n, warm, s) =>
    node('peer-dtlskit.mjs', '--role', 'client', '--suite', suite, '--provider', provider, '--certs', certs, '--port', String(port), ...loadArgs(w, n, warm, s)),
  openssl: (suite) => (port, w, n, warm, s) => c('client', w, suite, port, n, warm, s, certs),
  werift: (port, w, n, warm, s) => node('peer-werift.mjs', '--role', 'client', '--suite', 'ecdsa', '--certs', certs, '--port', String(port), ...loadArgs(w, n, warm, s)),
  ndc: (port, w, n, warm, s) => node('peer-ndc.mjs', '--role', 'client', '--suite', 'psk', '--port', String(port), ...loadArgs(w, n, warm, s)),
};

/** One row of a message/handshake measurement: a server and one or more clients. */
const row = (label, server, client, { clientsCount = 1, note } = {}) => ({ label, server, client, clientsCount, note });

const rate = (key) => (rs) => rs.reduce((a, r) => a + r[key], 0) / Math.max(...rs.map((r) => r.seconds));

const measurements = [
  {
    id: 'throughput',
    title: 'One-way throughput, 1200-byte messages (window 64, an ack every 16)',
    workload: ['throughput', N.tput, N.tputWarm, N.sec],
    unit: 'records/s',
    extra: { unit: 'MB/s', of: (v) => (v * 1200) / 1e6 },
    value: rate('records'),
    rows: [
      row('plain node:dgram (no crypto)', servers.dgram(), clients.dgram),
      row('dtls-kit non-blocking, node:crypto', servers.kit('psk'), clients.kit('psk')),
      row('dtls-kit non-blocking, noble', servers.kit('psk', 'noble'), clients.kit('psk', 'noble')),
      row('OpenSSL 3 (C)', servers.openssl('psk'), clients.openssl('psk')),
      row('werift-dtls (ECDHE-ECDSA)', servers.werift(), clients.werift),
      row('node-dtls-client → OpenSSL server', servers.openssl('psk'), clients.ndc),
    ],
    baselines: ['plain node:dgram (no crypto)', 'OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA)'],
  },
  {
    id: 'pingpong',
    title: 'Ping-pong, 1200-byte messages (one in flight)',
    workload: ['pingpong', N.pp, N.ppWarm, N.sec],
    unit: 'round trips/s',
    value: rate('roundTrips'),
    rows: [
      row('plain node:dgram (no crypto)', servers.dgram(), clients.dgram),
      row('dtls-kit non-blocking, node:crypto', servers.kit('psk'), clients.kit('psk')),
      row('dtls-kit non-blocking, noble', servers.kit('psk', 'noble'), clients.kit('psk', 'noble')),
      row('OpenSSL 3 (C)', servers.openssl('psk'), clients.openssl('psk')),
      row('werift-dtls (ECDHE-ECDSA)', servers.werift(), clients.werift),
      row('node-dtls-client → OpenSSL server', servers.openssl('psk'), clients.ndc),
    ],
    baselines: ['plain node:dgram (no crypto)', 'OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA)'],
  },
  {
    id: 'handshake-psk',
    title: 'Sequential full handshakes, PSK-AES128-GCM-SHA256, cookie exchange on',
    workload: ['handshake', N.hs, N.hsWarm, N.sec],
    unit: 'handshakes/s',
    value: rate('handshakes'),
    rows: [
      row('dtls-kit non-blocking, node:crypto', servers.kit('psk'), clients.kit('psk')),
      row('dtls-kit non-blocking, noble', servers.kit('psk', 'noble'), clients.kit('psk', 'noble')),
      row('OpenSSL 3 (C)', servers.openssl('psk'), clients.openssl('psk')),
      row('OpenSSL client → dtls-kit server', servers.kit('psk'), clients.openssl('psk')),
      row('dtls-kit client → OpenSSL server', servers.openssl('psk'), clients.kit('psk')),
      row('node-dtls-client → dtls-kit server', servers.kit('psk'), clients.ndc),
      row('node-dtls-client → OpenSSL server', servers.openssl('psk'), clients.ndc),
    ],
    baselines: ['OpenSSL 3 (C)'],
  },
  {
    id: 'handshake-ecdsa',
    title: 'Sequential full handshakes, ECDHE-ECDSA-AES128-GCM-SHA256 (P-256 certificate), cookie exchange on',
    workload: ['handshake', N.hs, N.hsWarm, N.sec],
    unit: 'handshakes/s',
    value: rate('handshakes'),
    rows: [
      row('dtls-kit non-blocking, node:crypto', servers.kit('ecdsa'), clients.kit('ecdsa')),
      row('dtls-kit non-blocking, noble', servers.kit('ecdsa', 'noble'), clients.kit('ecdsa', 'noble')),
      row('OpenSSL 3 (C)', servers.openssl('ecdsa'), clients.openssl('ecdsa')),
      row('werift-dtls (ECDHE-ECDSA)', servers.werift(), clients.werift, { note: 'client checks no chain' }),
      row('OpenSSL client → dtls-kit server', servers.kit('ecdsa'), clients.openssl('ecdsa')),
      row('dtls-kit client → OpenSSL server', servers.openssl('ecdsa'), clients.kit('ecdsa')),
    ],
    baselines: ['OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA)'],
  },
  {
    id: 'blocking',
    title: `Blocking runtime, handshakes/s with 1 and 2 server workers (PSK-AES128-GCM-SHA256; ${N.blockingClients} OpenSSL C client processes, sequential handshakes each)`,
    workload: ['handshake', N.hs, N.hsWarm, N.sec],
    unit: 'handshakes/s',
    value: rate('handshakes'),
    rows: [
      row('dtls-kit blocking, 1 worker', servers.blocking(1), clients.openssl('psk'), { clientsCount: N.blockingClients }),
      row('dtls-kit blocking, 2 workers', servers.blocking(2), clients.openssl('psk'), { clientsCount: N.blockingClients }),
      row('dtls-kit non-blocking, node:crypto', servers.kit('psk'), clients.openssl('psk'), { clientsCount: N.blockingClients }),
      row('OpenSSL 3 (C)', servers.openssl('psk'), clients.openssl('psk'), { clientsCount: N.blockingClients, note: 'one client at a time: serialises the clients' }),
    ],
    baselines: ['dtls-kit blocking, 1 worker', 'OpenSSL 3 (C)'],
  },
];

// Memory per idle established connection: the server reports heap/RSS after GC, before and with N.
const memoryServers = {
  'dtls-kit non-blocking, node:crypto': (n) => nodeGc('peer-dtlskit.mjs', '--role', 'server', '--suite', 'psk', '--connections', String(n)),
  'dtls-kit non-blocking, noble': (n) => nodeGc('peer-dtlskit.mjs', '--role', 'server', '--suite', 'psk', '--provider', 'noble', '--connections', String(n)),
  'werift-dtls (ECDHE-ECDSA)': (n) => nodeGc('peer-werift.mjs', '--role', 'server', '--suite', 'ecdsa', '--certs', certs, '--connections', String(n)),
};
const memoryClients = {
  'dtls-kit non-blocking, node:crypto': (port, n) => node('peer-dtlskit.mjs', '--role', 'client', '--workload', 'hold', '--suite', 'psk', '--port', String(port), '--connections', String(n), '--concurrency', '16', '--seconds', String(N.memSec)),
  'dtls-kit non-blocking, noble': (port, n) => node('peer-dtlskit.mjs', '--role', 'client', '--workload', 'hold', '--suite', 'psk', '--port', String(port), '--connections', String(n), '--concurrency', '16', '--seconds', String(N.memSec)),
  'werift-dtls (ECDHE-ECDSA)': (port, n) => node('peer-werift.mjs', '--role', 'client', '--workload', 'hold', '--suite', 'ecdsa', '--certs', certs, '--port', String(port), '--connections', String(n), '--concurrency', '16', '--seconds', String(N.memSec)),
};
for (const n of N.mem) {
  const labels = n >= 10_000 ? ['dtls-kit non-blocking, node:crypto'] : Object.keys(memoryServers);
  measurements.push({
    id: `memory-${n}`,
    title: `Memory per idle established connection, ${n} connections on one server (PSK for dtls-kit; heap and RSS growth after GC ÷ connections; clients in ${Math.ceil(n / 2500)} separate process(es))`,
    memory: n,
    unit: 'bytes/connection',
    rows: labels.map((label) => ({ label, server: memoryServers[label](n), hold: memoryClients[label] })),
    baselines: ['werift-dtls (ECDHE-ECDSA)'].filter((b) => labels.includes(b)),
  });
}

// ---------------------------------------------------------------- running

async function runMessages(m, r) {
  const server = start(...r.server);
  try {
    const port = Number(await server.line('READY', 20_000));
    const [w, n, warm, s] = m.workload;
    const procs = Array.from({ length: r.clientsCount }, () => start(...r.client(port, w, n, warm, s)));
    try {
      const deadline = (s + 30) * 1000 + warm * 200;
      return await Promise.all(procs.map((p) => result(p, deadline)));
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
  } finally {
    await server.stop();
  }
}

async function runMemory(m, r) {
  const n = m.memory;
  const server = start(...r.server);
  const holders = [];
  try {
    const port = Number(await server.line('READY', 20_000));
    const per = Math.ceil(n / Math.ceil(n / 2500));
    for (let left = n; left > 0; left -= per) holders.push(start(...r.hold(port, Math.min(per, left))));
    const memory = await result(server, (N.memSec + 30) * 1000);
    return [memory];
  } finally {
    await Promise.all(holders.map((p) => p.stop()));
    await server.stop();
  }
}

const selected = measurements.filter((m) => !only || only.test(m.id));
const samples = new Map(); // measurement id -> label -> [values]
const failures = [];

async function runRow(m, r, run) {
  const key = `${m.id} / ${r.label}`;
  try {
    const results = m.memory ? await runMemory(m, r) : await runMessages(m, r);
    const value = m.memory ? { heap: results[0].heapPerConnection, rss: results[0].rssPerConnection, connections: results[0].connections } : m.value(results);
    const perId = samples.get(m.id) ?? new Map();
    samples.set(m.id, perId);
    const list = perId.get(r.label) ?? [];
    list.push(value);
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
const markdown = renderMarkdown({ info, tables, runs, quick, parallel, failures, seconds: (performance.now() - t0) / 1000, note: process.env.BENCH_NOTE });
mkdirSync(outDir, { recursive: true });
const stamp = startedAt.toISOString().slice(0, 16).replace(':', '');
const file = join(outDir, `${stamp}-${info.host}.md`);
writeFileSync(file, markdown);
writeFileSync(join(outDir, 'latest.md'), markdown);
process.stdout.write(markdown);
process.stderr.write(`\nwritten: ${file} and latest.md\n`);
process.exitCode = failures.length > 0 ? 1 : 0;
