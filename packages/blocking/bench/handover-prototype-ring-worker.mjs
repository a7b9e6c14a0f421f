// The worker of handover-prototype.mjs --channel ring: blocks on its inbound ring (Atomics.wait),
// imports each connection handed over, does the bench handler's job (wait for the client's
// close_notify; the engine answers it) and writes its datagrams to its outbound ring.
import { workerData } from 'node:worker_threads';
import { deserialize } from 'node:v8';
import { DtlsConnection } from '@dtls-kit/core';
import { resolveServerOptions } from '@dtls-kit/core/internal';
import { pskServer } from '@dtls-kit/psk';
import { Ring } from './handover-ring.mjs';

const options = resolveServerOptions({ psk: pskServer({ keys: { Client_identity: '000102030405060708090a0b0c0d0e0f' } }), cipherSuites: 'PSK-AES128-GCM-SHA256' });
const inbound = new Ring(workerData.inbound);
const outbound = new Ring(workerData.outbound);
const conns = new Map();
const dec = new TextDecoder();
const NO_BYTES = new Uint8Array(0);
const OPEN = new Uint8Array([0]);
const CLOSED = new Uint8Array([1]);

for (;;) {
  for (let f = inbound.pop(); f !== undefined; f = inbound.pop()) {
    const keyLength = f[1];
    const keyBytes = f.subarray(1, 2 + keyLength);
    const k = dec.decode(f.subarray(2, 2 + keyLength));
    const body = f.subarray(2 + keyLength);
    const now = performance.now();
    let c = conns.get(k);
    if (f[0] === 1) {
      c = DtlsConnection.importEstablished(deserialize(body), options, now);
      conns.set(k, c);
    } else if (c !== undefined) {
      c.receive(body, now);
    }
    if (c === undefined) continue;
    let closed = false;
    for (let e = c.pollEvent(); e !== undefined; e = c.pollEvent()) if (e.type === 'close') closed = true;
    const ds = c.datagramsToSend();
    if (closed) conns.delete(k);
    for (let i = 0; i < ds.length; i++) outbound.push([keyBytes, closed && i === ds.length - 1 ? CLOSED : OPEN, ds[i]]);
    if (closed && ds.length === 0) outbound.push([keyBytes, CLOSED, NO_BYTES]);
  }
  inbound.waitSync(1000);
}
