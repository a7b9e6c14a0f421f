/**
 * The non-blocking runtime's connect({ maxVersion: 'DTLSv1.3' }) against wolfSSL 5.5.4's example
 * server in DTLS 1.3 (issue 17), from its source root (its 1.3 PSK is hard-coded:
 * 0123456789abcdef four times, identity Client_identity):
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -p PORT -d -e -i       (psk_dhe_ke)
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -K -p PORT -d -e -i    (-K: psk_ke, no key share)
 *   ./examples/server/server -u -v 3 -l PSK-AES128-GCM-SHA256 -s -p PORT -d -e -i         (a 1.2-only server: we go on in 1.2)
 *   ./examples/server/server -u -v 4 -s -U -p PORT -d                                     (-U: a KeyUpdate before its reply)
 * and the first through a relay that drops 25% of the datagrams each way (and duplicates and
 * reorders some: test-kit's startLossyRelay), seeds 1..6: retransmission by timer on both sides
 * (RFC 9147 5.8; we resend our whole flight, wolfSSL its own), our Finished again when wolfSSL
 * resends its flight.
 * A failed wolfSSL build fails these tests (it never skips them).
 */
import { pskClient } from '@dtls-kit/psk';
import { WOLFSSL_PSK_12, WOLFSSL_PSK_13, WOLFSSL_PSK_IDENTITY, describePeerServer, startLossyRelay, startWolfsslServer, wolfsslRoot, type PeerServer } from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';
import { roundTrip, until } from './helpers.js';

let peer: PeerServer | undefined;
beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterEach(async () => {
  await peer?.stop();
  peer = undefined;
});

describe('non-blocking runtime, DTLS 1.3 client, with wolfSSL 5.5.4', () => {
  for (const pskOnly of [false, true]) {
    it(`PSK ${pskOnly ? 'psk_ke (-K)' : 'psk_dhe_ke'}: DTLSv1.3, echo both ways`, async () => {
      peer = await startWolfsslServer({ version: '1.3', psk: true, pskOnly, cipher: 'TLS13-AES128-GCM-SHA256' });
      const client = await connect({
        host: '127.0.0.1',
        port: peer.port,
        psk: pskClient({ identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 }),
        maxVersion: 'DTLSv1.3',
      });
      const why = describePeerServer(peer);
      expect(client.getProtocol(), why).toBe('DTLSv1.3');
      expect(client.getCipher().standardName, why).toBe('TLS_AES_128_GCM_SHA256');
      expect(await roundTrip(client, 'hello from dtls-kit over DTLS 1.3'), why).toBe('hello from dtls-kit over DTLS 1.3');
      expect(await roundTrip(client, 'x'.repeat(1000)), why).toBe('x'.repeat(1000));
      await client.close();
    });
  }

  it('the same options against a DTLS 1.2-only wolfSSL server: DTLSv1.2', async () => {
    peer = await startWolfsslServer({ version: '1.2', psk: true, cipher: 'PSK-AES128-GCM-SHA256' });
    const client = await connect({
      host: '127.0.0.1',
      port: peer.port,
      psk: pskClient({ identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_12 }),
      maxVersion: 'DTLSv1.3',
    });
    expect(client.getProtocol()).toBe('DTLSv1.2');
    expect(await roundTrip(client, 'hello over 1.2')).toBe('hello over 1.2');
    await client.close();
  });

  it('through 25% loss with reordering, seeds 1..6: every handshake completes in DTLS 1.3', async () => {
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      const server = await startWolfsslServer({ version: '1.3', psk: true });
      const relay = await startLossyRelay(server.port, seed, 0.25);
      try {
        const client = await connect({
          host: '127.0.0.1',
          port: relay.port,
          psk: pskClient({ identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 }),
          maxVersion: 'DTLSv1.3',
          handshakeTimeoutMs: 30_000,
          retransmit: { initialMs: 250 },
        });
        outcomes.push(`seed ${seed}: ${client.getProtocol()} (${relay.stats.dropped} dropped)`);
        await client.close();
      } catch (error) {
        outcomes.push(`seed ${seed}: ${String(error)} (${relay.stats.dropped} dropped)\n${describePeerServer(server)}`);
      } finally {
        await relay.close();
        await server.stop();
      }
    }
    expect(outcomes.filter((o) => !o.includes('DTLSv1.3')), outcomes.join('\n')).toEqual([]);
  }, 240_000);

  it('KeyUpdate (RFC 9147 8): wolfSSL -U updates its keys before it answers, asking us to update ours; we ACK, read epoch 4, answer, and switch once ACKed', async () => {
    // Without -e: the example server reads one message, sends a KeyUpdate (update_requested), then its fixed reply.
    peer = await startWolfsslServer({ version: '1.3', psk: true, keyUpdate: true, echo: false, loop: false });
    const client = await connect({
      host: '127.0.0.1',
      port: peer.port,
      psk: pskClient({ identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 }),
      maxVersion: 'DTLSv1.3',
    });
    const why = (): string => describePeerServer(peer!);
    expect(await roundTrip(client, 'hello wolfssl!'), why()).toBe('I hear you fa shizzle!');
    // Its stdout comes through a pipe, maybe after the reply came through the socket.
    await until(() => peer!.output().includes('Client message: hello wolfssl!'), 3000, 'the server to print our message');
    await client.close();
  });
});
