// The engine's handshake alone, in one process, no sockets: sequential full PSK handshakes (the
// cookie exchange on, close_notify at the end, as the handshake-psk rows), microseconds of CPU time per
// handshake in the client's calls and in the server's (endpoint and accepted connection) calls, and
// in prepare() (what a runtime does between flights, off the round trip: DtlsConnection.prepare).
// For finding where a handshake's time goes without the runtime and the network: not part of pnpm bench.
//
//   node src/engine-handshakes.mjs [psk|psk-ecdhe|psk13] [COUNT] [ROUNDS]
//   node --cpu-prof src/engine-handshakes.mjs psk13      (a profile of both sides)
//   ENGINE_TREE=/path/to/other/checkout node src/engine-handshakes.mjs ...   (A/B: that tree's dist)
import { join } from 'node:path';

const tree = process.env.ENGINE_TREE;
const core = await import(tree ? join(tree, 'packages/core/dist/index.js') : '@dtls-kit/core');
const psk = await import(tree ? join(tree, 'packages/psk/dist/index.js') : '@dtls-kit/psk');
const { DtlsConnection, ServerEndpoint } = core;

const [kind = 'psk', countArg = '2000', roundsArg = '5'] = process.argv.slice(2);
const SUITES = {
  psk: { cipherSuites: 'PSK-AES128-GCM-SHA256', maxVersion: 'DTLSv1.2' },
  'psk-ecdhe': { cipherSuites: 'ECDHE-PSK-AES128-GCM-SHA256', maxVersion: 'DTLSv1.2' },
  psk13: { cipherSuites: 'TLS_AES_128_GCM_SHA256', minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' },
};
const suite = SUITES[kind];
if (!suite) throw new Error(`unknown kind ${kind}: one of ${Object.keys(SUITES).join(', ')}`);
const key = '000102030405060708090a0b0c0d0e0f';
const common = { ...suite, mtu: 1472, sessionTickets: false };
const endpoint = new ServerEndpoint({ psk: psk.pskServer({ keys: { Client_identity: key } }), ...common, sessionStore: false });
const clientOptions = { psk: psk.pskClient({ identity: 'Client_identity', key }), ...common };

let clientUs = 0;
let serverUs = 0;
/** prepare(): work done after a flight is out, while the peer works (not on the round trip). */
let spareUs = 0;
let datagrams = 0;
/**
 * The process's CPU time (user + system, µs), not the wall clock: on a loaded machine (other
 * processes on the same cores) the wall clock counts their time too, CPU time much less.
 */
const clock = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** One handshake and close_notify; adds each side's time to its total. */
function handshake(now) {
  let t = clock();
  const client = DtlsConnection.client(clientOptions);
  client.connect(now);
  let toServer = client.datagramsToSend();
  clientUs += clock() - t;
  let server;
  for (let round = 0; round < 20; round++) {
    const toClient = [];
    t = clock();
    for (const d of toServer) {
      datagrams++;
      if (server) server.receive(d, now);
      else {
        const r = endpoint.handle(d, '127.0.0.1:5684', now);
        if (r.type === 'reply') toClient.push(r.datagram);
        else if (r.type === 'accept') server = r.connection;
      }
    }
    if (server) {
      toClient.push(...server.datagramsToSend());
      while (server.pollEvent());
    }
    serverUs += clock() - t;
    // What a runtime does once a flight is out (DtlsSocket.prepareSoon): off the round trip.
    t = clock();
    if (server?.canPrepare) server.prepare();
    spareUs += clock() - t;
    t = clock();
    for (const d of toClient) {
      datagrams++;
      client.receive(d, now);
    }
    let established = false;
    for (let e; (e = client.pollEvent()); ) if (e.type === 'handshake-complete') established = true;
    if (established) client.close();
    toServer = client.datagramsToSend();
    clientUs += clock() - t;
    t = clock();
    if (client.canPrepare) client.prepare();
    spareUs += clock() - t;
    if (established) {
      t = clock();
      for (const d of toServer) {
        datagrams++;
        server?.receive(d, now);
      }
      if (server) while (server.pollEvent());
      serverUs += clock() - t;
      if (server?.state !== 'established' && server?.state !== 'closed') throw new Error(`server ended in ${server?.state}`);
      return;
    }
  }
  throw new Error(`no handshake: client in ${client.state}`);
}

const count = Number(countArg);
for (let i = 0; i < 2000; i++) handshake(i); // warm-up: the optimizing compiler
for (let r = 0; r < Number(roundsArg); r++) {
  clientUs = serverUs = spareUs = 0;
  datagrams = 0;
  // The whole loop's CPU time too (both sides and the harness), for a check of the sum.
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) handshake(10_000 + i);
  const used = process.cpuUsage(cpu);
  const us = (cpu) => (cpu / count).toFixed(1);
  process.stdout.write(`${kind}${tree ? ` (${tree})` : ''}: client ${us(clientUs)} µs, server ${us(serverUs)} µs, prepare() ${us(spareUs)} µs CPU per handshake; both ${((used.user + used.system) / count).toFixed(1)} µs CPU; ${(datagrams / count).toFixed(1)} datagrams\n`);
}
