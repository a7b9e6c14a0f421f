// A PSK DTLS 1.2 echo over real UDP on 127.0.0.1, driving the sans-I/O engine by hand.
// (The event-driven runtime, @dtls-kit/nonblocking, will hide this loop; this shows what it does.)
//   node packages/psk/examples/udp-echo.mjs [cipher]
import dgram from 'node:dgram';
import { DtlsConnection, ServerEndpoint } from '@dtls-kit/core';
import { pskClient, pskServer } from '@dtls-kit/psk';

const cipher = process.argv[2] ?? 'PSK-AES128-CCM8';
const key = '000102030405060708090a0b0c0d0e0f'; // the key OpenSSL's examples use: never in production
const now = () => performance.now();

/** Hands events to the app, sends what the engine wants sent, and re-arms its one timer. */
function pump(conn, socket, port, timers, onEvent) {
  for (let e; (e = conn.pollEvent()); ) onEvent(e);
  for (const d of conn.datagramsToSend()) socket.send(d, port, '127.0.0.1');
  clearTimeout(timers.get(conn));
  const t = conn.nextTimeout();
  if (t !== undefined) {
    timers.set(conn, setTimeout(() => { conn.handleTimeout(now()); pump(conn, socket, port, timers, onEvent); }, Math.max(0, t - now())));
  }
}

// --- server: one socket, a stateless cookie endpoint, then one connection per peer
const timers = new Map();
const endpoint = new ServerEndpoint({ cipherSuites: cipher, psk: pskServer({ keys: { Client_identity: key } }) });
const serverSocket = dgram.createSocket('udp4');
const peers = new Map();
serverSocket.on('message', (msg, rinfo) => {
  const peer = `${rinfo.address}:${rinfo.port}`;
  let conn = peers.get(peer);
  const onEvent = (e) => {
    if (e.type === 'handshake-complete') console.log(`server: ${peer} connected with ${conn.cipherSuite.name}`);
    if (e.type === 'data') { console.log(`server: echo "${new TextDecoder().decode(e.data)}"`); conn.send(e.data); }
    if (e.type === 'close') { console.log(`server: ${peer} closed${e.error ? ': ' + e.error.message : ''}`); peers.delete(peer); }
  };
  if (conn) conn.receive(msg, now());
  else {
    const r = endpoint.handle(msg, peer, now());
    if (r.type === 'reply') return serverSocket.send(r.datagram, rinfo.port, rinfo.address);
    if (r.type !== 'accept') return;
    conn = r.connection;
    peers.set(peer, conn);
    conn.onWake = () => { conn.handleTimeout(now()); pump(conn, serverSocket, rinfo.port, timers, onEvent); };
  }
  pump(conn, serverSocket, rinfo.port, timers, onEvent);
});

serverSocket.bind(0, '127.0.0.1', () => {
  const port = serverSocket.address().port;
  // --- client
  const client = DtlsConnection.client({ cipherSuites: cipher, psk: pskClient({ identity: 'Client_identity', key }) });
  const socket = dgram.createSocket('udp4');
  const onEvent = (e) => {
    if (e.type === 'handshake-complete') {
      console.log(`client: handshake done, ${client.protocol} ${client.cipherSuite.name}`);
      client.send(new TextEncoder().encode('hello over DTLS'));
    }
    if (e.type === 'data') {
      console.log(`client: got "${new TextDecoder().decode(e.data)}" back`);
      client.close();
    }
    if (e.type === 'close') {
      setTimeout(() => { socket.close(); serverSocket.close(); for (const t of timers.values()) clearTimeout(t); process.exitCode = e.error ? 1 : 0; }, 50);
    }
  };
  socket.on('message', (msg) => { client.receive(msg, now()); pump(client, socket, port, timers, onEvent); });
  socket.bind(0, '127.0.0.1', () => { client.connect(now()); pump(client, socket, port, timers, onEvent); });
});
