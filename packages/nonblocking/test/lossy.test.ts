import diagnosticsChannel from 'node:diagnostics_channel';
import { startLossyRelay } from '@dtls-kit/test-kit';
import { describe, expect, it } from 'vitest';
import { CHANNELS, connect, createServer } from '../src/index.js';
import { clientPsk, serverPsk } from './helpers.js';

describe('a lossy network', () => {
  it('100 handshakes through a relay losing 20% of datagrams (and duplicating, reordering) all complete', async () => {
    const retransmit = { initialMs: 100, maxMs: 800 };
    const server = createServer({ psk: serverPsk(), retransmit, handshakeTimeoutMs: 25_000 });
    const { port } = await server.listen(0, '127.0.0.1');
    const relay = await startLossyRelay(port, 20_260_101, 0.2);
    const retransmissions = { client: 0, server: 0 };
    const onRetransmit = (m: unknown): void => void retransmissions[(m as { role: 'client' | 'server' }).role]++;
    diagnosticsChannel.subscribe(CHANNELS.retransmit, onRetransmit);
    try {
      const clients = await Promise.all(
        Array.from({ length: 100 }, () => connect({ host: '127.0.0.1', port: relay.port, psk: clientPsk(), retransmit, handshakeTimeoutMs: 25_000 })),
      );
      expect(clients.every((c) => c.state === 'established')).toBe(true);
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
