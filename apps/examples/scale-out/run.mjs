// Three dtls-kit server processes behind nginx's UDP load balancer (`make scale_out`):
// starts the servers (server.mjs) on 127.0.0.1:4451-4453, nginx on 127.0.0.1:4450 with the
// configuration `dtls-kit lb-config` prints, runs six clients through it and one whose source
// port changes every message (a NAT that rebinds), prints what happened, stops everything.
// Needs Debian's nginx, libnginx-mod-stream and libnginx-mod-stream-js (make scale_out installs them).
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@dtls-kit/nonblocking';
import { pskClient } from '@dtls-kit/psk';

const LB_PORT = Number(process.env.LB_PORT ?? 4450);
const PORTS = [LB_PORT + 1, LB_PORT + 2, LB_PORT + 3];
const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
if (!existsSync('/usr/lib/nginx/modules/ngx_stream_js_module.so')) {
  console.error('nginx with the stream and njs modules is missing: apt-get install -y nginx libnginx-mod-stream libnginx-mod-stream-js (or: make scale_out)');
  process.exit(2);
}
const children = [];
const prefix = mkdtempSync(join(tmpdir(), 'dtls-kit-scale-out-'));
let failed = false;
const stop = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(prefix, { recursive: true, force: true });
};
process.on('exit', stop);

// 1. The servers, ids 0, 1, 2 (their order in --backends below).
for (const [id, port] of PORTS.entries()) {
  const child = spawn(process.execPath, [new URL('server.mjs', import.meta.url).pathname, String(port), String(id)], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8').on('data', (t) => process.stdout.write(t));
  children.push(child);
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (t) => t.includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`server ${id} exited (${code})`)));
  });
}

// 2. nginx, configured by `dtls-kit lb-config`.
const cli = createRequire(import.meta.url).resolve('@dtls-kit/cli/package.json').replace(/package\.json$/, 'dist/cli.js');
const args = ['lb-config', '--backends', PORTS.map((p) => `127.0.0.1:${p}`).join(','), '--listen', `127.0.0.1:${LB_PORT}`, '--workers', '1'];
console.log(`$ dtls-kit ${args.join(' ')} > ${prefix}/nginx.conf`);
const config = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
if (config.status !== 0) throw new Error(`lb-config failed: ${config.stderr}`);
writeFileSync(join(prefix, 'nginx.conf'), config.stdout);
const nginxArgs = ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'];
console.log(`$ nginx ${nginxArgs.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`);
const nginx = spawn(NGINX, nginxArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
children.push(nginx);
for (let i = 0; !(existsSync(join(prefix, 'error.log')) && readFileSync(join(prefix, 'error.log'), 'utf8').includes('start worker process')); i++) {
  if (nginx.exitCode !== null || i > 500) throw new Error('nginx did not start');
  await new Promise((r) => setTimeout(r, 20));
}
console.log(`nginx: listening on 127.0.0.1:${LB_PORT}, balancing over ${PORTS.length} servers`);

const psk = () => pskClient({ identity: 'Client_identity', key: '000102030405060708090a0b0c0d0e0f' });
const echo = (socket, text) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no echo of "${text}"`)), 5000);
    socket.once('message', (m) => {
      clearTimeout(timer);
      resolve(String(m));
    });
    socket.send(text);
  });

// 3. Six clients: each handshake goes to a server by the hash of the client's address and port;
//    the server's connection ID (its first byte) says which.
const perServer = [0, 0, 0];
for (let i = 0; i < 6; i++) {
  const c = await connect({ host: '127.0.0.1', port: LB_PORT, psk: psk(), connectionId: { length: 0 } });
  const id = c.connectionId.send[0];
  perServer[id]++;
  const reply = await echo(c, `hello from client ${i}`);
  console.log(`client ${i} (port ${c.address().port}): served by server ${id}, sent "hello from client ${i}", got back "${reply}"`);
  if (reply !== `hello from client ${i}`) failed = true;
  await c.close();
}

// 4. A client behind a NAT that gives it a new source port for every message: each one is a new
//    nginx session, routed by the connection ID back to the server that holds the session.
const front = dgram.createSocket('udp4');
let clientPort = 0;
let upstream;
const ports = [];
const newMapping = async () => {
  const s = dgram.createSocket('udp4');
  s.on('message', (m) => front.send(m, clientPort, '127.0.0.1'));
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  ports.push(s.address().port);
  return s;
};
let queue = Promise.resolve();
front.on('message', (m, rinfo) => {
  clientPort = rinfo.port;
  queue = queue.then(async () => {
    // Datagrams with a connection ID (RFC 9146 tls12_cid, type 25) after the first: a new port.
    if (upstream === undefined || (m[0] === 25 && ports.length > 0 && upstream.cidSeen)) upstream = Object.assign(await newMapping(), { cidSeen: false });
    if (m[0] === 25) upstream.cidSeen = true;
    upstream.send(m, LB_PORT, '127.0.0.1');
  });
});
front.bind(0, '127.0.0.1');
await once(front, 'listening');
const roamer = await connect({ host: '127.0.0.1', port: front.address().port, psk: psk(), connectionId: { length: 0 } });
const home = roamer.connectionId.send[0];
console.log(`rebinding client: connected through a NAT, served by server ${home}`);
for (let i = 0; i < 5; i++) {
  const reply = await echo(roamer, `roaming message ${i}`);
  console.log(`rebinding client: message ${i} left from port ${ports.at(-1)}, got back "${reply}"`);
  if (reply !== `roaming message ${i}`) failed = true;
}
await roamer.close();
front.close();

console.log(`summary: the six clients went to servers 0/1/2: ${perServer.join('/')}; the rebinding client used ${ports.length} source ports and stayed on server ${home}`);
console.log(failed ? 'FAILED' : 'ok');
await new Promise((r) => setTimeout(r, 200));
process.exit(failed ? 1 : 0);
