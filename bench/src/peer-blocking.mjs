// dtls-kit blocking (@dtls-kit/blocking) server with --workers N Piscina workers: with --handshakes
// worker they run the handshakes (the main thread owns the socket and the cookie exchange); with
// main, the main thread runs them and hands each established connection to a worker; auto (the
// default) leaves the option out, and the server's default runs them on main for these inline keys.
import { createBlockingServer } from '@dtls-kit/blocking';
import { PSK_IDENTITY, PSK_KEY_HEX, SUITES, exitWithRunner, fail, options, ready } from './common.mjs';

const o = options();
if (o.role !== 'server' || o.suite !== 'psk') fail(new Error('peer-blocking: a PSK server only'));
if (o.handshakes !== 'auto' && o.handshakes !== 'worker' && o.handshakes !== 'main') fail(new Error(`peer-blocking: --handshakes auto, worker or main (got ${o.handshakes})`));
const server = createBlockingServer({
  handler: new URL('./blocking-handler.mjs', import.meta.url),
  credentials: { psk: { keys: { [PSK_IDENTITY]: PSK_KEY_HEX } } },
  cipherSuites: SUITES.psk,
  maxVersion: 'DTLSv1.2', // the row is DTLS 1.2's, as the OpenSSL row next to it
  maxThreads: o.workers,
  maxQueue: 256,
  ...(o.handshakes === 'auto' ? {} : { handshakes: o.handshakes }),
});
// The rows' labels say where the handshakes run: 'auto' must have chosen 'main' for inline keys.
if (server.handshakes !== (o.handshakes === 'auto' ? 'main' : o.handshakes)) fail(new Error(`peer-blocking: handshakes ${o.handshakes} runs them on ${server.handshakes}`));
const { port } = await server.listen(o.port, '127.0.0.1');
ready(port);
exitWithRunner(() => server.close());
