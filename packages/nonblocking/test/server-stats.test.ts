import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { DtlsConnection, type StatsChange } from '@dtls-kit/core';
import { pskClient } from '@dtls-kit/psk';
import { runStatsScript } from '@dtls-kit/test-kit';
import { CHANNELS, createServer, type DtlsServer } from '../src/index.js';
import { echo, IDENTITY, KEY, serverPsk, until } from './helpers.js';

// Long retransmission timers on both sides: on a loaded machine a retransmitted flight would
// change the datagram counts, which must be exact.
const retransmit = { initialMs: 20_000, maxMs: 20_000 };

let server: DtlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('server.stats', () => {
  it('counts handshakes completed and failed by alert (ours and the peer\'s), traffic and drops by reason, exactly; dtls-kit:stats tells each change', async () => {
    // What changed, as each 'dtls-kit:stats' message names it (the channel's messages are unknown to TypeScript).
    const changes: string[] = [];
    const onStats = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && 'change' in m && typeof m.change === 'string') changes.push(m.change);
    };
    diagnosticsChannel.subscribe(CHANNELS.stats, onStats);
    try {
      server = createServer({ psk: serverPsk(), retransmit }, echo);
      const { port } = await server.listen(0, '127.0.0.1');
      const script = await runStatsScript({
        port,
        handshakes: 3,
        messages: 2,
        junk: 4,
        // The wrong-key client retransmits its Finished soon: a server tells a bad key from a lost
        // or corrupted record once the retransmission fails too (RFC 6347 4.1.2.7: dropped silently first).
        // The exact record counts below are DTLS 1.2's flights (ClientKeyExchange, ChangeCipherSpec,
        // a wrong key seen at the Finished): the script's clients pin 1.2.
        client: (key) =>
          key === 'right'
            ? DtlsConnection.client({ psk: pskClient({ identity: IDENTITY, key: KEY }), retransmit, maxVersion: 'DTLSv1.2' })
            : DtlsConnection.client({ psk: pskClient({ identity: IDENTITY, key: 'ff'.repeat(16) }), retransmit: { initialMs: 1000, maxMs: 1000 }, maxVersion: 'DTLSv1.2' }),
      });
      const s = server;
      await until(() => s.stats.connections === 0 && s.stats.datagrams === script.datagramsIn, 5000, 'every connection to end');
      const stats = s.stats;
      console.log('nonblocking server.stats after the script:', JSON.stringify(stats));
      expect(stats).toMatchObject({
        connections: 0,
        handshakes: 0,
        datagrams: script.datagramsIn,
        bytesIn: script.bytesIn,
        datagramsOut: script.datagramsOut,
        bytesOut: script.bytesOut,
        recordsOut: script.recordsOut,
        // Each good client: its verified ClientHello, ClientKeyExchange, ChangeCipherSpec,
        // Finished, its messages, close_notify; the wrong-key one: its ClientHello, then
        // ClientKeyExchange and ChangeCipherSpec twice (its Finished failed twice: badMac); the
        // one that gave up: its ClientHello and its alert.
        recordsIn: 3 * (4 + 2 + 1) + 5 + 2,
        applicationRecordsIn: script.applicationRecords,
        applicationBytesIn: script.applicationBytes,
        applicationRecordsOut: script.applicationRecords,
        applicationBytesOut: script.applicationBytes,
        helloVerifyRequests: 5,
        accepted: 5,
        established: 3,
        refused: 0,
        evicted: 0,
        replaced: 0,
        handlerErrors: 0,
      });
      expect(stats.handshakesFailed).toEqual({ sent: { bad_record_mac: 1 }, received: { handshake_failure: 1 }, timedOut: 0 });
      expect(stats.dropped).toEqual({
        notClientHello: 4,
        malformed: 1,
        fragment: 0,
        amplification: 0,
        limit: 0,
        staleClientHello: 0,
        replayed: 1,
        // the forged record, and the wrong-key client's Finished and its retransmission
        badMac: 3,
        invalidRecord: 0,
        proxyHeader: 0,
      });
      // One message per change of an event counter; the traffic of each connection is in `stats`.
      const count = (c: StatsChange): number => changes.filter((x) => x === c).length;
      expect(count('datagrams')).toBe(script.datagramsIn);
      expect(count('datagramsOut')).toBe(script.datagramsOut);
      expect(count('established')).toBe(3);
      expect(count('handshakesFailed.sent.bad_record_mac')).toBe(1);
      expect(count('handshakesFailed.received.handshake_failure')).toBe(1);
      expect(count('dropped.notClientHello')).toBe(4);
      expect(count('dropped.malformed')).toBe(1);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.stats, onStats);
    }
  });
});
