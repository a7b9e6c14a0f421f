// PSK, blocking: the connection and the loop run in a worker (client-handler.mjs).
import { runBlockingClient } from '@dtls-kit/blocking';

const port = Number(process.argv[2] ?? 4440);
// `node client.mjs PORT DTLSv1.3`: DTLS 1.3 (RFC 9147) rather than the default, DTLS 1.2.
const version = process.argv[3] === 'DTLSv1.3' ? { maxVersion: 'DTLSv1.3' } : {};
await runBlockingClient({
  handler: new URL('./client-handler.mjs', import.meta.url),
  host: '127.0.0.1',
  port,
  credentials: { psk: { identity: 'Client_identity', key: '000102030405060708090a0b0c0d0e0f' } },
  args: ['hello', 'from', 'dtls-kit'],
  ...version,
});
