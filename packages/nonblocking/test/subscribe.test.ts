import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  CHANNELS,
  connect,
  createServer,
  subscribe,
  type AlertMessage,
  type CloseMessage,
  type DatagramMessage,
  type DtlsServer,
  type HandshakeMessage,
  type StatsMessage,
} from '../src/index.js';
import { clientPsk, serverPsk, until } from './helpers.js';

let server: DtlsServer | undefined;
const stops: Array<() => void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await server?.close();
  server = undefined;
});

async function oneConnection(): Promise<void> {
  server = createServer({ psk: serverPsk() });
  const { port } = await server.listen(0, '127.0.0.1');
  const client = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
  await client.close();
  // DTLS 1.3 (the default): the client's Finished is the handshake's last message (RFC 8446 2),
  // so the server ends its handshake, and then the connection, after connect() and close() resolved.
  const ended = server;
  await until(() => ended.stats.established === 1 && ended.stats.connections === 0, 5000, 'the server side to end');
}

describe('subscribe(): diagnostics_channel with typed messages', () => {
  it('gives each listener its channel message type, and unsubscribes', async () => {
    const handshakes: HandshakeMessage[] = [];
    const alerts: AlertMessage[] = [];
    const closes: CloseMessage[] = [];
    const datagrams: DatagramMessage[] = [];
    const stats: StatsMessage[] = [];
    stops.push(
      subscribe('dtls-kit:handshake', (m) => {
        expectTypeOf(m).toEqualTypeOf<HandshakeMessage>();
        handshakes.push(m);
      }),
      subscribe(CHANNELS.alert, (m) => alerts.push(m)),
      subscribe(CHANNELS.close, (m) => closes.push(m)),
      subscribe(CHANNELS.datagram, (m) => datagrams.push(m)),
      subscribe(CHANNELS.stats, (m) => stats.push(m)),
    );
    await oneConnection();
    expect(handshakes.map((m) => m.role).sort()).toEqual(['client', 'server']);
    expect(handshakes.every((m) => m.error === undefined && m.durationMs >= 0 && typeof m.cipher === 'string')).toBe(true);
    expect(alerts.some((m) => m.name === 'close_notify' && m.direction === 'sent')).toBe(true);
    expect(closes.length).toBeGreaterThanOrEqual(1);
    expect(datagrams.some((m) => m.direction === 'in') && datagrams.some((m) => m.direction === 'out')).toBe(true);
    expect(stats.some((m) => m.change === 'established' && m.server === server && m.stats.established === 1)).toBe(true);

    for (const stop of stops.splice(0)) stop();
    for (const name of Object.values(CHANNELS)) expect(diagnosticsChannel.hasSubscribers(name), name).toBe(false);
    const before = handshakes.length;
    await server?.close();
    await oneConnection();
    expect(handshakes.length).toBe(before);
  });

  it('does not pass on a message of another shape published on the same channel', () => {
    const got: unknown[] = [];
    stops.push(subscribe('dtls-kit:handshake', (m) => got.push(m)), subscribe('dtls-kit:stats', (m) => got.push(m)));
    diagnosticsChannel.channel('dtls-kit:handshake').publish({ role: 'client', durationMs: 1 });
    diagnosticsChannel.channel('dtls-kit:stats').publish({ server: {}, change: 'established', stats: {} });
    diagnosticsChannel.channel('dtls-kit:handshake').publish('not an object');
    expect(got).toEqual([]);
  });

  it('covers every channel of CHANNELS', () => {
    for (const name of Object.values(CHANNELS)) {
      let called = 0;
      const stop = subscribe(name, () => called++);
      expect(diagnosticsChannel.hasSubscribers(name), name).toBe(true);
      diagnosticsChannel.channel(name).publish({});
      stop();
      expect(called, name).toBe(0);
    }
  });
});
