// Plain node:dgram, no crypto: the ceiling for any DTLS stack on Node, with the same messages,
// window and acks as the DTLS peers.
//   node peer-dgram.mjs --role server
//   node peer-dgram.mjs --role client --port P --workload throughput|pingpong --count N --warmup W --seconds S
import dgram from 'node:dgram';
import { exitWithRunner, fail, options, pingPongClient, ready, result, serverHandler, throughputClient } from './common.mjs';

const o = options();

if (o.role === 'server') {
  const socket = dgram.createSocket('udp4');
  const handlers = new Map();
  socket.on('message', (m, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let h = handlers.get(key);
    if (!h) {
      h = serverHandler((data) => socket.send(data, rinfo.port, rinfo.address));
      handlers.set(key, h);
    }
    h(m);
  });
  socket.bind(o.port, '127.0.0.1', () => ready(socket.address().port));
  exitWithRunner(() => new Promise((r) => socket.close(r)));
} else {
  const socket = dgram.createSocket('udp4');
  await new Promise((r) => socket.connect(o.port, '127.0.0.1', r));
  let listener = null;
  socket.on('message', (m) => listener?.(m));
  const transport = { send: (m) => socket.send(m), onMessage: (cb) => (listener = cb) };
  try {
    if (o.workload === 'throughput') {
      const state = { total: 0 };
      if (o.warmup > 0) await throughputClient(transport, o.warmup, o.seconds, state);
      result(await throughputClient(transport, o.count, o.seconds, state));
    } else if (o.workload === 'pingpong') {
      if (o.warmup > 0) await pingPongClient(transport, o.warmup, o.seconds);
      result(await pingPongClient(transport, o.count, o.seconds));
    } else throw new Error(`plain dgram has no ${o.workload} workload`);
  } catch (e) {
    fail(e);
  }
  socket.close();
}
