/**
 * `dtls-kit server --runtime blocking` says why a client was refused or evicted (issue 12, point 4):
 * ports of one address that pass the cookie exchange and then stall hold handshake places; past
 * the per-address bound a new one is refused without an answer, and a handshake stalled in the
 * only worker gives it up to the next queued connection.
 */
import { createSocket, type Socket } from 'node:dgram';
import { DtlsConnection } from '@dtls-kit/core';
import { pskClient } from '@dtls-kit/psk';
import { waitUntil } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll, PSK, startCliServer, type CliServer } from './helpers.js';

afterAll(killAll);

const sockets: Socket[] = [];
let server: CliServer | undefined;
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server?.stop();
  server = undefined;
});

/**
 * One port of 127.0.0.1: ClientHello, the HelloVerifyRequest answered with the cookie, then
 * silence. Resolves once the cookie went out (the server verified it and made a connection).
 */
async function stallAfterCookie(port: number): Promise<number> {
  const udp = createSocket('udp4');
  udp.on('error', () => {});
  sockets.push(udp);
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const conn = DtlsConnection.client({ psk: pskClient({ identity: 'Client_identity', key: PSK }) });
  conn.connect(performance.now());
  const cookieSent = new Promise<void>((resolve) => {
    udp.once('message', (msg) => {
      conn.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), performance.now());
      for (const d of conn.datagramsToSend()) udp.send(d, port, '127.0.0.1');
      resolve();
    });
  });
  for (const d of conn.datagramsToSend()) udp.send(d, port, '127.0.0.1');
  await cookieSent;
  return udp.address().port;
}

describe('dtls-kit server --runtime blocking: refusals and evictions on stderr', () => {
  it('past the per-address bound a port is refused with the reason; a stalled one gives its worker to the queue', async () => {
    // 1 worker + 16 queued = 17 places, at most 9 handshakes of one address.
    server = await startCliServer(['--runtime', 'blocking', '--threads', '1', '--psk', PSK]);
    const port = server.port;
    const stalled: number[] = [];
    for (let i = 0; i < 9; i++) stalled.push(await stallAfterCookie(port));
    const tenth = await stallAfterCookie(port);
    const refusedLine = `refused 127.0.0.1:${tenth}: too many handshakes in progress from this address`;
    expect(await waitUntil(() => server!.stderr().includes(refusedLine), 3000, 20), server.stderr()).toBe(true);
    // The handshake in the only worker stalls after the first retransmission timeout (1 s): the
    // worker goes to the next queued connection, and the stalled peer is told why on stderr.
    const evicted = /evicted 127\.0\.0\.1:(\d+): its handshake stalled for \d+ ms; its place went to the next queued connection \(maxThreads\)/;
    expect(await waitUntil(() => evicted.test(server!.stderr()), 4000, 20), server.stderr()).toBe(true);
    expect(stalled).toContain(Number(evicted.exec(server.stderr())?.[1]));
    console.log(server.stderr().split('\n').filter((l) => l.startsWith('refused') || l.startsWith('evicted')).join('\n'));
  }, 20_000);
});
