// A measurement prototype of issue 15's "handshake on the main thread, established connection handed
// to a worker" design (not the runtime): the main thread runs the cookie exchange and the handshake
// (core's ServerEndpoint and DtlsConnection, as the non-blocking server does), exports the established
// connection (DtlsConnection.exportEstablished) and posts it to one of --workers worker_threads; the
// worker imports it and runs the bench handler's job (wait for the client's close_notify, answer it).
// Later datagrams of a handed-over peer go to its worker by postMessage, and the worker's datagrams
// come back the same way (--channel message), or (--channel ring, the default) through two shared
// byte rings per worker (handover-ring.mjs: the snapshot v8-serialized, the worker blocked in
// Atomics.wait as the blocking runtime's workers are, the main thread on Atomics.waitAsync).
// Prints READY <port> like bench/src's peers, for thread-cpu.mjs --servers handover.
//   node bench/handover-prototype.mjs --workers 2 [--channel ring|message] [--port 0]
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';
import { serialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { DtlsConnection, ServerEndpoint } from '@dtls-kit/core';
import { pskServer } from '@dtls-kit/psk';
import { Ring, allocateRing } from './handover-ring.mjs';

const { values } = parseArgs({ options: { workers: { type: 'string', default: '2' }, port: { type: 'string', default: '0' }, channel: { type: 'string', default: 'ring' } } });
const useRing = values.channel === 'ring';
const credentials = { psk: pskServer({ keys: { Client_identity: '000102030405060708090a0b0c0d0e0f' } }), cipherSuites: 'PSK-AES128-GCM-SHA256' };
const endpoint = new ServerEndpoint(credentials);
const socket = createSocket('udp4');
/** peer key -> { address, port, conn (handshaking on this thread) | worker (handed over) } */
const peers = new Map();
const enc = new TextEncoder();
const dec = new TextDecoder();
const KIND = [new Uint8Array([1]), new Uint8Array([2])];

/** A worker and how to reach it: post(key, snapshot | undefined, datagram | undefined). */
function startWorker() {
  if (!useRing) {
    const worker = new Worker(new URL('./handover-prototype-worker.mjs', import.meta.url));
    worker.on('message', (m) => {
      const p = peers.get(m.k);
      if (p === undefined) return;
      for (const d of m.d) socket.send(d, p.port, p.address);
      if (m.closed) peers.delete(m.k);
    });
    return { post: (k, s, d) => worker.postMessage(s === undefined ? { k, d } : { k, s }) };
  }
  const inbound = allocateRing();
  const outbound = allocateRing();
  new Worker(new URL('./handover-prototype-ring-worker.mjs', import.meta.url), { workerData: { inbound, outbound } });
  const inb = new Ring(inbound);
  const out = new Ring(outbound);
  const drain = () => {
    for (let f = out.pop(); f !== undefined; f = out.pop()) {
      const keyLength = f[0];
      const k = dec.decode(f.subarray(1, 1 + keyLength));
      const closed = f[1 + keyLength] === 1;
      const p = peers.get(k);
      if (p === undefined) continue;
      if (f.length > 2 + keyLength) socket.send(f.subarray(2 + keyLength), p.port, p.address);
      if (closed) peers.delete(k);
    }
    out.waitAsync(drain);
  };
  out.waitAsync(drain);
  return {
    post: (k, s, d) => {
      const key = enc.encode(k);
      inb.push([KIND[s === undefined ? 1 : 0], new Uint8Array([key.length]), key, s === undefined ? d : serialize(s)]);
    },
  };
}
const workers = Array.from({ length: Number(values.workers) }, startWorker);
let next = 0;

function after(key, p) {
  const c = p.conn;
  if (c.state === 'established') {
    for (let e = c.pollEvent(); e !== undefined; e = c.pollEvent());
    const snapshot = c.exportEstablished();
    p.conn = undefined;
    p.worker = workers[next++ % workers.length];
    p.worker.post(key, snapshot, undefined);
    return;
  }
  for (const d of c.datagramsToSend()) socket.send(d, p.port, p.address);
  if (c.state === 'closed') peers.delete(key);
}

socket.on('message', (msg, rinfo) => {
  const key = `${rinfo.address}:${rinfo.port}`;
  const p = peers.get(key);
  const now = performance.now();
  if (p?.worker !== undefined) {
    p.worker.post(key, undefined, msg);
    return;
  }
  if (p !== undefined) {
    p.conn.receive(msg, now, { address: rinfo.address, port: rinfo.port });
    after(key, p);
    return;
  }
  const r = endpoint.verify(msg, key, now);
  if (r.type === 'reply') socket.send(r.datagram, rinfo.port, rinfo.address);
  if (r.type !== 'verified') return;
  const from = { address: rinfo.address, port: rinfo.port };
  const q = { address: rinfo.address, port: rinfo.port, conn: DtlsConnection.acceptVerified(endpoint.options, r.hello, now, from, Date.now()), worker: undefined };
  peers.set(key, q);
  after(key, q);
});

// Retransmission timers of the handshakes on this thread (none fire on loopback without loss).
setInterval(() => {
  const now = performance.now();
  for (const [key, p] of peers) {
    const due = p.conn?.nextTimeout();
    if (due !== undefined && due <= now) {
      p.conn.handleTimeout(now);
      after(key, p);
    }
  }
}, 50).unref();

process.on('SIGINT', () => process.exit(0));
socket.bind(Number(values.port), '127.0.0.1', () => console.log(`READY ${socket.address().port}`));
