// The worker of handover-prototype.mjs: imports each connection handed over and does what the bench's
// blocking handler does (wait for the client's close_notify; the engine answers it).
import { parentPort } from 'node:worker_threads';
import { DtlsConnection } from '@dtls-kit/core';
import { resolveServerOptions } from '@dtls-kit/core/internal';
import { pskServer } from '@dtls-kit/psk';

const options = resolveServerOptions({ psk: pskServer({ keys: { Client_identity: '000102030405060708090a0b0c0d0e0f' } }), cipherSuites: 'PSK-AES128-GCM-SHA256' });
const conns = new Map();

parentPort.on('message', (m) => {
  const now = performance.now();
  let c = conns.get(m.k);
  if (m.s !== undefined) {
    c = DtlsConnection.importEstablished(m.s, options, now);
    conns.set(m.k, c);
  } else if (c !== undefined) {
    c.receive(m.d, now);
  }
  if (c === undefined) return;
  let closed = false;
  for (let e = c.pollEvent(); e !== undefined; e = c.pollEvent()) if (e.type === 'close') closed = true;
  const d = c.datagramsToSend();
  if (closed) conns.delete(m.k);
  if (d.length > 0 || closed) parentPort.postMessage({ k: m.k, d, closed });
});
