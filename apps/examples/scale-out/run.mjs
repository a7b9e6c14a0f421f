// Three `dtls-kit server` processes behind nginx's UDP load balancer (`make scale_out`), all run
// with the real command line on 127.0.0.1:
//   dtls-kit secrets --out DIR/secrets.json                 (one cookie secret and ticket key set for all)
//   dtls-kit server --port 4451..4453 --psk ... --secrets-file DIR/secrets.json --server-id 0..2 --proxy-protocol 127.0.0.1
//   dtls-kit lb-config --backends 127.0.0.1:4451,127.0.0.1:4452,127.0.0.1:4453 --listen 127.0.0.1:4450 --workers 1 > DIR/nginx.conf
//   nginx -p DIR -c DIR/nginx.conf -e stderr -g 'daemon off;'
// then six clients through nginx, one whose source port changes every message (a NAT that
// rebinds), and one that resumes its session at another server with the ticket the first issued;
// prints what happened (the servers' own lines prefixed "server N:") and stops everything.
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

// `node run.mjs --dtls1_2`: the clients offer DTLS 1.2 only (tls12_cid records, RFC 9146); without
// it the library's default, DTLS 1.3 (unified headers carrying the CID, RFC 9147 4).
if (process.argv[2] !== undefined && process.argv[2] !== '--dtls1_2') {
  console.error('usage: node run.mjs [--dtls1_2]');
  process.exit(2);
}
const VERSION = process.argv[2] === '--dtls1_2' ? { maxVersion: 'DTLSv1.2' } : {};
const LB_PORT = Number(process.env.LB_PORT ?? 4450);
const PORTS = [LB_PORT + 1, LB_PORT + 2, LB_PORT + 3];
const PSK = '000102030405060708090a0b0c0d0e0f';
const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
if (!existsSync('/usr/lib/nginx/modules/ngx_stream_js_module.so')) {
  console.error('nginx with the stream and njs modules is missing: apt-get install -y nginx libnginx-mod-stream libnginx-mod-stream-js (or: make scale_out)');
  process.exit(2);
}
const cli = createRequire(import.meta.url).resolve('@dtls-kit/cli/package.json').replace(/package\.json$/, 'dist/cli.js');
const children = [];
const prefix = mkdtempSync(join(tmpdir(), 'dtls-kit-scale-out-'));
let failed = false;
const stop = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(prefix, { recursive: true, force: true });
};
process.on('exit', stop);

// 1. The shared secrets: every server verifies the others' cookies and resumes their tickets.
const secrets = join(prefix, 'secrets.json');
console.log(`$ dtls-kit secrets --out ${secrets}`);
const made = spawnSync(process.execPath, [cli, 'secrets', '--out', secrets], { encoding: 'utf8' });
if (made.status !== 0) throw new Error(`dtls-kit secrets failed: ${made.stderr}`);

// 2. The servers, ids 0, 1, 2 (their order in --backends below): each CID they issue starts with
//    their id (nginx's script routes by it); nginx's PROXY v2 header gives them the clients' addresses.
for (const [id, port] of PORTS.entries()) {
  const args = ['server', '--port', String(port), '--psk', PSK, '--secrets-file', secrets, '--server-id', String(id), '--proxy-protocol', '127.0.0.1'];
  console.log(`$ dtls-kit ${args.join(' ')}`);
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
  children.push(child);
  let pending = '';
  const ready = new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (text) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        console.log(`server ${id}: ${line}`);
        if (line.startsWith('listening on')) resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`server ${id} exited (${code})`)));
  });
  await ready;
}

// 3. nginx, configured by `dtls-kit lb-config`.
const lbArgs = ['lb-config', '--backends', PORTS.map((p) => `127.0.0.1:${p}`).join(','), '--listen', `127.0.0.1:${LB_PORT}`, '--workers', '1'];
console.log(`$ dtls-kit ${lbArgs.join(' ')} > ${prefix}/nginx.conf`);
const config = spawnSync(process.execPath, [cli, ...lbArgs], { encoding: 'utf8' });
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

