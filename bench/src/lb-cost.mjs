// What nginx's UDP load balancing costs per datagram (issue 18), measured as CPU time of the nginx
// worker process (/proc/PID/stat utime + stime) over a fixed ping-pong, so that other load on the
// machine changes the wall-clock rates but not this figure:
//   node src/lb-cost.mjs [ROUND_TRIPS]    (default 30000; loopback only, one backend)
// Three set-ups, each `peer-lb.mjs` (nginx with `dtls-kit lb-config --workers 1`): plain dgram
// without the njs filter (nginx's stream proxy alone; the preread runs once per session), dtls-kit
// without the filter, and dtls-kit with the PROXY v2 filter on every datagram. Each round trip
// passes nginx twice (client -> backend, backend -> client); the filter runs on the first only.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { result, start } from './runner.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const ROUND_TRIPS = Number(process.argv[2] ?? 30_000);
const WARMUP = 1000;
const CLK_TCK = 100; // Linux's USER_HZ (getconf CLK_TCK)

/** utime + stime, in seconds, of every child process of `masterPid` (nginx's workers). */
function workersCpuSeconds(masterPid) {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may contain spaces): state ppid ... utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) !== masterPid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLK_TCK;
}

const setups = [
  { label: 'plain node:dgram, no njs filter', server: ['--backend', 'dgram', '--proxy', 'off'], client: ['peer-dgram.mjs', '--role', 'client'] },
  { label: 'dtls-kit PSK-AES128-GCM, no njs filter', server: ['--backend', 'kit', '--proxy', 'off'], client: ['peer-dtlskit.mjs', '--role', 'client', '--suite', 'psk'] },
  { label: 'dtls-kit PSK-AES128-GCM, PROXY v2 filter', server: ['--backend', 'kit', '--proxy', 'on'], client: ['peer-dtlskit.mjs', '--role', 'client', '--suite', 'psk'] },
];

console.log(`| set-up (1 backend, ${ROUND_TRIPS} round trips of 1200 bytes) | nginx worker CPU per datagram forwarded | round trips/s (wall clock, machine load included) |`);
console.log('| --- | --- | --- |');
for (const s of setups) {
  const lb = start(process.execPath, [join(here, 'peer-lb.mjs'), '--backends', '1', ...s.server]);
  try {
    const master = Number(await lb.line('NGINX', 30_000));
    const port = Number(await lb.line('READY', 30_000));
    const before = workersCpuSeconds(master);
    const client = start(process.execPath, [join(here, s.client[0]), ...s.client.slice(1), '--port', String(port), '--workload', 'pingpong', '--count', String(ROUND_TRIPS), '--warmup', String(WARMUP), '--seconds', '60']);
    const r = await result(client, 120_000);
    await client.stop();
    const cpu = workersCpuSeconds(master) - before;
    // Two forwardings per round trip (warm-up included; the handshake's few datagrams are noise).
    const datagrams = 2 * (r.roundTrips + WARMUP);
    console.log(`| ${s.label} | ${((cpu / datagrams) * 1e6).toFixed(1)} µs | ${Math.round(r.roundTrips / r.seconds).toLocaleString('en-US')} |`);
  } finally {
    await lb.stop();
  }
}
