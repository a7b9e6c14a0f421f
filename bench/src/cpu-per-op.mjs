// CPU time per PSK-AES128-GCM handshake, per 1,200-byte ping-pong round trip or per one-way
// 1,200-byte record, in the client process and in the server process (not wall-clock rates: on a
// loaded machine other processes change those, much less this), for one or more dtls-kit trees
// side by side, A/B interleaved:
//
//   node src/cpu-per-op.mjs handshake|pingpong|throughput [REPS] TREE [TREE...]
//     e.g. node src/cpu-per-op.mjs handshake 6 /work/wt-main /work/wt-mine
//          BENCH_PROVIDER=native node src/cpu-per-op.mjs throughput 6 dgram /work/wt-main /work/wt-mine
//
// BENCH_PROVIDER (node, the default, or native, sodium, noble: peer-dtlskit.mjs's --provider) is
// the crypto provider of both sides; TREE `dgram` is plain node:dgram (peer-dgram.mjs), the
// baseline of the message rows. Throughput is the bench row's loop (throughputClient: window 64,
// an ack every 16); its wall figure is µs per record (the inverse of the row's records/s).
// Each TREE is a built checkout (make build). Per tree, one server (that tree's peer-dtlskit.mjs:
// the bench row's server, tickets and the session cache off) runs through all repetitions, warmed
// up first; each repetition starts a client process of that tree that warms up (handshakes: 3,000,
// the bench row's warm-up, long enough for V8 to have optimized the handshake path; a few hundred
// leave the compiler running and double the client's figure), then measures COUNT operations:
//  - the client: process.cpuUsage() around the measured loop (its main thread, GC and compiler
//    threads, user and system time);
//  - the server: /proc/PID/stat utime + stime over the client's whole run, divided by the
//    operations of that run (the server does nothing else meanwhile).
// The handshake loop is the bench row's: sequential full handshakes, a new client each, the
// cookie exchange on, close_notify after each. Prints the median of the repetitions and each one.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dgram from 'node:dgram';
import { PSK_IDENTITY, PSK_KEY_HEX, throughputClient } from './common.mjs';

const CLK_TCK = 100; // Linux's USER_HZ (getconf CLK_TCK)
const PLAN = {
  handshake: { count: 2000, warmup: 3000, serverWarmup: 4000 },
  pingpong: { count: 15_000, warmup: 3000, serverWarmup: 3000 },
  throughput: { count: 100_000, warmup: 5000, serverWarmup: 20_000 },
};
const PROVIDER = process.env.BENCH_PROVIDER ?? 'node';
const here = fileURLToPath(new URL('.', import.meta.url));

/** utime + stime of a process, in µs. */
function processCpuUs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}

/** stime alone (the kernel's share: sendmsg on loopback runs the receiver's UDP input too), in µs. */
function processSysUs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[12]) * 1e6) / CLK_TCK;
}

/** The client: run in a process of its own (`--client TREE PORT WORKLOAD COUNT WARMUP`). */
async function client([tree, port, workload, count, warmup]) {
  if (tree === 'dgram') return measure(await dgramTransport(port), workload, count, warmup);
  const { connect } = await import(join(tree, 'packages/nonblocking/dist/index.js'));
  const { pskClient } = await import(join(tree, 'packages/psk/dist/index.js'));
  const core = await import(join(tree, 'packages/core/dist/index.js'));
  const providers = { node: () => core.nodeCryptoProvider, noble: () => core.nobleCryptoProvider, sodium: () => core.loadSodiumCryptoProvider(), native: () => core.loadNativeCryptoProvider() };
  const options = {
    provider: providers[PROVIDER](),
    host: '127.0.0.1',
    port: Number(port),
    psk: pskClient({ identity: PSK_IDENTITY, key: PSK_KEY_HEX }),
    cipherSuites: PROVIDER === 'sodium' ? 'PSK-CHACHA20-POLY1305' : 'PSK-AES128-GCM-SHA256',
    maxVersion: 'DTLSv1.2',
    mtu: 1472,
    handshakeTimeoutMs: 10_000,
    sessionTickets: false,
  };
  if (workload === 'handshake') {
    return measure({ handshake: () => connect(options) }, workload, count, warmup);
  }
  const socket = await connect(options);
  let listener = null;
  socket.on('message', (m) => listener?.(m));
  return measure({ send: (m) => socket.send(m), onMessage: (cb) => (listener = cb) }, workload, count, warmup);
}

/** The bench's plain node:dgram client transport ({ send, onMessage }), connected to PORT. */
async function dgramTransport(port) {
  const socket = dgram.createSocket('udp4');
  await new Promise((r) => socket.connect(Number(port), '127.0.0.1', r));
  let listener = null;
  socket.on('message', (m) => listener?.(m));
  return { send: (m) => socket.send(m), onMessage: (cb) => (listener = cb) };
}

