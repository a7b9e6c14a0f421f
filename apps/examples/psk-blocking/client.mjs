// PSK, blocking: the connection and the loop run in a worker (client-handler.mjs).
import { runBlockingClient } from '@dtls-kit/blocking';

const port = Number(process.argv[2] ?? 4440);
await runBlockingClient({
  handler: new URL('./client-handler.mjs', import.meta.url),
  host: '127.0.0.1',
  port,
  credentials: { psk: { identity: 'Client_identity', key: '000102030405060708090a0b0c0d0e0f' } },
  args: ['hello', 'from', 'dtls-kit'],
});
