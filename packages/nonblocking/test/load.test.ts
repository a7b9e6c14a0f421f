import { describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsSocket } from '../src/index.js';
import { clientPsk, echo, serverPsk, text, until } from './helpers.js';

const CLIENTS = 200;
const MESSAGES = 50;

/** Sends `count` messages one after the other, each after the echo of the previous one came back. */
async function pingPong(socket: DtlsSocket, id: number, count: number): Promise<string[]> {
  const replies: string[] = [];
  const it = socket[Symbol.asyncIterator]();
  for (let i = 0; i < count; i++) {
    const sent = `client ${id} message ${i} ${'x'.repeat(i)}`;
    socket.send(sent);
    const r = await it.next();
    replies.push(text(r.value as Buffer));
  }
  await it.return?.();
  return replies;
}

describe('many peers on one socket', () => {
  it(`${CLIENTS} concurrent clients × ${MESSAGES} messages each way: none lost or crossed; everything freed`, async () => {
    const udpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
    const before = udpHandles();
    const server = createServer({ psk: serverPsk(), cipherSuites: 'PSK-AES128-GCM-SHA256', recvBufferSize: 1 << 22 }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, () => connect({ host: '127.0.0.1', port, psk: clientPsk(), cipherSuites: 'PSK-AES128-GCM-SHA256', retransmit: { initialMs: 200 } })),
    );
    // DTLS 1.3 (the default): each client's Finished ends its handshake; the server's side ends after connect().
    await until(() => server.stats.established === CLIENTS, 10_000, 'every server side');
    expect(server.stats).toMatchObject({ connections: CLIENTS, handshakes: 0, established: CLIENTS });
    const results = await Promise.all(clients.map((c, id) => pingPong(c, id, MESSAGES)));
    results.forEach((replies, id) => {
      expect(replies).toEqual(Array.from({ length: MESSAGES }, (_, i) => `client ${id} message ${i} ${'x'.repeat(i)}`));
    });
    expect(udpHandles()).toBe(before + CLIENTS + 1);
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
    expect(server.stats.connections).toBe(0);
    // libuv finishes closing handles a moment after 'close'.
    await until(() => udpHandles() === before, 1000, 'every UDP handle to be closed');
  });
});
