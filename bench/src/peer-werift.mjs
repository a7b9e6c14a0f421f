// werift-dtls 0.5.8: ECDHE-ECDSA-AES128-GCM-SHA256 only (it has no PSK suites). A werift
// DtlsServer serves one peer over one transport (its WebRTC use), so this server keeps one
// DtlsServer per client address on a shared UDP socket. werift's client does not validate a
// chain (WebRTC checks a certificate fingerprint instead), so our client checks nothing here.
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import { readCertificates } from './credentials.mjs';
import { concurrentHandshakes, exitWithRunner, fail, options, pingPongClient, ready, result, sequentialHandshakes, warmUpHandshakes, serverHandler, settledMemory, throughputClient } from './common.mjs';

// werift-dtls 0.5.8 names lib/index.js as its main, which it does not ship: load its entry directly.
const { DtlsClient, DtlsServer } = createRequire(import.meta.url)('werift-dtls/lib/dtls/src/index.js');

const o = options();
if (o.suite !== 'ecdsa') fail(new Error('werift-dtls has only certificate suites'));

/** A werift Transport for one peer over a dgram socket. */
function transportTo(socket, address, port) {
  return {
    type: 'udp',
    closed: false,
    address: socket.address(),
    onData: () => {},
    send: async (data) => {
      socket.send(data, port, address);
    },
    close: async () => {},
  };
}

if (o.role === 'server') {
  const { key, cert } = readCertificates(o.certs);
  const memory = o.connections > 0;
  const before = memory ? await settledMemory() : undefined;
  const socket = dgram.createSocket('udp4');
  const peers = new Map();
  let established = 0;
  socket.on('message', (m, rinfo) => {
    const id = `${rinfo.address}:${rinfo.port}`;
    let peer = peers.get(id);
    if (!peer) {
      const transport = transportTo(socket, rinfo.address, rinfo.port);
      const server = new DtlsServer({ cert, key, transport, signatureHash: { hash: 4, signature: 3 } }); // sha256, ecdsa
      server.onData.subscribe(serverHandler((data) => void server.send(data)));
      server.onConnect.subscribe(() => established++);
      server.onClose.subscribe(() => peers.delete(id));
      peer = { transport, server };
      peers.set(id, peer);
    }
    peer.transport.onData(m, [rinfo.address, rinfo.port]);
  });
  await new Promise((r) => socket.bind(o.port, '127.0.0.1', r));
  ready(socket.address().port);
  if (memory) {
    const poll = setInterval(async () => {
      if (established < o.connections) return;
      clearInterval(poll);
      await new Promise((r) => setTimeout(r, 300));
      const after = await settledMemory();
      result({ connections: established, heapPerConnection: (after.heapUsed - before.heapUsed) / established, rssPerConnection: (after.rss - before.rss) / established, before, after });
    }, 100);
  }
  exitWithRunner(() => new Promise((r) => socket.close(r)));
} else {
  /** One connected werift client: its own UDP socket, as a WebRTC peer has. */
  const open = async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise((r) => socket.connect(o.port, '127.0.0.1', r));
    const transport = transportTo(socket, '127.0.0.1', o.port);
    socket.on('message', (m) => transport.onData(m, ['127.0.0.1', o.port]));
    const client = new DtlsClient({ transport });
    const connected = new Promise((resolve, reject) => {
      client.onConnect.once(resolve);
      client.onError.once(reject);
    });
    const timer = setTimeout(() => {}, 10_000);
    client.connect();
    await Promise.race([connected, new Promise((_, reject) => setTimeout(() => reject(new Error('werift handshake timeout')), 10_000).unref())]);
    clearTimeout(timer);
    return { client, socket };
  };
  const closeOne = ({ client, socket }) => {
    client.close(); // sends close_notify
    socket.close();
  };
  try {
    if (o.workload === 'handshake') {
      const once = async () => closeOne(await open());
      await warmUpHandshakes(once, o.warmup, o.seconds);
      result(await sequentialHandshakes(once, o.count, o.seconds));
    } else if (o.workload === 'hold') {
      // Opens --connections connections (--concurrency at a time) and keeps them idle.
      const held = [];
      const r = await concurrentHandshakes(async () => held.push(await open()), o.connections, o.seconds, o.concurrency);
      result({ ...r, held: held.length });
      exitWithRunner(() => held.forEach(closeOne));
      await new Promise(() => {}); // until the runner stops us
    } else {
      const c = await open();
      let listener = null;
      c.client.onData.subscribe((m) => listener?.(m));
      const transport = { send: (m) => void c.client.send(m), onMessage: (cb) => (listener = cb) };
      if (o.workload === 'throughput') {
        const state = { total: 0 };
        if (o.warmup > 0) await throughputClient(transport, o.warmup, o.seconds, state);
        result(await throughputClient(transport, o.count, o.seconds, state));
      } else if (o.workload === 'pingpong') {
        if (o.warmup > 0) await pingPongClient(transport, o.warmup, o.seconds);
        result(await pingPongClient(transport, o.count, o.seconds));
      } else throw new Error(`unknown workload ${o.workload}`);
      closeOne(c);
    }
  } catch (e) {
    fail(e);
  }
  process.exit(0);
}
