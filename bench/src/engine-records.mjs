// The engine's record path alone, in one process, no sockets: a PSK-AES128-GCM-SHA256 pair of
// DtlsConnections; microseconds per send (seal) and per receive (open + event) of 1200 bytes.
// For profiling the hot path: node --cpu-prof src/engine-records.mjs (not part of pnpm bench).
import { DtlsConnection, ServerEndpoint } from '@dtls-kit/core';
import { pskClient, pskServer } from '@dtls-kit/psk';
const key = '000102030405060708090a0b0c0d0e0f';
// mtu 1472 (Ethernet's 1500 less IPv4 and UDP headers): a 1200-byte record fits one datagram (at the default 1200 it does not).
const endpoint = new ServerEndpoint({ psk: pskServer({ keys: { Client_identity: key } }), cipherSuites: 'PSK-AES128-GCM-SHA256', maxVersion: 'DTLSv1.2', mtu: 1472 });
const client = DtlsConnection.client({ psk: pskClient({ identity: 'Client_identity', key }), cipherSuites: 'PSK-AES128-GCM-SHA256', maxVersion: 'DTLSv1.2', mtu: 1472 });
client.connect(0);
let server;
for (let now = 0; now < 10 && !(server?.state === 'established'); now++) {
  for (const d of client.datagramsToSend()) {
    if (server) server.receive(d, now);
    else { const r = endpoint.handle(d, '127.0.0.1:5684', now); if (r.type === 'reply') client.receive(r.datagram, now); if (r.type === 'accept') server = r.connection; }
  }
  for (const d of server?.datagramsToSend() ?? []) client.receive(d, now);
}
while (client.pollEvent()); while (server.pollEvent());
const msg = new Uint8Array(1200);
for (let k = 0; k < 3; k++) {
  const N = 30000; let t = performance.now(); const ds = [];
  for (let i = 0; i < N; i++) { client.send(msg); ds.push(client.datagramsToSend()[0]); }
  const send = (performance.now() - t) * 1000 / N; t = performance.now(); let got = 0;
  for (const d of ds) { server.receive(d, 1); for (let e; (e = server.pollEvent());) got++; }
  console.log('send+seal', send.toFixed(2), 'us; receive+open+event', ((performance.now() - t) * 1000 / N).toFixed(2), 'us', got);
}
