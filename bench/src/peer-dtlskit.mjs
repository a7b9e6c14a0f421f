// dtls-kit non-blocking (@dtls-kit/nonblocking) with the node:crypto, the noble, the sodium-native or the native-aead provider.
//   server:  --role server --suite psk|psk-chacha|psk-ecdhe|ecdsa|psk13|ecdsa13 --certs DIR --provider node|noble|sodium|native [--connections N]
//            [--proxy-from ADDRESS]: behind nginx (peer-lb.mjs), read each datagram's PROXY v2 header
//            (with --connections N it reports its memory once N connections are established)
//            [--sessions on|off]: session tickets and the session-ID cache, off by default as in the C pair
//            (bench/c/openssl-bench.c: SSL_OP_NO_TICKET, SSL_SESS_CACHE_OFF), so that a full handshake
//            does the same work on both sides; the resumed row turns them on (server and client).
//   client:  --role client --workload throughput|pingpong|handshake|handshake-resumed|hold --port P [--local-address A] ...
//            (handshake-resumed: one full handshake, then every measured one resumes its session)
import { loadNativeCryptoProvider, loadSodiumCryptoProvider, nobleCryptoProvider, nodeCryptoProvider } from '@dtls-kit/core';
import { connect, createServer } from '@dtls-kit/nonblocking';
import { pskClient, pskServer } from '@dtls-kit/psk';
import { x509Client, x509Server } from '@dtls-kit/x509';
import { readCertificates } from './credentials.mjs';
import {
  DTLS13_SUITES, DTLS_KIT_MTU, PSK_IDENTITY, PSK_KEY_HEX, SUITES, concurrentHandshakes, exitWithRunner, fail, options, pingPongClient,
  ready, result, sequentialHandshakes, warmUpHandshakes, serverHandler, settledMemory, throughputClient,
} from './common.mjs';

const o = options();
const PROVIDERS = {
  node: () => nodeCryptoProvider,
  noble: () => nobleCryptoProvider,
  // Throws (and the row fails, saying why) when sodium-native is not installed here.
  sodium: () => loadSodiumCryptoProvider(),
  // Likewise when @dtls-kit/native-aead is not installed or its addon was not built.
  native: () => loadNativeCryptoProvider(),
};
if (!(o.provider in PROVIDERS)) fail(new Error(`unknown provider ${o.provider}`));
const provider = PROVIDERS[o.provider]();
const cipherSuites = SUITES[o.suite];
if (!cipherSuites) fail(new Error(`unknown suite ${o.suite}`));
// DTLS 1.3 only for the 1.3 suites (the same on both sides); the library's default (1.2) otherwise.
// A row names its version: the DTLS 1.3 suites run 1.3 only, the others 1.2 only (the default,
// both offered with 1.3 preferred, would turn every 1.2 row into a 1.3 one).
const versions = DTLS13_SUITES.has(o.suite) ? { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } : { maxVersion: 'DTLSv1.2' };

function serverCredentials() {
  if (o.suite.startsWith('psk')) return { psk: pskServer({ keys: { [PSK_IDENTITY]: PSK_KEY_HEX } }) };
  const { key, cert } = readCertificates(o.certs);
  return { x509: x509Server({ key, cert }) };
}

function clientCredentials() {
  if (o.suite.startsWith('psk')) return { psk: pskClient({ identity: PSK_IDENTITY, key: PSK_KEY_HEX }) };
  return { x509: x509Client({ ca: readCertificates(o.certs).ca }) }; // the chain and 127.0.0.1 are checked
}

if (o.role === 'server') {
  const memory = o.connections > 0;
  const before = memory ? await settledMemory() : undefined;
  const server = createServer(
    {
      ...serverCredentials(),
      cipherSuites,
      ...versions,
      provider,
      mtu: DTLS_KIT_MTU,
      maxConnections: Math.max(10_000, o.connections + 100),
      maxHandshakes: 1000,
      idleTimeoutMs: 600_000,
      sessionTickets: o.sessions,
      sessionStore: o.sessions ? undefined : false,
      // Behind nginx (peer-lb.mjs): the client's address from the PROXY v2 header of each datagram.
      ...(o.proxyFrom ? { proxyProtocol: { from: [o.proxyFrom] } } : {}),
    },
    (socket) => {
      socket.on('message', serverHandler((data) => socket.send(data)));
      socket.on('error', () => {});
    },
  );
  server.on('error', (e) => fail(e));
  const { port } = await server.listen(o.port, '127.0.0.1');
  ready(port);
  if (memory) {
    // Wait for every connection, then measure after GC.
    const poll = setInterval(async () => {
      if (server.connections().length < o.connections) return;
      clearInterval(poll);
      await new Promise((r) => setTimeout(r, 300));
      const after = await settledMemory();
      const n = server.connections().length;
      result({ connections: n, heapPerConnection: (after.heapUsed - before.heapUsed) / n, rssPerConnection: (after.rss - before.rss) / n, before, after });
    }, 100);
  }
  exitWithRunner(() => server.close());
} else {
  const base = { host: '127.0.0.1', port: o.port, localAddress: o.localAddress, ...clientCredentials(), cipherSuites, ...versions, provider, mtu: DTLS_KIT_MTU, handshakeTimeoutMs: 10_000, sessionTickets: o.sessions };
  try {
    if (o.workload === 'handshake') {
      const once = async () => {
        const s = await connect(base);
        await s.close();
      };
      await warmUpHandshakes(once, o.warmup, o.seconds);
      result(await sequentialHandshakes(once, o.count, o.seconds));
    } else if (o.workload === 'handshake-resumed') {
      // The abbreviated handshake (RFC 5246 7.3): the session of one full handshake, resumed each time.
      const first = await connect(base);
      const session = first.getSession();
      await first.close();
      if (session === undefined) throw new Error('the server gave no session to resume');
      const once = async () => {
        const s = await connect({ ...base, session });
        const reused = s.isSessionReused();
        await s.close();
        if (!reused) throw new Error('a handshake was not resumed');
      };
      await warmUpHandshakes(once, o.warmup, o.seconds);
      result(await sequentialHandshakes(once, o.count, o.seconds));
    } else if (o.workload === 'hold') {
      // Opens --connections connections (--concurrency handshakes at a time) and keeps them idle.
      const sockets = [];
      const r = await concurrentHandshakes(async () => sockets.push(await connect(base)), o.connections, o.seconds, o.concurrency);
      result({ ...r, held: sockets.length });
      exitWithRunner(() => Promise.all(sockets.map((s) => s.destroy())));
    } else {
      const socket = await connect(base);
      let listener = null;
      socket.on('message', (m) => listener?.(m));
      const transport = { send: (m) => socket.send(m), onMessage: (cb) => (listener = cb) };
      if (o.workload === 'throughput') {
        const state = { total: 0 };
        if (o.warmup > 0) await throughputClient(transport, o.warmup, o.seconds, state);
        result(await throughputClient(transport, o.count, o.seconds, state));
      } else if (o.workload === 'pingpong') {
        if (o.warmup > 0) await pingPongClient(transport, o.warmup, o.seconds);
        result(await pingPongClient(transport, o.count, o.seconds));
      } else throw new Error(`unknown workload ${o.workload}`);
      await socket.close();
    }
  } catch (e) {
    fail(e);
  }
}
