/**
 * The application's buffers stay the application's (issue 15): the record path reuses scratch
 * space and seals into shared slabs, but a Buffer handed to a 'message' listener is never written
 * again, however many records arrive after it, and a burst of sends (sealed one after the other
 * into the same slab, some still in node:dgram's queue) arrives as it was sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer } from '../src/index.js';
import { clientPsk, serverPsk, until } from './helpers.js';

let server: DtlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** 1,000 bytes that say which message they are: the index, then its low byte repeated. */
function message(i: number): Buffer {
  const m = Buffer.alloc(1000, i & 0xff);
  m.writeUInt32BE(i, 0);
  return m;
}

describe('buffer lifetimes through the non-blocking runtime', () => {
  it('leaves every Buffer a message listener got as it was while 150 more records arrive', async () => {
    const kept: Buffer[] = [];
    server = createServer({ psk: serverPsk(), mtu: 1400 }, (socket) => {
      socket.on('message', (m) => kept.push(m));
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), mtu: 1400 });
    // Bursts of 10, so that loopback's receive buffer is not what decides the count.
    for (let burst = 0; burst < 15; burst++) {
      for (let i = burst * 10; i < burst * 10 + 10; i++) client.send(message(i));
      await until(() => kept.length >= burst * 10 + 1, 5000, `burst ${burst}`);
    }
    await until(() => kept.length >= 140, 5000, 'most of the 150 messages');
    await client.close();
    const seen = new Set<number>();
    for (const m of kept) {
      const i = m.readUInt32BE(0);
      expect(i).toBeLessThan(150);
      expect(seen.has(i)).toBe(false);
      seen.add(i);
      expect(m.equals(message(i))).toBe(true);
    }
  });
});
