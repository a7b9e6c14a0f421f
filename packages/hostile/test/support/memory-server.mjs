// A @dtls-kit/nonblocking PSK server in a process of its own, so a test can read the server's
// memory without the attacker's sockets and buffers in the figure. Started with --expose-gc by
// test/memory.test.ts. Protocol over the IPC channel:
//   child -> parent { type: 'listening', port }           once listening on 127.0.0.1
//   parent -> child { type: 'measure', id }                collect garbage, then answer with
//   child -> parent { type: 'measured', id, rss, heapUsed, arrayBuffers, stats }
//   parent -> child { type: 'close' }                      close the server and exit
// Options (JSON in argv[2]) are merged into createServer's options.
import { createServer } from '@dtls-kit/nonblocking';
import { pskServer } from '@dtls-kit/psk';

const extra = JSON.parse(process.argv[2] ?? '{}');
const server = createServer({
  psk: pskServer({ keys: { Client_identity: '000102030405060708090a0b0c0d0e0f' } }),
  cipherSuites: 'PSK-AES128-GCM-SHA256',
  recvBufferSize: 8 << 20,
  ...extra,
});

const collect = () => {
  if (typeof globalThis.gc === 'function') {
    // Twice: the first pass can leave finalizable objects for the second.
    globalThis.gc();
    globalThis.gc();
  }
};

process.on('message', async (message) => {
  if (message?.type === 'measure') {
    collect();
    const m = process.memoryUsage();
    process.send?.({ type: 'measured', id: message.id, rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, stats: server.stats });
  } else if (message?.type === 'close') {
    await server.close();
    process.disconnect?.();
  }
});

const { port } = await server.listen(0, '127.0.0.1');
process.send?.({ type: 'listening', port });
