// The worker side of handover-openssl.test.ts: takes up a connection the main thread handshook
// (DtlsConnection.importEstablished from the built package) and echoes what the peer sends.
import { parentPort, threadId } from 'node:worker_threads';
import { DtlsConnection } from '../../dist/index.js';
import { resolveServerOptions } from '../../dist/internal.js';

const KEY = Uint8Array.from(Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'));
const options = resolveServerOptions({ psk: { type: 'psk', lookup: () => KEY } });
let conn;

function pump() {
  for (let e = conn.pollEvent(); e !== undefined; e = conn.pollEvent()) {
    if (e.type === 'data') conn.send(e.data);
    if (e.type === 'close') {
      parentPort.postMessage({ type: 'closed', error: e.error?.message, threadId, stats: conn.stats, cipher: conn.getCipher()?.name });
    }
  }
  for (const d of conn.datagramsToSend()) parentPort.postMessage({ type: 'datagram', data: d.slice() });
}

parentPort.on('message', (m) => {
  const now = performance.now();
  if (m.type === 'snapshot') conn = DtlsConnection.importEstablished(m.snapshot, options, now);
  else conn.receive(m.data, now, m.from);
  pump();
});
