// PSK, blocking: the connection and the loop run in a worker (client-handler.mjs).
import { runBlockingClient } from '@dtls-kit/blocking';

const port = Number(process.argv[2] ?? 4440);
// `node client.mjs PORT DTLSv1.2` (or DTLSv1.3): that version only; without it the library's default,
// DTLS 1.3 (RFC 9147) preferred and DTLS 1.2 (RFC 6347) accepted.
const version = ['DTLSv1.2', 'DTLSv1.3'].includes(process.argv[3]) ? { minVersion: process.argv[3], maxVersion: process.argv[3] } : {};
await runBlockingClient({
  handler: new URL('./client-handler.mjs', import.meta.url),
  host: '127.0.0.1',
  port,
  credentials: { psk: { identity: 'Client_identity', key: '000102030405060708090a0b0c0d0e0f' } },
  args: ['hello', 'from', 'dtls-kit'],
  ...version,
});
