// node-dtls-client 2.0.3: a client only, PSK suites only. It is paired with a server of another
// implementation (the runner uses dtls-kit's and OpenSSL's): --role client only.
import { dtls } from 'node-dtls-client';
import { PSK_IDENTITY, PSK_KEY_HEX, fail, options, pingPongClient, result, sequentialHandshakes, warmUpHandshakes, throughputClient } from './common.mjs';

const o = options();
if (o.role !== 'client' || o.suite !== 'psk') fail(new Error('node-dtls-client is a PSK client only'));

function open() {
  return new Promise((resolve, reject) => {
    const socket = dtls.createSocket({
      type: 'udp4',
      address: '127.0.0.1',
      port: o.port,
      psk: { [PSK_IDENTITY]: Buffer.from(PSK_KEY_HEX, 'hex').toString('latin1') },
      ciphers: ['TLS_PSK_WITH_AES_128_GCM_SHA256'],
      timeout: 10_000,
    });
    socket.once('connected', () => resolve(socket));
    socket.once('error', reject);
  });
}

const close = (socket) => new Promise((resolve) => socket.close(resolve)); // close_notify

try {
  if (o.workload === 'handshake') {
    const once = async () => close(await open());
    await warmUpHandshakes(once, o.warmup, o.seconds);
    result(await sequentialHandshakes(once, o.count, o.seconds));
  } else {
    const socket = await open();
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
    await close(socket);
  }
} catch (e) {
  fail(e);
}
process.exit(0);
