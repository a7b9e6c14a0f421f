/**
 * Issue 12, point 4: handshake slots are fair. A cookie proves an address, not a peer: 1 000 ports
 * of one address that pass the cookie exchange and then stall must not lock out a client from
 * another address (maxHandshakesPerAddress), and a full table must prefer clients that make
 * progress over handshakes that stalled (eviction).
 */
import dgram from 'node:dgram';
import diagnosticsChannel from 'node:diagnostics_channel';
import { DtlsConnection } from '@dtls-kit/core';
import { driveOverUdp } from '@dtls-kit/test-kit';
import { pskServer } from '@dtls-kit/psk';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, DEFAULTS, connect, createServer, type DtlsServer, type DtlsSocket, type EvictMessage } from '../src/index.js';
import { HandshakeSlots } from '../src/handshake-slots.js';
import { IDENTITY, KEY, clientPsk, echo, roundTrip, serverPsk, sleep, until } from './helpers.js';
import { stallingFlood, type StallingFlood } from './raw-peers.js';

// The flood and the server share this process's event loop: a larger socket buffer keeps the
// kernel from dropping the burst while the loop is busy (capped by net.core.rmem_max).
const RECV_BUFFER = 4 << 20;

let server: DtlsServer | undefined;
let flood: StallingFlood | undefined;
const clients: DtlsSocket[] = [];
afterEach(async () => {
  await flood?.stop();
  flood = undefined;
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

/** Connects from `localAddress` and returns the socket and how long the handshake took. */
async function timedConnect(port: number, localAddress: string): Promise<{ socket: DtlsSocket; ms: number }> {
  const t0 = performance.now();
  const socket = await connect({ host: '127.0.0.1', port, localAddress, psk: clientPsk(), handshakeTimeoutMs: 8000 });
  clients.push(socket);
  return { socket, ms: performance.now() - t0 };
}

describe('maxHandshakesPerAddress', () => {
  it('1 000 stalling ports on 127.0.0.1 (default limits) do not lock out a client from 127.0.0.2', async () => {
    server = createServer({ psk: serverPsk(), recvBufferSize: RECV_BUFFER }, echo); // maxHandshakes 1 000, maxHandshakesPerAddress 64
    const { port } = await server.listen(0, '127.0.0.1');
    const t0 = performance.now();
    // About 2 000 datagrams from 1 000 ports within a second, then a fresh exchange on each port
    // in turn for as long as the test runs: the attack of the issue, bounded in rate and time.
    flood = await stallingFlood({ port, host: '127.0.0.1', localAddress: '127.0.0.1', sockets: 1000, perSecond: 1000, thenPerSecond: 1000 });
    await sleep(200); // the last cookie exchanges land
    const during = server.stats;
    console.log(
      `flood: 1000 ports in ${(performance.now() - t0).toFixed(0)} ms, ${flood.cookiesPassed()} passed the cookie exchange; ` +
        `server: ${during.handshakes} handshakes in progress, ${during.refused} ClientHellos refused`,
    );

    const { socket, ms } = await timedConnect(port, '127.0.0.2');
    console.log(`client from 127.0.0.2: handshake done in ${ms.toFixed(1)} ms while the flood goes on`);
    expect(ms).toBeLessThan(3000);
    expect(await roundTrip(socket, 'through the flood')).toBe('through the flood');
    expect(during.handshakes).toBeLessThanOrEqual(64);
    expect(server.stats.handshakes).toBeLessThanOrEqual(64);
    expect(DEFAULTS.maxHandshakesPerAddress).toBe(64);
  });

  it('rejects a bad value', () => {
    expect(() => createServer({ psk: serverPsk(), maxHandshakesPerAddress: 0 })).toThrow(/maxHandshakesPerAddress must be an integer >= 1/);
  });
});

describe('a full handshake table prefers clients that make progress', () => {
  it('a stalled handshake gives its slot to a new client once its peer has been silent for the first retransmission timeout', async () => {
    // The per-address bound is opened wide here (as for an attacker with many addresses): only
    // eviction can let the newcomer in. The flood fills the default 1 000 slots in about a second,
    // then keeps them full at the issue's ~67 datagrams per second (34 exchanges).
    server = createServer({ psk: serverPsk(), maxHandshakesPerAddress: 1000, recvBufferSize: RECV_BUFFER }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    const evictions: EvictMessage[] = [];
    const onEvict = (m: unknown): void => void evictions.push(m as EvictMessage);
    diagnosticsChannel.subscribe('dtls-kit:evict', onEvict);
    try {
      flood = await stallingFlood({ port, host: '127.0.0.1', localAddress: '127.0.0.1', sockets: 1000, perSecond: 1000, thenPerSecond: 34 });
      await until(() => server?.stats.handshakes === 1000, 5000, 'the table to fill');
      const { socket, ms } = await timedConnect(port, '127.0.0.2');
      const stats = server.stats;
      console.log(
        `client from 127.0.0.2: handshake done in ${ms.toFixed(1)} ms against a full table of 1000 stalled handshakes ` +
          `(${stats.evicted} evicted, ${stats.refused} refused)`,
      );
      expect(ms).toBeLessThan(4000);
      expect(await roundTrip(socket, 'made it')).toBe('made it');
      expect(stats.evicted).toBeGreaterThanOrEqual(1);
      expect(CHANNELS.evict).toBe('dtls-kit:evict');
      const mine = evictions.find((e) => e.by.address === '127.0.0.2');
      expect(mine).toMatchObject({ role: 'server', remoteAddress: '127.0.0.1', reason: 'maxHandshakes' });
      expect(mine?.stalledMs).toBeGreaterThanOrEqual(1000);
    } finally {
      diagnosticsChannel.unsubscribe('dtls-kit:evict', onEvict);
    }
  });

  it('a handshake whose peer made progress keeps its slot (a slow key lookup is not a stall)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let lookups = 0;
    server = createServer(
      {
        maxHandshakes: 1,
        psk: pskServer({
          pskCallback: async (identity) => {
            lookups++;
            if (lookups === 1) await gate; // the first handshake waits in its key lookup, past stalledAfterMs
            return identity === IDENTITY ? KEY : undefined;
          },
        }),
      },
      echo,
    );
    const { port } = await server.listen(0, '127.0.0.1');
    const fast = { retransmit: { initialMs: 200, maxMs: 400 } };
    const first = connect({ host: '127.0.0.1', port, psk: clientPsk(), handshakeTimeoutMs: 8000 });
    await until(() => lookups === 1, 2000, 'the first lookup');
    const second = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2', psk: clientPsk(), handshakeTimeoutMs: 8000, ...fast });
    await sleep(1500); // longer than the server's first retransmission timeout (1 s)
    expect(server.stats).toMatchObject({ handshakes: 1, evicted: 0 });
    expect(server.stats.refused).toBeGreaterThanOrEqual(1);
    release();
    const [a, b] = await Promise.all([first, second]);
    clients.push(a, b);
    expect(await roundTrip(a, 'first')).toBe('first');
    expect(await roundTrip(b, 'second')).toBe('second');
  });
});

describe('eviction and a restarted client (RFC 6347 4.2.8)', () => {
  it('a client that restarts on the port of its own stalled handshake replaces it without being sent the eviction alert', async () => {
    server = createServer({ psk: serverPsk(), maxHandshakes: 1 }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    try {
      // First life: the cookie exchange, then silence (the device rebooted).
      const first = DtlsConnection.client({ psk: clientPsk() });
      first.connect(performance.now());
      let replies = 0;
      const onFirst = (msg: Buffer): void => {
        if (replies++ > 0) return;
        first.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), performance.now());
        for (const d of first.datagramsToSend()) udp.send(d, port, '127.0.0.1');
      };
      udp.on('message', onFirst);
      for (const d of first.datagramsToSend()) udp.send(d, port, '127.0.0.1');
      await until(() => server?.stats.handshakes === 1, 2000, 'the first handshake');
      await sleep(1100); // stalled past the first retransmission timeout: evictable
      udp.off('message', onFirst);

      // Second life, same port: its verified ClientHello replaces the stalled handshake.
      const second = DtlsConnection.client({ psk: clientPsk() });
      second.connect(performance.now());
      const driver = driveOverUdp(second, udp, { address: '127.0.0.1', port });
      await until(() => second.state !== 'handshaking', 5000, 'the second handshake');
      driver.stop();
      expect(second.error?.message).toBeUndefined();
      expect(second.state).toBe('established');
      // DTLS 1.3 (the default): the client's Finished is the last message; the server's side ends after.
      const s = server;
      await until(() => s.stats.established === 1, 3000, "the server's side");
      expect(server.stats).toMatchObject({ replaced: 1, evicted: 0, established: 1 });
    } finally {
      udp.close();
    }
  });
});

describe('HandshakeSlots', () => {
  it('bounds per group and in all; evicts the least recently progressed once stalled long enough', () => {
    const slots = new HandshakeSlots<string>(3, 2, 1000);
    const waitingOnUs = new Set<string>();
    const onPeer = (s: string): boolean => !waitingOnUs.has(s);
    expect(slots.admit('A', 0, onPeer)).toEqual({ type: 'free' });
    slots.add('a1', 'A', 0);
    slots.add('a2', 'A', 10);
    expect(slots.admit('A', 500, onPeer)).toEqual({ type: 'refuse', bound: 'maxHandshakesPerAddress' });
    expect(slots.admit('A', 1000, onPeer)).toEqual({ type: 'evict', victim: 'a1', bound: 'maxHandshakesPerAddress', stalledMs: 1000 });
    waitingOnUs.add('a1'); // a1 waits on our key lookup: not its peer's stall
    expect(slots.admit('A', 1010, onPeer)).toEqual({ type: 'evict', victim: 'a2', bound: 'maxHandshakesPerAddress', stalledMs: 1000 });
    waitingOnUs.delete('a1');
    slots.progressed('a1', 900); // a1 answered: a2 is now the one that waited longest
    expect(slots.admit('A', 1010, onPeer)).toEqual({ type: 'evict', victim: 'a2', bound: 'maxHandshakesPerAddress', stalledMs: 1000 });
    expect(slots.admit('B', 1010, onPeer)).toEqual({ type: 'free' });
    slots.add('b1', 'B', 1010);
    expect(slots.admit('C', 1020, onPeer)).toEqual({ type: 'evict', victim: 'a2', bound: 'maxHandshakes', stalledMs: 1010 });
    expect(slots.admit('C', 1020, () => false)).toEqual({ type: 'refuse', bound: 'maxHandshakes' });
    expect(slots.remove('a2')).toBe(true);
    expect(slots.remove('a2')).toBe(false);
    expect([slots.size, slots.countIn('A'), slots.countIn('B')]).toEqual([2, 1, 1]);
    expect(slots.admit('C', 1020, onPeer)).toEqual({ type: 'free' });
  });
});
