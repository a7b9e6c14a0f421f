// CPU time per handshake in each thread of the `blocking` row's server (its main thread, each of
// its worker threads, the rest: V8's compiler and GC threads, libuv's), next to the non-blocking
// server's, for one or more dtls-kit trees side by side, A/B interleaved:
//
//   node src/blocking-cpu.mjs [REPS] [SERVER...] -- TREE [TREE...]
//     SERVER: b1 b2 b4 (the blocking server with 1, 2, 4 workers), m1 m2 m4 (the same with
//     handshakes: 'main': the main thread runs the handshakes, the workers the established
//     connections) or nb (the non-blocking one); default: b2 nb.   e.g. node src/blocking-cpu.mjs 4 b2 -- /work/wt-main /work/wt-mine
//     At most two cases (tree x server) at once with the default BLOCKING_S: between two turns of
//     a server the others run, and a blocking worker idle for 5 s (workerIdleTimeoutMs) leaves.
//
// The row's workload: BLOCKING_CLIENTS (default 4) OpenSSL C client processes (bench/c), each
// running sequential PSK-AES128-GCM handshakes (cookie exchange on, close_notify after each). Each
// server (that tree's peer-blocking.mjs or peer-dtlskit.mjs) is started once and warmed up by
// BLOCKING_WARM_S seconds (default 8: a blocking server's workers compile on their own and are
// still compiling a few seconds in) of that load; then each repetition runs the clients for
// BLOCKING_S seconds (default 3) with no warm-up of their own, and reads every thread's utime +
// stime (/proc/PID/task/TID/stat) before and after, divided by the handshakes the clients
// completed. Threads (all named `node`) are told apart by their CPU time: `main` (the process's
// first thread), `workers` (the N busiest others, N the server's worker count: the Piscina
// workers, each listed), `rest` (every other thread: V8's compiler and GC helpers, libuv's; if a
// compiler thread outran an idle worker, the two swap, which the per-worker list shows). Also prints the handshakes/s of
// each repetition (wall-clock: on a loaded machine read the CPU figures first).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildC } from './build-c.mjs';
import { writeCertificates } from './credentials.mjs';
import { tmpdir } from 'node:os';

const CLK_TCK = 100; // Linux's USER_HZ (getconf CLK_TCK)
const CLIENTS = Number(process.env.BLOCKING_CLIENTS ?? 4);
const WARM_S = Number(process.env.BLOCKING_WARM_S ?? 8);
const MEASURE_S = Number(process.env.BLOCKING_S ?? 3);

/** utime + stime of every thread of `pid`, in µs, by thread id. */
function threadsCpuUs(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(Number(tid), ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

function startServer(tree, server) {
  const src = join(tree, 'bench/src');
  const args =
    server === 'nb'
      ? [join(src, 'peer-dtlskit.mjs'), '--role', 'server', '--suite', 'psk', '--provider', 'node']
      : [join(src, 'peer-blocking.mjs'), '--role', 'server', '--suite', 'psk', '--workers', server.slice(1), '--handshakes', server.startsWith('m') ? 'main' : 'worker'];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const timer = setTimeout(() => reject(new Error(`${tree} ${server}: no server within 20 s`)), 20_000);
    p.stdout.on('data', (d) => {
      const m = /READY (\d+)/.exec(d.toString());
      if (m) {
        clearTimeout(timer);
        resolve({ p, port: m[1] });
      }
    });
    p.on('exit', (code) => reject(new Error(`${tree} ${server}: server exited (${code})`)));
  });
}

