/**
 * Routing through core's ConnectionTable: a restarted client (RFC 6347 4.2.8) is recognised by the
 * engine's client random (DtlsConnection.clientRandom), even when its old ClientHello came in
 * fragments (before, the runtime sniffed the random from the ClientHello's last datagram, where a
 * later fragment has none, and such a client was only recognised once the old handshake finished).
 */
import dgram from 'node:dgram';
import { DtlsConnection } from '@dtls-kit/core';
import { driveOverUdp } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type DtlsServer } from '../src/index.js';
import { clientPsk, echo, serverPsk, until } from './helpers.js';

let server: DtlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('routing a restarted client (RFC 6347 4.2.8)', () => {
  it.each(['DTLSv1.3', 'DTLSv1.2'] as const)('replaces a handshake whose ClientHello came in fragments as soon as the new cookie verifies (%s)', async (maxVersion) => {
    server = createServer({ psk: serverPsk() }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    try {
      // First life: a small MTU, so that both ClientHellos go in several fragments (RFC 6347
      // 4.2.3); the cookie exchange, then silence (the device rebooted).
      const first = DtlsConnection.client({ psk: clientPsk(), mtu: 80, maxVersion });
      first.connect(performance.now());
      const hello = first.datagramsToSend();
      expect(hello.length).toBeGreaterThan(1);
      let replies = 0;
      const onFirst = (msg: Buffer): void => {
        if (replies++ > 0) return;
        first.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), performance.now());
        for (const d of first.datagramsToSend()) udp.send(d, port, '127.0.0.1');
      };
      udp.on('message', onFirst);
      for (const d of hello) udp.send(d, port, '127.0.0.1');
      // Until the server's flight came (and was ignored): none of it may reach the second life.
      await until(() => server?.stats.accepted === 1 && replies >= 2, 2000, 'the first handshake');
      udp.off('message', onFirst);
      expect(server.stats.handshakes).toBe(1);

      // Second life, same port, while the first handshake is still in progress.
      const second = DtlsConnection.client({ psk: clientPsk(), maxVersion });
      second.connect(performance.now());
      const t0 = performance.now();
      const driver = driveOverUdp(second, udp, { address: '127.0.0.1', port });
      await until(() => second.state !== 'handshaking', 3000, 'the second handshake').finally(() => driver.stop());
      const ms = performance.now() - t0;
      console.log(`restarted client established in ${ms.toFixed(0)} ms`);
      expect(second.error?.message).toBeUndefined();
      expect(second.state).toBe('established');
      expect(second.protocol).toBe(maxVersion);
      // In DTLS 1.3 the client's Finished is the last message: the server's side ends its handshake after.
      const s = server;
      await until(() => s.stats.established === 1, 3000, "the server's side");
      expect(server.stats).toMatchObject({ replaced: 1, established: 1, connections: 1 });
    } finally {
      udp.close();
    }
  });
});
