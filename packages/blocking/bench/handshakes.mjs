// Handshakes per second with 1 and with 2 server workers (one run each; not a timed test).
//   node bench/handshakes.mjs [count] [cipher]     (after building)
import { createBlockingClientPool, createBlockingServer, runBlockingClient } from '@dtls-kit/blocking';

const count = Number(process.argv[2] ?? 200);
const cipher = process.argv[3] ?? 'ECDHE-PSK-CHACHA20-POLY1305';
const key = '000102030405060708090a0b0c0d0e0f';
const handler = new URL('./noop-handler.mjs', import.meta.url);

async function run(maxThreads) {
  const server = createBlockingServer({ handler, credentials: { psk: { keys: { Client_identity: key } } }, maxThreads, maxQueue: count });
  const { port } = await server.listen(0, '127.0.0.1');
  const pool = createBlockingClientPool({ maxThreads: 4 });
  const one = () => runBlockingClient({ handler, port, pool, credentials: { psk: { identity: 'Client_identity', key } }, cipherSuites: cipher });
  await Promise.all(Array.from({ length: 8 }, one)); // warm up: workers started, modules loaded
  const start = performance.now();
  await Promise.all(Array.from({ length: count }, one));
  const seconds = (performance.now() - start) / 1000;
  await pool.destroy();
  await server.close();
  return count / seconds;
}

const one = await run(1);
const two = await run(2);
console.log(`${cipher}, ${count} handshakes (client pool of 4 workers in the same process)`);
console.log(`1 server worker: ${one.toFixed(0)} handshakes/s`);
console.log(`2 server workers: ${two.toFixed(0)} handshakes/s (x${(two / one).toFixed(2)})`);
