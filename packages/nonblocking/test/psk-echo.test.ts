import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, connect, createServer, type DtlsServer, type EstablishedDtlsSocket } from '../src/index.js';
import { IDENTITY, clientPsk, echo, roundTrip, serverPsk, text, until } from './helpers.js';

let server: DtlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// The default (DTLS 1.3 preferred) and a 1.2 pin; each version's CCM_8 suite (node:tls takes both
// versions' names in one list; the TLS 1.3 one is used by 1.3 only, RFC 8446 B.4).
const VERSIONS = [
  { version: 'DTLSv1.3', cipher: { name: 'TLS_AES_128_CCM_8_SHA256', standardName: 'TLS_AES_128_CCM_8_SHA256', version: 'DTLSv1.3' }, clientOptions: {} },
  { version: 'DTLSv1.2', cipher: { name: 'PSK-AES128-CCM8', standardName: 'TLS_PSK_WITH_AES_128_CCM_8', version: 'DTLSv1.2' }, clientOptions: { maxVersion: 'DTLSv1.2' } },
] as const;

describe.each([
  ['udp4', '127.0.0.1'],
  ['udp6', '::1'],
] as const)('PSK echo over %s', (type, host) => {
  it.each(VERSIONS)('connects, echoes datagrams with their boundaries, tells what was negotiated, closes ($version)', async ({ version, cipher, clientOptions }) => {
    const accepted: EstablishedDtlsSocket[] = [];
    server = createServer({ psk: serverPsk(), cipherSuites: 'PSK-AES128-CCM8:TLS_AES_128_CCM_8_SHA256' }, (socket) => {
      accepted.push(socket);
      echo(socket);
    });
    const { port, family } = await server.listen(0, host);
    expect(family).toBe(type === 'udp6' ? 'IPv6' : 'IPv4');

    const client = await connect({ host, port, psk: clientPsk(), cipherSuites: 'PSK-AES128-CCM8:TLS_AES_128_CCM_8_SHA256', ...clientOptions });
    expect(client.state).toBe('established');
    expect(client.getProtocol()).toBe(version);
    expect(client.getCipher()).toEqual(cipher);
    expect(client.pskIdentity).toBe(IDENTITY);
    expect(client.remoteAddress).toBe(host);
    expect(client.remotePort).toBe(port);

    expect(await roundTrip(client, 'hello')).toBe('hello');
    // Boundaries kept: three sends, three messages, in any case each whole.
    const got: string[] = [];
    const three = new Promise<void>((resolve) => {
      client.on('message', (m) => {
        got.push(text(m));
        if (got.length === 3) resolve();
      });
    });
    client.send('a');
    client.send(new Uint8Array([0x62, 0x62]));
    client.send('c'.repeat(1000));
    await three;
    expect(got.sort()).toEqual(['a', 'bb', 'c'.repeat(1000)]);

    expect(accepted).toHaveLength(1);
    const peer = accepted[0] as EstablishedDtlsSocket;
    expect(peer.pskIdentity).toBe(IDENTITY);
    // The negotiated results are not optional on an established socket (this line compiles under strict).
    expect(peer.getCipher().name).toBe(cipher.name);
    // PSK: no certificate; node:tls's {} and undefined.
    expect(peer.getPeerCertificate()).toEqual({});
    expect(client.getPeerCertificate(true).raw).toBeUndefined();
    expect(client.getPeerX509Certificate()).toBeUndefined();
    expect(peer.remotePort).toBe(client.address()?.port);
    expect(peer.exportKeyingMaterial(32, 'EXTRACTOR-test')).toEqual(client.exportKeyingMaterial(32, 'EXTRACTOR-test'));
    expect(server.stats).toMatchObject({ connections: 1, handshakes: 0, accepted: 1, established: 1, helloVerifyRequests: 1 });

    const peerClosed = new Promise((resolve) => peer.once('close', resolve));
    await client.close();
    expect(client.state).toBe('closed');
    expect(await peerClosed).toBe(false);
    expect(server.stats.connections).toBe(0);
    expect(client.send('late')).toBe(false);
  });
});

