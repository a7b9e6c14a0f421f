// nginx's UDP load balancer in front of N backend peers, as one "server" for the runner (issue 18):
//   node peer-lb.mjs --backend dgram|kit --backends N [--proxy on|off] [--suite psk] [--provider node]
// Starts the backends (peer-dgram.mjs, or peer-dtlskit.mjs with --proxy-from 127.0.0.1 when
// --proxy on), writes the configuration `dtls-kit lb-config --workers 1` prints (with
// --no-proxy-protocol for --proxy off: the njs filter's PROXY v2 header is then not written),
// starts Debian's nginx with it (`nginx -p TMP -c TMP/nginx.conf -e stderr -g 'daemon off;'`),
// and prints READY <nginx's port>. Stops nginx and the backends when the runner closes stdin.
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { exitWithRunner, fail, ready } from './common.mjs';
import { start } from './runner.mjs';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'kit' },
    backends: { type: 'string', default: '1' },
    proxy: { type: 'string', default: 'on' },
    suite: { type: 'string', default: 'psk' },
    provider: { type: 'string', default: 'node' },
  },
  strict: true,
});
const here = fileURLToPath(new URL('.', import.meta.url));
// The built CLI of this workspace (bench/ sits beside packages/).
const CLI = fileURLToPath(new URL('../../packages/cli/dist/cli.js', import.meta.url));
const proxy = values.proxy === 'on';
const children = [];
const prefix = mkdtempSync(join(tmpdir(), 'dtls-kit-bench-lb-'));

async function freePort() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

try {
  const ports = [];
  for (let i = 0; i < Number(values.backends); i++) {
    const args = values.backend === 'dgram'
      ? [join(here, 'peer-dgram.mjs'), '--role', 'server']
      : [join(here, 'peer-dtlskit.mjs'), '--role', 'server', '--suite', values.suite, '--provider', values.provider, ...(proxy ? ['--proxy-from', '127.0.0.1'] : [])];
    const backend = start(process.execPath, args);
    children.push(backend);
    ports.push(Number(await backend.line('READY', 20_000)));
  }
  const port = await freePort();
  // --proxy-timeout 2: every handshake of the handshake rows comes from a new client port, so a new
  // nginx session; with the default 300 s, thousands of finished handshakes would hold sessions
  // past worker_connections (4096) and nginx would stop answering. The load rows never idle 2 s.
  const config = spawnSync(process.execPath, [CLI, 'lb-config', '--backends', ports.map((p) => `127.0.0.1:${p}`).join(','), '--listen', `127.0.0.1:${port}`, '--workers', '1', '--proxy-timeout', '2', ...(proxy ? [] : ['--no-proxy-protocol'])], { encoding: 'utf8' });
  if (config.status !== 0) throw new Error(`dtls-kit lb-config failed: ${config.stderr}`);
  writeFileSync(join(prefix, 'nginx.conf'), config.stdout);
  const nginx = spawn(existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'], { stdio: 'ignore' });
  const log = join(prefix, 'error.log');
  for (let i = 0; !(existsSync(log) && readFileSync(log, 'utf8').includes('start worker process')); i++) {
    if (nginx.exitCode !== null || i > 500) throw new Error(`nginx did not start: ${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // nginx's master pid, for lb-cost.mjs (its worker's CPU time per datagram).
  process.stdout.write(`NGINX ${nginx.pid}\n`);
  ready(port);
  exitWithRunner(async () => {
    nginx.kill('SIGTERM');
    await Promise.all(children.map((c) => c.stop()));
    rmSync(prefix, { recursive: true, force: true });
  });
} catch (e) {
  for (const c of children) await c.stop();
  rmSync(prefix, { recursive: true, force: true });
  fail(e);
}
