/**
 * What an idle established connection carries in the runtime: a server may hold 100,000 of
 * them, so a socket adds no listener of its own to itself unless it has to (see park()), and its
 * messages that arrive before anyone listens still reach the first 'message' listener.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, subscribe, type DtlsServer, type EstablishedDtlsSocket, type HandshakeMessage } from '../src/index.js';
import { clientPsk, serverPsk, text } from './helpers.js';

let server: DtlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('an idle connection', () => {
  it('has no listener of its own until a message waits for a reader, and none once it was read', async () => {
    let accepted: EstablishedDtlsSocket | undefined;
    server = createServer({ psk: serverPsk() }, (socket) => {
      accepted = socket;
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (accepted === undefined) throw new Error('no connection accepted');
    const socket = accepted;
    expect(socket.eventNames()).toEqual([]);

    // A message nobody listens for yet: kept, and watched for a 'message' listener.
    client.send('early');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(socket.listenerCount('newListener')).toBe(1);

    const got = new Promise<string>((resolve) => socket.on('message', (m) => resolve(text(m))));
    expect(await got).toBe('early');
    expect(socket.listenerCount('newListener')).toBe(0);
    expect(socket.eventNames()).toEqual(['message']);
    await client.close();
  });

  it('keeps its times in whole milliseconds (a fractional one costs a 16-byte heap number per field)', async () => {
    const handshakes: HandshakeMessage[] = [];
    const stop = subscribe('dtls-kit:handshake', (m) => handshakes.push(m));
    try {
      server = createServer({ psk: serverPsk() });
      const { port } = await server.listen(0, '127.0.0.1');
      const client = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
      const ended = server;
      await new Promise((resolve) => setTimeout(resolve, 50));
      await client.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(ended.stats.established).toBe(1);
    } finally {
      stop();
    }
    // The server's handshake duration is a difference of two of its connection's timestamps.
    const durations = handshakes.filter((m) => m.role === 'server').map((m) => m.durationMs);
    expect(durations.length).toBe(1);
    expect(durations.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
  });

  it('holds few fields of its own: settings shared with the server, yes/no state in one integer', async () => {
    let accepted: EstablishedDtlsSocket | undefined;
    server = createServer({ psk: serverPsk() }, (socket) => {
      accepted = socket;
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (accepted === undefined) throw new Error('no connection accepted');
    // Each own field is 8 bytes of every idle connection (EventEmitter's own five included):
    // 41 before the transport, timers, hooks, clock and limits were shared, the role read from
    // the engine, the seven booleans became bits and what few connections use went to RareState;
    // 20 since (one spare).
    expect(Reflect.ownKeys(accepted).length).toBeLessThanOrEqual(21);
    await client.close();
  });
});
