/**
 * server.stats under DTLS 1.3 (the default), exactly: good PSK handshakes that exchange messages
 * and close, and a client with the wrong key. A relay between clients and server counts what
 * crossed the wire. test/server-stats.test.ts runs test-kit's DTLS 1.2 script (the same as
 * @dtls-kit/nonblocking's); this is the 1.3 counterpart with our blocking client.
 */
import { startFaultRelay, type FaultRelay } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { DtlsError, createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { IDENTITY, clientCredentials, fixture, serverCredentials, until, type RoundTripResult } from './helpers.js';

// Long retransmission timers: a retransmitted flight would change the counts, which must be exact.
const retransmit = { initialMs: 20_000, maxMs: 20_000 };

let server: BlockingServer | undefined;
let relay: FaultRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

describe('server.stats (DTLS 1.3)', () => {
  it('counts handshakes (a HelloRetryRequest each), application records and bytes, datagrams and bytes, and a wrong key as decrypt_error, exactly', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, retransmit, maxThreads: 2 });
    const { port } = await server.listen(0, '127.0.0.1');
    // What crossed the wire, as the relay between the clients and the server counted it.
    relay = await startFaultRelay({ target: port, seed: 1 });
    const wire = relay.stats;
    const messages = ['one', 'three'];
    for (let i = 0; i < 3; i++) {
      const r = await runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port: relay.port, credentials: clientCredentials, retransmit, args: { messages } });
      expect(r.replies).toEqual(messages);
      expect(r.cipher).toBe('TLS_AES_128_GCM_SHA256');
    }
    const bad = await runBlockingClient({ handler: fixture('client-roundtrip.mjs'), port: relay.port, credentials: { psk: { identity: IDENTITY, key: 'ff'.repeat(16) } }, retransmit }).catch(
      (e: unknown) => e,
    );
    expect(bad).toBeInstanceOf(DtlsError);
    const s = server;
    await until(() => s.stats.connections === 0 && s.stats.completed === 4 && s.stats.datagrams === wire.toServer.datagrams, 10_000, 'every connection to end');
    const stats = s.stats;
    console.log('blocking server.stats, DTLS 1.3:', JSON.stringify(stats), 'wire:', JSON.stringify(wire));
    const applicationBytes = 3 * messages.join('').length;
    expect(stats).toMatchObject({
      connections: 0,
      handshakes: 0,
      datagrams: wire.toServer.datagrams,
      bytesIn: wire.toServer.bytes,
      datagramsOut: wire.toClient.datagrams,
      bytesOut: wire.toClient.bytes,
      // Our client sends one record a datagram (ClientHello, Finished, data, the ACK of the
      // NewSessionTicket, close_notify): every datagram but the 4 the cookie exchange answered.
      recordsIn: wire.toServer.datagrams - 4,
      applicationRecordsIn: 3 * messages.length,
      applicationBytesIn: applicationBytes,
      applicationRecordsOut: 3 * messages.length,
      applicationBytesOut: applicationBytes,
      // RFC 9147 5.1: the stateless cookie exchange of 1.3 is a HelloRetryRequest, counted where 1.2's HelloVerifyRequest is.
      helloVerifyRequests: 4,
      accepted: 4,
      established: 3,
      completed: 4,
      refused: 0,
      evicted: 0,
      replaced: 0,
      handlerErrors: 0,
    });
    // RFC 8446 4.2.11: the wrong key's binder does not verify, decrypt_error from our side.
    expect(stats.handshakesFailed).toEqual({ sent: { decrypt_error: 1 }, received: {}, timedOut: 0 });
    expect(Object.values(stats.dropped).every((n) => n === 0)).toBe(true);
  }, 60_000);
});
