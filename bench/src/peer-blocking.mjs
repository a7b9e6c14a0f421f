// dtls-kit blocking (@dtls-kit/blocking) server: --workers N Piscina workers run the handshakes
// (the engine runs in the worker; the main thread owns the socket and the cookie exchange), or,
// with --handshakes main, the main thread runs them and hands each established connection to a worker.
import { createBlockingServer } from '@dtls-kit/blocking';
import { PSK_IDENTITY, PSK_KEY_HEX, SUITES, exitWithRunner, fail, options, ready } from './common.mjs';

const o = options();
if (o.role !== 'server' || o.suite !== 'psk') fail(new Error('peer-blocking: a PSK server only'));
if (o.handshakes !== 'worker' && o.handshakes !== 'main') fail(new Error(`peer-blocking: --handshakes worker or main (got ${o.handshakes})`));
const server = createBlockingServer({
  handler: new URL('./blocking-handler.mjs', import.meta.url),
  credentials: { psk: { keys: { [PSK_IDENTITY]: PSK_KEY_HEX } } },
  cipherSuites: SUITES.psk,
  maxVersion: 'DTLSv1.2', // the row is DTLS 1.2's, as the OpenSSL row next to it
  maxThreads: o.workers,
  maxQueue: 256,
  handshakes: o.handshakes,
});
const { port } = await server.listen(o.port, '127.0.0.1');
ready(port);
exitWithRunner(() => server.close());