/** Runs WARMUP then COUNT operations over `transport` and prints the measured run's figures. */
async function measure(transport, workload, count, warmup) {
  let run;
  if (workload === 'handshake') {
    run = async (n) => {
      for (let i = 0; i < n; i++) await (await transport.handshake()).close();
    };
  } else if (workload === 'throughput') {
    const state = { total: 0 };
    run = async (n) => {
      const r = await throughputClient(transport, n, 60, state);
      if (r.records < n) throw new Error(`throughput: ${r.records} of ${n} records acknowledged`);
    };
  } else {
    const ping = Buffer.alloc(1200, 0x62);
    ping[0] = 0x50; // 'P': the bench server echoes it
    let answered = () => {};
    transport.onMessage(() => answered());
    run = async (n) => {
      for (let i = 0; i < n; i++) {
        const echo = new Promise((resolve, reject) => {
          const stall = setTimeout(() => reject(new Error('no echo within 2 s')), 2000);
          answered = () => {
            clearTimeout(stall);
            resolve();
          };
        });
        transport.send(ping);
        await echo;
      }
    };
  }
  await run(Number(warmup));
  const before = process.cpuUsage();
  const start = performance.now();
  await run(Number(count));
  const used = process.cpuUsage(before);
  process.stdout.write(`${JSON.stringify({ cpuUs: (used.user + used.system) / Number(count), sysUs: used.system / Number(count), wallUs: ((performance.now() - start) * 1000) / Number(count) })}\n`);
  process.exit(0);
}

function startServer(tree) {
  const args =
    tree === 'dgram'
      ? [join(here, 'peer-dgram.mjs'), '--role', 'server']
      : [join(tree, 'bench/src/peer-dtlskit.mjs'), '--role', 'server', '--suite', PROVIDER === 'sodium' ? 'psk-chacha' : 'psk', '--provider', PROVIDER];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const timer = setTimeout(() => reject(new Error(`${tree}: no server within 20 s`)), 20_000);
    p.stdout.on('data', (d) => {
      const m = /READY (\d+)/.exec(d.toString());
      if (m) {
        clearTimeout(timer);
        resolve({ p, port: m[1] });
      }
    });
    p.on('exit', (code) => reject(new Error(`${tree}: server exited (${code})`)));
  });
}

function runClient(tree, port, workload, count, warmup) {
  return new Promise((resolve, reject) => {
    const args = [fileURLToPath(import.meta.url), '--client', tree, port, workload, String(count), String(warmup)];
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => p.kill(), 300_000); // bounded: a stuck client ends the run
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`${tree}: client exited (${code})`));
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(argv) {
  const [workload, ...rest] = argv;
  const plan = PLAN[workload];
  const reps = /^\d+$/.test(rest[0] ?? '') ? Number(rest.shift()) : 5;
  if (plan === undefined || rest.length === 0) {
    process.stderr.write('usage: [BENCH_PROVIDER=node|native|sodium|noble] node src/cpu-per-op.mjs handshake|pingpong|throughput [REPS] TREE|dgram [TREE...]\n');
    process.exit(2);
  }
  const servers = new Map();
  try {
    for (const tree of rest) servers.set(tree, await startServer(tree));
    for (const tree of rest) await runClient(tree, servers.get(tree).port, workload, 10, plan.serverWarmup);
    const figures = new Map(rest.map((t) => [t, { client: [], clientSys: [], server: [], serverSys: [], wall: [] }]));
    for (let i = 0; i < reps; i++) {
      // Interleaved, the order flipped every repetition.
      for (const tree of i % 2 === 0 ? rest : [...rest].reverse()) {
        const { p, port } = servers.get(tree);
        const before = processCpuUs(p.pid);
        const sysBefore = processSysUs(p.pid);
        const r = await runClient(tree, port, workload, plan.count, plan.warmup);
        const server = (processCpuUs(p.pid) - before) / (plan.count + plan.warmup);
        const f = figures.get(tree);
        f.client.push(r.cpuUs);
        f.clientSys.push(r.sysUs);
        f.server.push(server);
        f.serverSys.push((processSysUs(p.pid) - sysBefore) / (plan.count + plan.warmup));
        f.wall.push(r.wallUs);
      }
    }
    const unit = { handshake: 'per handshake', pingpong: 'per round trip', throughput: 'per record' }[workload];
    for (const [tree, f] of figures) {
      const list = (xs) => xs.map((x) => x.toFixed(0)).join(' ');
      process.stdout.write(
        `${tree}: CPU µs ${unit}: client ${median(f.client).toFixed(1)} [${list(f.client)}] (system ${median(f.clientSys).toFixed(1)}), server ${median(f.server).toFixed(1)} [${list(f.server)}] (system ${median(f.serverSys).toFixed(1)}); wall ${median(f.wall).toFixed(0)} µs\n`,
      );
    }
  } finally {
    for (const { p } of servers.values()) p.stdin.end();
  }
}

if (process.argv[2] === '--client') await client(process.argv.slice(3));
else await main(process.argv.slice(2));