/** CLIENTS C clients for `seconds`, no warm-up; resolves with the handshakes they completed. */
function runClients(cbin, certs, port, seconds) {
  const one = () =>
    new Promise((resolve, reject) => {
      const p = spawn(cbin, ['client', 'handshake', 'psk', String(port), '100000000', '0', String(seconds), certs], { stdio: ['ignore', 'pipe', 'inherit'] });
      const timer = setTimeout(() => p.kill(), (seconds * 2 + 30) * 1000); // bounded
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      // 'close', not 'exit': a client may exit before its RESULT line has been read from the pipe.
      p.on('close', (code) => {
        clearTimeout(timer);
        const m = /RESULT (.*)/.exec(out);
        if (code === 0 && m) resolve(JSON.parse(m[1]).handshakes);
        else reject(new Error(`client exited (${code}): ${out}`));
      });
    });
  return Promise.all(Array.from({ length: CLIENTS }, one)).then((xs) => xs.reduce((a, b) => a + b, 0));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(argv) {
  const reps = /^\d+$/.test(argv[0] ?? '') ? Number(argv.shift()) : 4;
  const dash = argv.indexOf('--');
  const servers = dash > 0 ? argv.slice(0, dash) : ['b2', 'nb'];
  const trees = dash >= 0 ? argv.slice(dash + 1) : argv;
  if (trees.length === 0 || servers.some((s) => !/^([bm]\d+|nb)$/.test(s))) {
    process.stderr.write('usage: node src/blocking-cpu.mjs [REPS] [b1|b2|b4|m1|m2|m4|nb ...] -- TREE [TREE...]\n');
    process.exit(2);
  }
  const cbin = buildC();
  const certs = await writeCertificates(join(tmpdir(), `dtls-kit-bench-certs-${process.pid}`));
  const cases = trees.flatMap((tree) => servers.map((server) => ({ tree, server, key: `${tree} ${server}` })));
  const live = new Map();
  const figures = new Map(cases.map((c) => [c.key, []]));
  try {
    for (const c of cases) live.set(c.key, await startServer(c.tree, c.server));
    // In rounds of 1 s, the servers in turn: a blocking server's worker idle for 5 s (its
    // workerIdleTimeoutMs) leaves, and a new one would start cold.
    for (let warmed = 0; warmed < WARM_S; warmed++) {
      for (const c of cases) await runClients(cbin, certs, live.get(c.key).port, 1);
    }
    for (let i = 0; i < reps; i++) {
      // Interleaved, the order flipped every repetition.
      for (const c of i % 2 === 0 ? cases : [...cases].reverse()) {
        const { p, port } = live.get(c.key);
        const before = threadsCpuUs(p.pid);
        const start = performance.now();
        const handshakes = await runClients(cbin, certs, port, MEASURE_S);
        const seconds = (performance.now() - start) / 1000;
        const after = threadsCpuUs(p.pid);
        const used = [...after].map(([tid, us]) => ({ tid, us: us - (before.get(tid) ?? 0) }));
        const main = used.find((t) => t.tid === p.pid)?.us ?? 0;
        const count = c.server === 'nb' ? 0 : Number(c.server.slice(1));
        const workers = used.filter((t) => t.tid !== p.pid).sort((a, b) => b.us - a.us).slice(0, count);
        const total = used.reduce((a, t) => a + t.us, 0);
        const per = (us) => us / handshakes;
        const workerUs = workers.reduce((a, t) => a + t.us, 0);
        figures.get(c.key).push({ rate: handshakes / seconds, total: per(total), main: per(main), workers: per(workerUs), each: workers.map((t) => per(t.us)), rest: per(total - main - workerUs) });
      }
    }
  } finally {
    for (const { p } of live.values()) p.stdin.end();
  }
  process.stdout.write(`CPU µs per handshake, server threads (median of ${reps}; ${CLIENTS} C clients, ${MEASURE_S} s each, after ${WARM_S} s of warm-up); load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  for (const [key, f] of figures) {
    const m = (k) => median(f.map((x) => x[k])).toFixed(0);
    const list = (k) => f.map((x) => x[k].toFixed(0)).join(' ');
    const each = f.map((x) => x.each.map((v) => v.toFixed(0)).join('+')).join(' | ');
    process.stdout.write(`${key}: ${m('rate')} handshakes/s [${list('rate')}]; total ${m('total')} [${list('total')}], main ${m('main')} [${list('main')}], workers ${m('workers')} [${each}], rest ${m('rest')}\n`);
  }
}

await main(process.argv.slice(2));
