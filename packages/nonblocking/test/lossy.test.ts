import diagnosticsChannel from 'node:diagnostics_channel';
import { startLossyRelay } from '@dtls-kit/test-kit';
import { describe, expect, it } from 'vitest';
import { CHANNELS, connect, createServer } from '../src/index.js';
import { clientPsk, serverPsk, until } from './helpers.js';

describe('a lossy network', () => {
  it('100 handshakes through a relay losing 20% of datagrams (and duplicating, reordering) all complete', async () => {
    const retransmit = { initialMs: 100, maxMs: 800 };
    // The 100 clients share 127.0.0.1: room for all their handshakes at once. With the default 64
    // per address, a full table evicts a handshake whose peer has been silent past the first
    // retransmission timeout (handshake-fairness.test.ts), which 20% loss makes common; a DTLS 1.3
    // client in that state already counts itself established (its Finished is the last message).
    const server = createServer({ psk: serverPsk(), retransmit, handshakeTimeoutMs: 25_000, maxHandshakesPerAddress: 100 });
    const { port } = await server.listen(0, '127.0.0.1');
    const relay = await startLossyRelay(port, 20_260_101, 0.2);
    const retransmissions = { client: 0, server: 0 };
    const onRetransmit = (m: unknown): void => void retransmissions[(m as { role: 'client' | 'server' }).role]++;
    diagnosticsChannel.subscribe(CHANNELS.retransmit, onRetransmit);
    try {
      const clients = await Promise.all(
        Array.from({ length: 100 }, () => connect({ host: '127.0.0.1', port: relay.port, psk: clientPsk(), retransmit, handshakeTimeoutMs: 25_000})),
      );
      expect(clients.every((c) => c.state === 'established')).toBe(true);
      // DTLS 1.3 (the default): a client is established once its Finished left; a lost Finished is
      // retransmitted until the server's ACK (RFC 9147 5.8.1, 7), so every server side follows.
      await until(() => server.stats.established === 100, 20_000, 'every server side');
      expect(server.stats.established).toBe(100);
      expect(relay.stats.dropped).toBeGreaterThan(50);
      expect(retransmissions.client).toBeGreaterThan(10);
      expect(retransmissions.server).toBeGreaterThan(0);
      for (const c of clients) c.destroy();
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.retransmit, onRetransmit);
      await server.close();
      await relay.close();
    }
  });
});