const psk = () => pskClient({ identity: 'Client_identity', key: PSK });
const echo = (socket, text) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no echo of "${text}"`)), 5000);
    socket.once('message', (m) => {
      clearTimeout(timer);
      resolve(String(m));
    });
    socket.send(text);
  });

// 4. Six clients: each handshake goes to a server by the hash of the client's address and port;
//    the server's connection ID (its first byte) says which.
const perServer = [0, 0, 0];
for (let i = 0; i < 6; i++) {
  const c = await connect({ host: '127.0.0.1', port: LB_PORT, psk: psk(), connectionId: { length: 0 }, ...VERSION });
  const id = c.connectionId.send[0];
  perServer[id]++;
  const reply = await echo(c, `hello from client ${i}`);
  console.log(`client ${i} (port ${c.address().port}): served by server ${id}, sent "hello from client ${i}", got back "${reply}"`);
  if (reply !== `hello from client ${i}`) failed = true;
  await c.close();
}

// 5. A client behind a NAT that gives it a new source port for every message: each one is a new
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
    // Datagrams with a connection ID after the first: a new port. DTLS 1.2: a tls12_cid record
    // (RFC 9146 4, type 25); DTLS 1.3: a unified header (001CSLEE) with its C bit (RFC 9147 4).
    const cid = m[0] === 25 || (m[0] & 0xf0) === 0x30;
    if (upstream === undefined || (cid && ports.length > 0 && upstream.cidSeen)) upstream = Object.assign(await newMapping(), { cidSeen: false });
    if (cid) upstream.cidSeen = true;
    upstream.send(m, LB_PORT, '127.0.0.1');
  });
});
front.bind(0, '127.0.0.1');
await once(front, 'listening');
const roamer = await connect({ host: '127.0.0.1', port: front.address().port, psk: psk(), connectionId: { length: 0 }, ...VERSION });
const home = roamer.connectionId.send[0];
console.log(`rebinding client: connected through a NAT, served by server ${home}`);
for (let i = 0; i < 5; i++) {
  const reply = await echo(roamer, `roaming message ${i}`);
  console.log(`rebinding client: message ${i} left from port ${ports.at(-1)}, got back "${reply}"`);
  if (reply !== `roaming message ${i}`) failed = true;
}
await roamer.close();
for (const s of [front]) s.close();

// 6. Resumption at another server: a session (ticket) from one server, then new connections (each
//    from a new port, so nginx hashes it afresh) until one lands on another server, which resumes
//    the session with the shared ticket key (DTLS 1.3: the ticket's PSK, RFC 8446 2.2; DTLS 1.2: an
//    abbreviated handshake, RFC 5077 3.1). Bounded.
const first = await connect({ host: '127.0.0.1', port: LB_PORT, psk: psk(), connectionId: { length: 0 }, ...VERSION });
const issuer = first.connectionId.send[0];
const session = await new Promise((resolve) => (first.getSession() ? resolve(first.getSession()) : first.once('session', resolve)));
await first.close();
console.log(`resuming client: full handshake with server ${issuer}, got a session ticket`);
let resumedAt;
for (let attempt = 0; attempt < 20 && resumedAt === undefined; attempt++) {
  const c = await connect({ host: '127.0.0.1', port: LB_PORT, psk: psk(), connectionId: { length: 0 }, ...VERSION, session });
  const id = c.connectionId.send[0];
  if (id !== issuer) {
    resumedAt = id;
    const how = c.getProtocol() === 'DTLSv1.3' ? 'the ticket\'s PSK' : 'abbreviated handshake';
    console.log(`resuming client: reconnected to server ${id}: ${c.isSessionReused() ? `resumed (${c.getProtocol()}, ${how})` : 'NOT resumed (full handshake)'}`);
    if (!c.isSessionReused()) failed = true;
  }
  await c.close();
}
if (resumedAt === undefined) {
  console.log('resuming client: nginx sent 20 connections in a row to the same server');
  failed = true;
}

// The servers' last lines (the closes) before the summary.
await new Promise((r) => setTimeout(r, 300));
console.log(`summary: the six clients went to servers 0/1/2: ${perServer.join('/')}; the rebinding client used ${ports.length} source ports and stayed on server ${home}; a ticket from server ${issuer} resumed at server ${resumedAt ?? '-'}`);
console.log(failed ? 'FAILED' : 'ok');
process.exit(failed ? 1 : 0);
