/**
 * server.stats under the default, DTLS 1.3, counted exactly. server-stats.test.ts runs test-kit's
 * runStatsScript, whose peers and expected record counts are DTLS 1.2's flights (it pins them);
 * here DTLS 1.3's: datagrams and bytes each way as a relay saw them, the cookie exchanges (a
 * HelloRetryRequest with a cookie, RFC 9147 5.1, counted with the HelloVerifyRequests), handshakes
 * completed, records and application records and bytes each way, and every connection freed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultRelay, type FaultRelay } from '@dtls-kit/test-kit';
import { connect, createServer, type DtlsServer } from '../src/index.js';
import { clientPsk, echo, roundTrip, serverPsk, until } from './helpers.js';

// Long timers: a retransmission would still be counted the same on both sides, but keep the run plain.
const retransmit = { initialMs: 20_000, maxMs: 20_000 };

let server: DtlsServer | undefined;
let relay: FaultRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

describe('server.stats (DTLS 1.3, the default)', () => {
  it('counts datagrams and bytes as the wire carried them, the cookie exchanges, handshakes and application traffic', async () => {
    const s = createServer({ psk: serverPsk(), retransmit }, echo);
    server = s;
    const { port } = await s.listen(0, '127.0.0.1');
    // What crossed the wire, as the relay between the clients and the server counted it.
    relay = await startFaultRelay({ target: port, seed: 1 });
    const wire = relay.stats;
    const CLIENTS = 3;
    const MESSAGES = 4;
    let appBytes = 0;
    for (let i = 0; i < CLIENTS; i++) {
      const client = await connect({ host: '127.0.0.1', port: relay.port, psk: clientPsk(), retransmit });
      expect(client.getProtocol()).toBe('DTLSv1.3');
      for (let j = 0; j < MESSAGES; j++) {
        const m = `client ${i} message ${j}`;
        appBytes += m.length;
        expect(await roundTrip(client, m)).toBe(m);
      }
      await client.close();
    }
    await until(() => s.stats.connections === 0 && s.stats.datagrams === wire.toServer.datagrams && s.stats.datagramsOut === wire.toClient.datagrams, 5000, 'every connection to end');
    const stats = s.stats;
    console.log('nonblocking server.stats (DTLS 1.3):', JSON.stringify(stats), 'wire:', JSON.stringify(wire));
    expect(stats).toMatchObject({
      connections: 0,
      handshakes: 0,
      datagrams: wire.toServer.datagrams,
      bytesIn: wire.toServer.bytes,
      datagramsOut: wire.toClient.datagrams,
      bytesOut: wire.toClient.bytes,
      helloVerifyRequests: CLIENTS,
      accepted: CLIENTS,
      established: CLIENTS,
      refused: 0,
      evicted: 0,
      // Each client's records to the connection (its first ClientHello is the endpoint's): the
      // ClientHello with the cookie, its Finished (PSK: no certificate, RFC 8446 2), the ACK of our
      // NewSessionTicket (RFC 9147 8: post-handshake messages are acknowledged), its messages, close_notify.
      recordsIn: CLIENTS * (2 + 1 + MESSAGES + 1),
      // Ours: ServerHello, EncryptedExtensions, Finished; the ACK of the client's Finished (RFC 9147
      // 5.8.1: the last flight is acknowledged), the NewSessionTicket; the echoes; close_notify.
      recordsOut: CLIENTS * (3 + 2 + MESSAGES + 1),
      applicationRecordsIn: CLIENTS * MESSAGES,
      applicationBytesIn: appBytes,
      applicationRecordsOut: CLIENTS * MESSAGES,
      applicationBytesOut: appBytes,
    });
    expect(stats.handshakesFailed).toEqual({ sent: {}, received: {}, timedOut: 0 });
    expect(Object.values(stats.dropped).every((n) => n === 0)).toBe(true);
  });
});
