/**
 * The application's buffers stay the application's (issue 15): the record path reuses scratch
 * space and seals into shared slabs, but a Buffer handed to a 'message' listener is never written
 * again, however many records arrive after it, and a burst of sends (sealed one after the other
 * into the same slab, some still in node:dgram's queue) arrives as it was sent.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { DtlsConnection, loadNativeCryptoProvider, loadSodiumCryptoProvider } from '@dtls-kit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

  // Where a message sits in its datagram, per version: DTLS 1.2 a 13-byte header before it, the tag
  // after it (RFC 5246 6.2.3.3); DTLS 1.3 our 5-byte unified header (RFC 9147 4) before it, the
  // inner content type byte (RFC 8446 5.2) and the tag after it.
  const LAYOUTS = [
    { version: 'DTLSv1.3', header: 5, trailer: 1 + 16 },
    { version: 'DTLSv1.2', header: 13, trailer: 16 },
  ] as const;

  it.each(LAYOUTS)('hands a datagram to the engine to be opened in place (sodium-native, $version): a message is a view of it, never written again; not while a trace subscriber is shown datagrams', async ({ version, header, trailer }) => {
    const provider = loadSodiumCryptoProvider();
    const cipherSuites = version === 'DTLSv1.3' ? 'TLS_CHACHA20_POLY1305_SHA256' : 'PSK-CHACHA20-POLY1305';
    const kept: Buffer[] = [];
    server = createServer({ psk: serverPsk(), mtu: 1400, provider, cipherSuites }, (socket) => {
      socket.on('message', (m) => kept.push(m));
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), mtu: 1400, provider, cipherSuites, maxVersion: version });
    expect(client.getProtocol()).toBe(version);
    for (let i = 0; i < 60; i++) {
      client.send(message(i));
      if (i % 10 === 9) await until(() => kept.length >= i - 5, 5000, `message ${i}`);
    }
    await until(() => kept.length >= 55, 5000, 'most of the 60 messages');
    // Opened where it arrived: the memory around a message is its datagram's (the header before
    // it, the tag after it), not an allocation of its own.
    for (const m of kept) {
      expect(m.byteOffset).toBe(header);
      expect(m.buffer.byteLength).toBe(header + m.length + trailer);
    }
    for (const m of kept) expect(m.equals(message(m.readUInt32BE(0)))).toBe(true);

    // A trace subscriber may keep the datagrams it is shown: those are then only read.
    const shown: { datagram: Uint8Array; bytes: Uint8Array }[] = [];
    const onDatagram = (published: unknown): void => {
      const d: unknown = typeof published === 'object' && published !== null ? Reflect.get(published, 'datagram') : undefined;
      const direction: unknown = typeof published === 'object' && published !== null ? Reflect.get(published, 'direction') : undefined;
      if (d instanceof Uint8Array && direction === 'in') shown.push({ datagram: d, bytes: d.slice() });
    };
    diagnosticsChannel.subscribe('dtls-kit:datagram', onDatagram);
    try {
      const before = kept.length;
      for (let i = 100; i < 105; i++) client.send(message(i));
      await until(() => kept.length >= before + 4, 5000, 'the traced messages');
      expect(shown.length).toBeGreaterThanOrEqual(4);
      for (const s of shown) expect(Buffer.from(s.datagram).equals(Buffer.from(s.bytes))).toBe(true);
      // Opened into memory of its own: the plaintext (with DTLS 1.3's inner content type byte after it).
      for (const m of kept.slice(before)) expect(m.buffer.byteLength).toBe(m.length + trailer - 16);
    } finally {
      diagnosticsChannel.unsubscribe('dtls-kit:datagram', onDatagram);
    }
    await client.close();
  });

  it.each([
    // RFC 5288 3: the 13-byte header and the 8-byte explicit nonce before the plaintext, the tag after it.
    { version: 'DTLSv1.2', header: 13 + 8, trailer: 16 },
    // RFC 9147 4: no explicit nonce; the inner content type byte before the tag.
    { version: 'DTLSv1.3', header: 5, trailer: 1 + 16 },
  ] as const)('opens AES-GCM records in place with the native-aead provider (OpenSSL EVP, $version): a message is a view of its datagram, never written again', async ({ version, header, trailer }) => {
    const provider = loadNativeCryptoProvider();
    const cipherSuites = 'PSK-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256';
    const kept: Buffer[] = [];
    server = createServer({ psk: serverPsk(), mtu: 1400, provider, cipherSuites }, (socket) => {
      socket.on('message', (m) => kept.push(m));
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), mtu: 1400, provider, cipherSuites, maxVersion: version });
    expect(client.getProtocol()).toBe(version);
    for (let i = 0; i < 60; i++) {
      client.send(message(i));
      if (i % 10 === 9) await until(() => kept.length >= i - 5, 5000, `message ${i}`);
    }
    await until(() => kept.length >= 55, 5000, 'most of the 60 messages');
    // All in the datagram's memory.
    for (const m of kept) {
      expect(m.byteOffset).toBe(header);
      expect(m.buffer.byteLength).toBe(header + m.length + trailer);
    }
    for (const m of kept) expect(m.equals(message(m.readUInt32BE(0)))).toBe(true);
    await client.close();
  });

  it.each(['DTLSv1.3', 'DTLSv1.2'] as const)('gives each application-data datagram back once sent (%s): the next record reuses its bytes, and every message arrives as it was sent', async (version) => {
    const given = vi.spyOn(DtlsConnection.prototype, 'datagramSent');
    try {
      const got: Buffer[] = [];
      server = createServer({ psk: serverPsk(), mtu: 1400, minVersion: version, maxVersion: version }, (socket) => {
        socket.on('message', (m) => got.push(m));
      });
      const { port } = await server.listen(0, '127.0.0.1');
      const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), mtu: 1400, minVersion: version, maxVersion: version });
      given.mockClear();
      for (let i = 0; i < 20; i++) {
        client.send(message(i));
        await until(() => got.length > i, 5000, `message ${i}`);
      }
      // One call per datagram the client sent: each of its 20 records was said to have left.
      expect(given.mock.calls.filter(([d]) => d.length > 1000).length).toBeGreaterThanOrEqual(20);
      for (const m of got) expect(m.equals(message(m.readUInt32BE(0)))).toBe(true);
      await client.close();
    } finally {
      given.mockRestore();
    }
  });

  it('gives back no datagram a trace subscriber was shown: every outgoing datagram it kept stays as it was sent', async () => {
    const shown: { datagram: Uint8Array; copy: Uint8Array }[] = [];
    const onDatagram = (m: unknown): void => {
      if (typeof m !== 'object' || m === null) return;
      const direction: unknown = Reflect.get(m, 'direction');
      const datagram: unknown = Reflect.get(m, 'datagram');
      if (direction === 'out' && datagram instanceof Uint8Array) shown.push({ datagram, copy: datagram.slice() });
    };
    let received = 0;
    server = createServer({ psk: serverPsk(), mtu: 1400 }, (socket) => {
      socket.on('message', () => received++);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    diagnosticsChannel.subscribe('dtls-kit:datagram', onDatagram);
    try {
      const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), mtu: 1400 });
      for (let i = 0; i < 30; i++) {
        client.send(message(i));
        await until(() => received > i, 5000, `message ${i}`);
      }
      await client.close();
    } finally {
      diagnosticsChannel.unsubscribe('dtls-kit:datagram', onDatagram);
    }
    expect(shown.filter((s) => s.datagram.length > 1000).length).toBeGreaterThanOrEqual(30);
    for (const s of shown) expect(s.datagram).toEqual(s.copy);
  });
});

