// Where a handshake's CPU goes, thread by thread: the bench's blocking server (1, 2, 4 workers) and
// its non-blocking server, each against the bench's OpenSSL C clients (PSK-AES128-GCM-SHA256,
// sequential handshakes, as `pnpm bench`'s 'blocking' row), with each server thread's CPU time
// (/proc/PID/task/TID/schedstat, in ns) divided by the handshakes done while it was measured.
// Threads: `main` (the socket, the cookie exchange, the rings' host side), then the others, oldest
// first: V8's platform workers (GC and JIT compilation for every isolate) and libuv's come first,
// Piscina's workers (the engine and the handler) last; a thread under 0.5 µs is left out.
// Throughput on a shared machine swings with its load; CPU per handshake, thread by thread, much
// less: compare those (issue 15).
//   node bench/thread-cpu.mjs [--workers 1,2,4] [--clients 4] [--warmup 3000] [--count 5000] [--seconds 3]
// (after `make build`; Linux only).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildC } from '../../../bench/src/build-c.mjs';
import { writeCertificates } from '../../../bench/src/credentials.mjs';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2,4' },
    clients: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '3000' },
    count: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '3' },
    // Which servers, in this order (repeat a name to interleave A/B): blocking, handover (the
    // prototype of handover-prototype.mjs, shared rings), handover-message (its postMessage
    // variant), nonblocking.
    servers: { type: 'string', default: 'blocking,nonblocking' },
  },
});
const clients = Number(values.clients);
const benchSrc = fileURLToPath(new URL('../../../bench/src/', import.meta.url));
const cbin = buildC();
const certs = await writeCertificates(mkdtempSync(join(tmpdir(), 'dtls-kit-thread-cpu-')));

/** Each thread's CPU time so far (ns). */
function threads(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(tid, { ns: Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

function startServer(args) {
  const server = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = new Promise((resolve, reject) => {
    let buf = '';
    server.stdout.on('data', (d) => {
      buf += d;
      const m = /READY (\d+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`server exited (${code}) before READY`)));
  });
  return { server, port };
}

/** `clients` C clients doing `count` sequential handshakes each, for at most `seconds`. */
function load(port, count, seconds) {
  return Promise.all(
    Array.from(
      { length: clients },
      () =>
        new Promise((resolve, reject) => {
          const c = spawn(cbin, ['client', 'handshake', 'psk', port, String(count), '0', String(seconds), certs], { stdio: ['ignore', 'pipe', 'inherit'] });
          let buf = '';
          c.stdout.on('data', (d) => (buf += d));
          c.on('exit', () => {
            const m = /RESULT (.*)/.exec(buf);
            if (m) resolve(JSON.parse(m[1]));
            else reject(new Error(`client gave no RESULT: ${buf}`));
          });
        }),
    ),
  );
}

async function measure(label, args) {
  const { server, port: ready } = startServer(args);
  try {
    const port = await ready;
    if (Number(values.warmup) > 0) await load(port, Number(values.warmup), 30);
    const before = threads(server.pid);
    const results = await load(port, Number(values.count), Number(values.seconds));
    const after = threads(server.pid);
    const handshakes = results.reduce((a, r) => a + r.handshakes, 0);
    const seconds = Math.max(...results.map((r) => r.seconds));
    const per = [...after]
      .map(([tid, t]) => ({ tid: Number(tid), us: (t.ns - (before.get(tid)?.ns ?? 0)) / 1000 / handshakes }))
      .sort((a, b) => a.tid - b.tid);
    const main = per.find((t) => t.tid === server.pid)?.us ?? 0;
    const others = per.filter((t) => t.tid !== server.pid && t.us >= 0.5).map((t) => t.us.toFixed(0));
    const total = per.reduce((a, t) => a + t.us, 0);
    console.log(`${label.padEnd(22)} ${String(Math.round(handshakes / seconds)).padStart(6)} handshakes/s | CPU per handshake: total ${total.toFixed(0)} µs, main ${main.toFixed(0)} µs, other threads (by age) ${others.join(' ')} µs`);
  } finally {
    server.kill();
  }
}

console.log(`${clients} OpenSSL C clients, PSK-AES128-GCM-SHA256, warm-up ${values.warmup} handshakes each, then up to ${values.count} each in ${values.seconds} s`);
const handover = fileURLToPath(new URL('./handover-prototype.mjs', import.meta.url));
for (const name of values.servers.split(',')) {
  for (const w of name === 'nonblocking' ? [0] : values.workers.split(',').map(Number)) {
    const workers = `${w} worker${w === 1 ? '' : 's'}`;
    if (name === 'blocking') await measure(`blocking, ${workers}`, [join(benchSrc, 'peer-blocking.mjs'), '--role', 'server', '--suite', 'psk', '--workers', String(w)]);
    else if (name === 'handover') await measure(`hand-over ring, ${workers}`, [handover, '--workers', String(w), '--channel', 'ring']);
    else if (name === 'handover-message') await measure(`hand-over msg, ${workers}`, [handover, '--workers', String(w), '--channel', 'message']);
    else if (name === 'nonblocking') await measure('non-blocking', [join(benchSrc, 'peer-dtlskit.mjs'), '--role', 'server', '--suite', 'psk', '--sessions', 'off', '--certs', certs]);
    else throw new Error(`unknown server ${name}`);
  }
}
