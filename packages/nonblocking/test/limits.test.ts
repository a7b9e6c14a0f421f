import diagnosticsChannel from 'node:diagnostics_channel';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { DtlsConnection } from '@dtls-kit/core';
import { pskClient, pskServer } from '@dtls-kit/psk';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, HandshakeTimeoutError, NoReplyError, connect, createServer, type DtlsError, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { CONTENT_TYPE, startFaultRelay, type FaultRelay } from '@dtls-kit/test-kit';
import { IDENTITY, KEY, clientPsk, echo, roundTrip, serverPsk, sleep, until } from './helpers.js';

let server: DtlsServer | undefined;
let relay: FaultRelay | undefined;
const clients: DtlsSocket[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

const fast = { retransmit: { initialMs: 100, maxMs: 400 } };

describe('maxConnections', () => {
  it('refuses the extra client while the existing ones keep working; a freed slot is used again', async () => {
    server = createServer({ psk: serverPsk(), maxConnections: 2 }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    const a = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    const b = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    clients.push(a, b);
    const refusals: unknown[] = [];
    const onRefuse = (m: unknown): void => void refusals.push(m);
    diagnosticsChannel.subscribe(CHANNELS.refuse, onRefuse);
    const refused = await connect({ host: '127.0.0.1', port, psk: clientPsk(), handshakeTimeoutMs: 600, ...fast }).catch((e: unknown) => e);
    diagnosticsChannel.unsubscribe(CHANNELS.refuse, onRefuse);
    // A full server drops the ClientHello without a word: to the client that is no reply at all.
    expect(refused).toBeInstanceOf(NoReplyError);
    expect(refusals[0]).toMatchObject({ remoteAddress: '127.0.0.1', reason: 'maxConnections' });
    expect(server.stats.refused).toBeGreaterThanOrEqual(2); // the ClientHello and its retransmissions
    expect(server.stats).toMatchObject({ connections: 2, helloVerifyRequests: 2 }); // no cookie exchange for the refused one
    expect(await roundTrip(a, 'still here')).toBe('still here');
    expect(await roundTrip(b, 'me too')).toBe('me too');

    await a.close();
    await until(() => server?.stats.connections === 1, 2000, 'the slot to be freed');
    const c = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    clients.push(c);
    expect(await roundTrip(c, 'in')).toBe('in');
  });
});

describe('maxHandshakes', () => {
  it('holds new handshakes back while one is in progress, then lets the retransmission in', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let lookups = 0;
    server = createServer(
      {
        maxHandshakes: 1,
        psk: pskServer({
          pskCallback: async (identity) => {
            lookups++;
            if (lookups === 1) await gate; // the first handshake waits in its (slow) key lookup
            return identity === IDENTITY ? KEY : undefined;
          },
        }),
      },
      echo,
    );
    const { port } = await server.listen(0, '127.0.0.1');
    const first = connect({ host: '127.0.0.1', port, psk: clientPsk(), ...fast });
    await until(() => lookups === 1, 2000, 'the first lookup');
    expect(server.stats.handshakes).toBe(1);
    const second = connect({ host: '127.0.0.1', port, psk: clientPsk(), ...fast });
    await until(() => (server?.stats.refused ?? 0) >= 1, 2000, 'a refusal');
    expect(server.stats.handshakes).toBe(1);
    release();
    const [a, b] = await Promise.all([first, second]);
    clients.push(a, b);
    expect(await roundTrip(b, 'second')).toBe('second');
    expect(server.stats).toMatchObject({ connections: 2, handshakes: 0, established: 2 });
  });
});

describe('cleanup', () => {
  it('closes a connection the peer stopped using after idleTimeoutMs (close_notify reaches the client)', async () => {
    const serverSide: DtlsSocket[] = [];
    server = createServer({ psk: serverPsk(), idleTimeoutMs: 300 }, (s) => {
      serverSide.push(s);
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    // DTLS 1.3 (the default): the client's Finished ends the handshake, the server's side comes after connect().
    await until(() => serverSide.length === 1, 3000, "the server's side");
    const timedOut = once(serverSide[0] as DtlsSocket, 'timeout');
    const clientClosed = once(client, 'close');
    // Activity postpones the timeout ...
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      expect(await roundTrip(client, `ping ${i}`)).toBe(`ping ${i}`);
    }
    expect(server.stats.connections).toBe(1);
    // ... silence does not.
    const quietSince = performance.now();
    await timedOut;
    expect(performance.now() - quietSince).toBeGreaterThanOrEqual(250);
    expect(await clientClosed).toEqual([false]);
    expect(server.stats.connections).toBe(0);
  });

  it('forgets a peer that vanished mid-handshake after handshakeTimeoutMs (DTLS 1.3: its ServerHello never reaches it)', async () => {
    server = createServer({ psk: serverPsk(), handshakeTimeoutMs: 400, ...fast });
    const clientErrors: DtlsError[] = [];
    server.on('clientError', (e) => clientErrors.push(e));
    const { port } = await server.listen(0, '127.0.0.1');
    // The HelloRetryRequest (a server_hello, RFC 9147 5.1) goes through; the ServerHello flight never does.
    relay = await startFaultRelay({
      target: port,
      seed: 1,
      rules: [{ direction: 'toClient', match: { contentType: CONTENT_TYPE.handshake, handshakeType: 2 }, skip: 1, times: Infinity, action: { kind: 'drop' } }],
    });
    const controller = new AbortController();
    const pending = connect({ host: '127.0.0.1', port: relay.port, signal: controller.signal, psk: clientPsk() }).catch((e: unknown) => e);
    await until(() => server?.stats.handshakes === 1, 2000, 'the handshake to start');
    controller.abort();
    await pending;
    await until(() => server?.stats.handshakes === 0, 2000, 'the handshake to be dropped');
    expect(server.stats.connections).toBe(0);
    expect(clientErrors[0]).toBeInstanceOf(HandshakeTimeoutError);
  });

  // DTLS 1.2: a PSK client looks its key up after the server's flight (RFC 4279 2, the identity
  // hint); in 1.3 it needs the key for its ClientHello's binder (RFC 8446 4.2.11).
  it('forgets a peer that vanished mid-handshake after handshakeTimeoutMs (DTLS 1.2: its key lookup never ends)', async () => {
    server = createServer({ psk: serverPsk(), handshakeTimeoutMs: 400, ...fast });
    const clientErrors: DtlsError[] = [];
    server.on('clientError', (e) => clientErrors.push(e));
    const { port } = await server.listen(0, '127.0.0.1');
    const controller = new AbortController();
    // The client stalls after the server's flight (its key lookup never ends), then vanishes.
    const pending = connect({
      host: '127.0.0.1',
      port,
      signal: controller.signal,
      psk: pskClient({ pskCallback: () => new Promise(() => {}) }),
      maxVersion: 'DTLSv1.2',
    }).catch((e: unknown) => e);
    await until(() => server?.stats.handshakes === 1, 2000, 'the handshake to start');
    controller.abort();
    await pending;
    await until(() => server?.stats.handshakes === 0, 2000, 'the handshake to be dropped');
    expect(server.stats.connections).toBe(0);
    expect(clientErrors[0]).toBeInstanceOf(HandshakeTimeoutError);
  });

  it('server.close() closes every connection with close_notify, then the server', async () => {
    server = createServer({ psk: serverPsk() }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    const three = await Promise.all([1, 2, 3].map(() => connect({ host: '127.0.0.1', port, psk: clientPsk() })));
    const closes = three.map((c) => once(c, 'close'));
    const serverClosed = once(server, 'close');
    await server.close();
    await serverClosed;
    expect(await Promise.all(closes)).toEqual([[false], [false], [false]]);
    expect(server.stats.connections).toBe(0);
    expect(server.address()).toBeNull();
    server = undefined;
  });
});

describe('the stateless front door', () => {
  it('a flood of ClientHellos without cookies from many ports gets HelloVerifyRequests and leaves no state', async () => {
    server = createServer({ psk: serverPsk() });
    const { port } = await server.listen(0, '127.0.0.1');
    const probe = DtlsConnection.client({ psk: pskClient({ identity: IDENTITY, key: KEY }) });
    probe.connect(0);
    const hello = probe.datagramsToSend()[0] as Uint8Array;
    const sockets = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const s = dgram.createSocket('udp4');
        s.bind(0, '127.0.0.1');
        await once(s, 'listening');
        return s;
      }),
    );
    let replies = 0;
    try {
      for (const s of sockets) {
        s.on('message', (m) => {
          expect(m.length).toBeLessThanOrEqual(hello.length); // no amplification
          replies++;
        });
      }
      // Three rounds (a burst of 300 at once could overflow the receive buffer and prove nothing).
      for (let round = 1; round <= 3; round++) {
        for (const s of sockets) s.send(hello, port, '127.0.0.1');
        await until(() => replies === 100 * round, 3000, `the HelloVerifyRequests of round ${round}`);
      }
      expect(server.stats).toMatchObject({ connections: 0, handshakes: 0, accepted: 0, helloVerifyRequests: 300 });
    } finally {
      for (const s of sockets) s.close();
    }
  });

  it('a restarted client on the same address replaces its old connection once its cookie verifies (RFC 6347 4.2.8)', async () => {
    const serverSide: DtlsSocket[] = [];
    server = createServer({ psk: serverPsk() }, (s) => {
      serverSide.push(s);
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const old = await connect({ host: '127.0.0.1', port, psk: clientPsk(), localAddress: '127.0.0.1' });
    const localPort = old.address()?.port as number;
    expect(await roundTrip(old, 'before')).toBe('before');
    old.destroy(); // the client "crashes": no close_notify
    await once(old, 'close');
    const oldServerClosed = once(serverSide[0] as DtlsSocket, 'close');
    const restarted = await connect({ host: '127.0.0.1', port, psk: clientPsk(), localAddress: '127.0.0.1', localPort });
    clients.push(restarted);
    await oldServerClosed;
    expect(restarted.address()?.port).toBe(localPort);
    expect(await roundTrip(restarted, 'after')).toBe('after');
    expect(server.stats).toMatchObject({ connections: 1, replaced: 1, established: 2 });
  });
});
