// wolfSSL 5.5.4's own example programs (C, from Debian's source package, built by
// scripts/peers/build-wolfssl.sh into ~/.cache/dtls-kit-peers; they run from its source root), as
// the C reference of the DTLS 1.3 vs 1.2 throughput table: their benchmark mode, both sides with
// wolfSSL's hard-coded PSK, 1200-byte records:
//   ./examples/server/server -u -v 3|4 -s -l SUITE -p PORT -d -B BYTES,1200
//   ./examples/client/client -u -v 3|4 -s -l SUITE -h 127.0.0.1 -p PORT -d -x -B BYTES,1200
// (SUITE: PSK-AES128-GCM-SHA256 in 1.2, TLS13-AES128-GCM-SHA256 in 1.3)
// The client seals and sends BYTES in 1200-byte records, without a window or acks (not our
// workload), then reads them back; its "TX" time is the send side's. The rate reported is that:
// records sealed and sent per second by the client.
//   server:  --role server --version 1.2|1.3 --count N
//   client:  --role client --version 1.2|1.3 --port P --count N
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MESSAGE_SIZE, exitWithRunner, fail, ready, result } from './common.mjs';

const { values } = parseArgs({ options: { role: { type: 'string' }, version: { type: 'string', default: '1.3' }, port: { type: 'string', default: '0' }, count: { type: 'string', default: '10000' } }, strict: true });
const VERSION_FLAG = { '1.2': '3', '1.3': '4' };
/** The AES-128-GCM suite of each version, as wolfSSL names them. */
const SUITE = { '1.2': 'PSK-AES128-GCM-SHA256', '1.3': 'TLS13-AES128-GCM-SHA256' };
const version = VERSION_FLAG[values.version];
if (version === undefined) fail(new Error(`--version 1.2 or 1.3, got ${values.version}`));
const bytes = Number(values.count) * MESSAGE_SIZE;

/** The wolfSSL source root (built first if the cache lacks it: minutes, once). */
function root() {
  const script = fileURLToPath(new URL('../../scripts/peers/build-wolfssl.sh', import.meta.url));
  return execFileSync(script, ['default'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 }).trim().split('\n').at(-1);
}

/** A free UDP port on 127.0.0.1 (the example server takes a port, not 0). */
async function freePort() {
  const s = createSocket('udp4');
  await new Promise((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/**
 * True when a UDP socket is bound to port on 127.0.0.1 or the wildcard address, read from
 * /proc/net/udp. Probing by binding the port ourselves would race the server: a probe that binds
 * first makes the server's own bind fail with "Address already in use".
 */
function boundNow(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const table = readFileSync('/proc/net/udp', 'utf8');
  return table.split('\n').some((line) => {
    const local = line.trim().split(/\s+/)[1];
    return local === `0100007F:${hexPort}` || local === `00000000:${hexPort}`;
  });
}

/** Resolves true once something is bound to 127.0.0.1:port (UDP); false if `child` exits first or `ms` pass. */
async function bound(port, child, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end && child.exitCode === null && child.signalCode === null) {
    if (boundNow(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/**
 * Starts wolfSSL's example server on a free port. The port is free when we pick it and may be taken
 * before the server binds it (another process on the machine): then the server exits, and we try
 * another port, a bounded number of times.
 */
async function startServer(args, attempts) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(join(dir, 'examples/server/server'), [...args, '-p', String(port)], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    if (await bound(port, child, 5000)) return { child, port };
    child.kill('SIGKILL');
    if (attempt >= attempts) throw new Error(`the wolfSSL server did not bind a port in ${attempts} attempts (last: 127.0.0.1:${port})`);
  }
}

const dir = root();
const common = ['-u', '-v', version, '-s', '-l', SUITE[values.version], '-d', '-B', `${bytes},${MESSAGE_SIZE}`];
try {
  if (values.role === 'server') {
    const { child, port } = await startServer(common, 3);
    ready(port);
    exitWithRunner(() => child.kill('SIGKILL'));
  } else {
    const child = spawn(join(dir, 'examples/client/client'), [...common, '-x', '-h', '127.0.0.1', '-p', values.port], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    exitWithRunner(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    const code = await new Promise((resolve) => child.once('close', resolve));
    const tx = /TX\s+([\d.]+) ms/.exec(out);
    if (code !== 0 || tx === null) throw new Error(`wolfSSL's client exited ${code}:\n${out}`);
    result({ records: bytes / MESSAGE_SIZE, seconds: Number(tx[1]) / 1000 });
    process.exit(0);
  }
} catch (e) {
  fail(e);
}