describe('for await', () => {
  it('iterates messages on both ends; the loop ends when the peer closes', async () => {
    const received: string[] = [];
    let serverLoopDone!: () => void;
    const serverLoop = new Promise<void>((resolve) => (serverLoopDone = resolve));
    server = createServer({ psk: serverPsk() }, async (socket) => {
      for await (const m of socket) {
        received.push(text(m));
        socket.send(m.toString('utf8').toUpperCase());
      }
      serverLoopDone();
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    const replies: string[] = [];
    for (const m of ['one', 'two', 'three']) client.send(m);
    for await (const m of client) {
      replies.push(text(m));
      if (replies.length === 3) break; // break stops reading; the connection stays up
    }
    expect(replies.sort()).toEqual(['ONE', 'THREE', 'TWO']);
    expect(client.state).toBe('established');
    await client.close();
    await serverLoop;
    expect(received.sort()).toEqual(['one', 'three', 'two']);
  });

  it('keeps messages that arrive before anyone reads', async () => {
    server = createServer({ psk: serverPsk() }, (socket) => {
      socket.send('first');
      socket.send('second');
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    await new Promise((resolve) => setTimeout(resolve, 100)); // both have arrived, nobody listened
    const it = client[Symbol.asyncIterator]();
    const a = await it.next();
    const b = await it.next();
    expect([text(a.value as Buffer), text(b.value as Buffer)].sort()).toEqual(['first', 'second']);
    await client.close();
    expect((await it.next()).done).toBe(true);
  });
});

describe('tracing and key log', () => {
  it('writes the one CLIENT_RANDOM line of a DTLS 1.2 handshake (RFC 5246 8.1 master secret) on both ends', async () => {
    const serverLines: string[] = [];
    const clientLines: string[] = [];
    server = createServer({ psk: serverPsk() }, echo);
    server.on('keylog', (line) => serverLines.push(line.toString()));
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), maxVersion: 'DTLSv1.2', keylog: (line) => clientLines.push(line) });
    expect(clientLines).toHaveLength(1);
    expect(clientLines[0]).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
    expect(serverLines).toEqual(clientLines);
    await client.close();
  });

  it('publishes handshakes and alerts on diagnostics_channel and writes matching key log lines', async () => {
    const seen: Array<{ channel: string; role: string; name?: string; direction?: string; error?: unknown }> = [];
    const subscriptions = Object.values(CHANNELS).map((name) => {
      const fn = (m: unknown): void => {
        const msg = m as { role: string; name?: string; direction?: string; error?: unknown };
        seen.push({ channel: name, role: msg.role, name: msg.name, direction: msg.direction, error: msg.error });
      };
      diagnosticsChannel.subscribe(name, fn);
      return () => diagnosticsChannel.unsubscribe(name, fn);
    });
    try {
      const serverLines: string[] = [];
      const clientLines: string[] = [];
      server = createServer({ psk: serverPsk() }, echo);
      server.on('keylog', (line) => serverLines.push(line.toString()));
      const { port } = await server.listen(0, '127.0.0.1');
      const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), keylog: (line) => clientLines.push(line) });
      // DTLS 1.3 (the default): the five secrets of the TLS 1.3 key schedule (RFC 8446 7.1), as
      // OpenSSL's SSLKEYLOGFILE writes them, each with the ClientHello.random; SHA-256 secrets.
      const labels = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET'];
      expect(clientLines.map((l) => l.split(' ')[0])).toEqual(labels);
      for (const line of clientLines) expect(line).toMatch(/^[A-Z_0]+ [0-9a-f]{64} [0-9a-f]{64}\n$/);
      expect(new Set(clientLines.map((l) => l.split(' ')[1])).size).toBe(1);
      await until(() => serverLines.length === labels.length);
      expect([...serverLines].sort()).toEqual([...clientLines].sort());
      await client.close();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const summary = seen.map((s) => `${s.channel} ${s.role}${s.name ? ' ' + s.direction + ' ' + s.name : ''}`);
      expect(summary).toEqual(
        expect.arrayContaining([
          'dtls-kit:handshake-start client',
          'dtls-kit:handshake-start server',
          'dtls-kit:handshake client',
          'dtls-kit:handshake server',
          'dtls-kit:alert client sent close_notify',
          'dtls-kit:alert server received close_notify',
          'dtls-kit:close client',
          'dtls-kit:close server',
          'dtls-kit:datagram client',
          'dtls-kit:datagram server',
        ]),
      );
      expect(seen.filter((s) => s.channel === CHANNELS.handshake).every((s) => s.error === undefined)).toBe(true);
    } finally {
      for (const unsubscribe of subscriptions) unsubscribe();
    }
  });
});
