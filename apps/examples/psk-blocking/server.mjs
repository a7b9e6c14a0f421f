// PSK, blocking: the main thread owns the UDP socket and the cookie check; each connection runs
// echo-handler.mjs in a worker thread, where recv() blocks that worker only.
import { createBlockingServer } from '@dtls-kit/blocking';

const port = Number(process.argv[2] ?? 4440);
// `node server.mjs PORT DTLSv1.2` (or DTLSv1.3): that version only; without it the library's default,
// DTLS 1.3 (RFC 9147) preferred and DTLS 1.2 (RFC 6347) accepted.
const version = ['DTLSv1.2', 'DTLSv1.3'].includes(process.argv[3]) ? { minVersion: process.argv[3], maxVersion: process.argv[3] } : {};
const server = createBlockingServer({
  handler: new URL('./echo-handler.mjs', import.meta.url),
  // Plain data, because functions cannot cross into a worker: identity → key (hex).
  // This is OpenSSL's example key: never use it for anything real.
  credentials: { psk: { keys: { Client_identity: '000102030405060708090a0b0c0d0e0f' } } },
  maxThreads: 2, // two connections at once; more wait in a bounded queue
  ...version,
});
await server.listen(port, '127.0.0.1');
console.log(`server: listening on 127.0.0.1:${port}`);
// Ctrl-C or SIGTERM: open connections see recv() return null, then the workers stop.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close());
