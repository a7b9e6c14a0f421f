// A PSK DTLS 1.2 echo server and client with @dtls-kit/blocking: synchronous loops in workers.
//   node examples/echo.mjs            (after building: `turbo run build` at the repository root)
import { createBlockingServer, runBlockingClient } from '@dtls-kit/blocking';

const key = '000102030405060708090a0b0c0d0e0f'; // OpenSSL's example key: never in production

// Credentials are plain data (or a module path): functions cannot cross into a worker.
const server = createBlockingServer({
  handler: new URL('./echo-handler.mjs', import.meta.url),
  credentials: { psk: { keys: { Client_identity: key } } },
  maxThreads: 2, // two connections served at once
  maxQueue: 8, // eight more wait for a worker; past that, refused
});
const { port } = await server.listen(0, '127.0.0.1');

const echoed = await runBlockingClient({
  handler: new URL('./client-handler.mjs', import.meta.url),
  host: '127.0.0.1',
  port,
  credentials: { psk: { identity: 'Client_identity', key } },
  args: ['hello', 'over', 'DTLS'],
});
console.log(`client: got ${echoed.map((w) => JSON.stringify(w)).join(' ')} back`);
await server.close(); // no process.exit(): nothing is left open
