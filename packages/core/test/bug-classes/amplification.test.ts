/**
 * Bug class 7: amplification and half-open exhaustion. An attacker who spoofs a client's
 * address must not make us send more bytes than it sends (RFC 6347 4.2.1: the cookie exchange
 * exists for exactly this), and a handshake the client abandons must not hold state forever.
 *
 * Already covered elsewhere, not repeated here:
 * - the HelloVerifyRequest is never larger than the ClientHello, even the smallest one, and
 *   10,000 spoofed ClientHellos leave the endpoint as it was: ../engine/cookies.test.ts;
 * - ClientHello fragments (the endpoint's one bounded state before the cookie: 64 entries,
 *   5 s, 4 KB each): ../endpoint/client-hello-fragments.test.ts;
 * - a genuine retransmission (the same ClientHello, or the same flight 5) is still answered at
 *   once, and only once: ../engine/sim-scripted.test.ts ("flight 4 lost", "flight 6 lost twice");
 * - the caps on connections and handshakes in progress belong to the runtimes (packages/nonblocking, blocking).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { HandshakeTimeoutError } from '../../src/errors.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { ContentType } from '../../src/record/content-type.js';
import { Pair, plainRecord } from '../engine/harness.js';
import { serverPsk } from '../support/psk.js';
import { handshakeTypes, records } from '../support/wire.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { bytesOf, datagram, forgedHandshake } from './inject.js';

const CERT_SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';

function certPair(): Pair {
  return new Pair({
    client: { cipherSuites: CERT_SUITE, x509: clientX509(), servername: 'localhost' },
    server: { cipherSuites: CERT_SUITE, x509: serverX509('ecdsa') },
  });
}

describe('before the cookie: the answer is never larger than the question', () => {
  it('any well-formed ClientHello, from the smallest up, gets a HelloVerifyRequest no larger than itself', () => {
    const endpoint = new ServerEndpoint({ psk: serverPsk() });
    fc.assert(
      fc.property(
        fc.record({
          random: fc.uint8Array({ minLength: 32, maxLength: 32 }),
          sessionId: fc.uint8Array({ maxLength: 32 }),
          cipherSuites: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 8 }),
          sequenceNumber: fc.nat(1000),
        }),
        ({ random, sessionId, cipherSuites, sequenceNumber }) => {
          const body = encodeClientHello({ clientVersion: 0xfefd, random, sessionId, cookie: new Uint8Array(0), cipherSuites, compressionMethods: [0], extensions: [] });
          const hello = plainRecord(ContentType.handshake, encodeHandshakeFragment({ msgType: HandshakeType.client_hello, length: body.length, messageSeq: 0, fragmentOffset: 0, body }), sequenceNumber);
          const r = endpoint.handle(hello, '198.51.100.20:1234', 0);
          expect(r.type).toBe('reply');
          if (r.type === 'reply') expect(r.datagram.length).toBeLessThanOrEqual(hello.length);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe('after the cookie: a spoofed "retransmission" does not make the server resend its flight', () => {
  it('forged ClientHello fragments (right message_seq, no real bytes) get no flight 4 in answer (certificate suite)', async () => {
    // The client is real and its address verified; the attacker spoofs it and sends tiny
    // fragments claiming to be its ClientHello again. RFC 6347 4.2.4 asks for a retransmission
    // when the peer retransmits its flight — not when someone names its message_seq.
    const p = certPair();
    p.tap = (d, dir) => (dir === 's2c' && handshakeTypes(d).includes(HandshakeType.server_hello) ? [] : [d]); // hold flight 4 back
    p.start();
    await p.run();
    const server = p.s;
    expect(server.handshakeState).toBe('wait_client_key_exchange');
    server.datagramsToSend();
    let bytesIn = 0;
    let bytesOut = 0;
    for (let i = 0; i < 100; i++) {
      const forged = datagram(forgedHandshake({ msgType: HandshakeType.client_hello, messageSeq: 1, length: 150 + i, body: new Uint8Array(1 + (i % 5)) }));
      bytesIn += forged.length;
      server.receive(forged, p.now);
      bytesOut += bytesOf(server.datagramsToSend());
    }
    expect(bytesOut).toBeLessThanOrEqual(bytesIn);
    expect(bytesOut).toBe(0);
    expect(server.stats.retransmissions).toBe(0);
  });

  it('forged plaintext copies of the client Finished after the handshake get no flight 6 in answer', async () => {
    const p = await new Pair().handshake();
    // Client messages: ClientHello 0, ClientHello with cookie 1, ClientKeyExchange 2, Finished 3.
    const finishedSeq = 2;
    const server = p.s;
    let bytesIn = 0;
    let bytesOut = 0;
    for (let i = 0; i < 100; i++) {
      for (const seq of [finishedSeq, finishedSeq + 1]) {
        const forged = datagram(forgedHandshake({ msgType: HandshakeType.finished, messageSeq: seq, body: new Uint8Array(12) }));
        bytesIn += forged.length;
        server.receive(forged, p.now);
        bytesOut += bytesOf(server.datagramsToSend());
      }
    }
    expect(bytesOut).toBe(0);
    expect(server.state).toBe('established');
  });
});

describe('half-open handshakes end', () => {
  it('a server connection whose client vanished retransmits a bounded number of times, ends at the deadline with HandshakeTimeoutError, sends no alert', async () => {
    const p = new Pair({ server: { psk: serverPsk(), handshakeTimeoutMs: 10_000 } });
    // Everything from the client after its second ClientHello is lost: the server is half-open.
    p.tap = (d, dir) => (dir === 'c2s' && records(d).some((r) => r.header.sequenceNumber >= 2) ? [] : [d]);
    p.start();
    await p.run(20_000);
    const server = p.s;
    expect(server.state).toBe('closed');
    expect(server.error).toBeInstanceOf(HandshakeTimeoutError);
    expect(server.nextTimeout()).toBeUndefined();
    // 1 s, 2 s, 4 s... within 10 s: the first flight and at most 3 retransmissions.
    expect(server.stats.retransmissions).toBeLessThanOrEqual(3);
    expect(server.datagramsToSend()).toEqual([]);
    expect(p.serverEvents.filter((e) => e.type === 'close')).toHaveLength(1);
  });
});
