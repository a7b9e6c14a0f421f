/**
 * Bug class 8: renegotiation, and life after the end. We never renegotiate: a ClientHello
 * (server) or HelloRequest (client) under the session keys is refused with a warning
 * no_renegotiation (RFC 5746 4.2/4.4, RFC 5246 7.4.1.2) and the connection goes on — at no cost
 * beyond the request's own. After a fatal alert (RFC 5246 7.2.2) or close_notify (7.2.1),
 * whichever side it came from, nothing more is processed: no event, no data, no answer, no timer.
 *
 * In ../engine/alerts.test.ts, not repeated: the refusals themselves (one each, epoch-0
 * ClientHello not answered), close_notify answered, data after close_notify (same datagram and
 * later), nothing after the peer's fatal alert or our own fatal error after the handshake.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription, AlertLevel } from '../../src/alert.js';
import { utf8 } from '../../src/bytes.js';
import type { DtlsConnection } from '../../src/connection.js';
import { DtlsError } from '../../src/errors.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { ContentType } from '../../src/record/content-type.js';
import { handshakeFragment, Pair, recordsOf } from '../engine/harness.js';
import { handshakeTypes } from '../support/wire.js';
import { bytesOf } from './inject.js';

const HELLO = encodeClientHello({
  clientVersion: 0xfefd,
  random: new Uint8Array(32).fill(3),
  sessionId: new Uint8Array(0),
  cookie: new Uint8Array(0),
  cipherSuites: [0x00a8, 0x00ae, 0xc0a8],
  compressionMethods: [0],
  extensions: [],
});

/** Everything a peer might still send, valid and under the right keys: data, a handshake message, alerts. */
function afterTheEnd(from: DtlsConnection): Uint8Array[] {
  const layer = recordsOf(from);
  return [
    layer.seal(ContentType.application_data, utf8('too late')),
    layer.seal(ContentType.handshake, handshakeFragment(HandshakeType.client_hello, 0, HELLO)),
    layer.seal(ContentType.alert, new Uint8Array([AlertLevel.warning, AlertDescription.close_notify])),
    layer.seal(ContentType.alert, new Uint8Array([AlertLevel.fatal, AlertDescription.internal_error])),
  ];
}

function expectInert(conn: DtlsConnection, input: readonly Uint8Array[], now: number): void {
  const error = conn.error;
  for (const d of input) conn.receive(d, now);
  conn.handleTimeout(now + 3_600_000);
  expect(conn.state).toBe('closed');
  expect(conn.error).toBe(error);
  expect(conn.pollEvent()).toBeUndefined();
  expect(conn.datagramsToSend()).toEqual([]);
  expect(conn.nextTimeout()).toBeUndefined();
  expect(() => conn.send(utf8('x'))).toThrow(DtlsError);
}

describe('renegotiation refused', () => {
  it('200 renegotiation ClientHellos: one warning each, fewer bytes out than in, the connection carries on', async () => {
    const p = await new Pair().handshake();
    let bytesIn = 0;
    let bytesOut = 0;
    for (let i = 0; i < 200; i++) {
      const d = recordsOf(p.client).seal(ContentType.handshake, handshakeFragment(HandshakeType.client_hello, i % 2 === 0 ? 0 : 4 + i, HELLO));
      bytesIn += d.length;
      p.s.receive(d, p.now);
      const out = p.s.datagramsToSend();
      expect(out).toHaveLength(1);
      bytesOut += bytesOf(out);
      for (const o of out) p.client.receive(o, p.now);
    }
    expect(bytesOut).toBeLessThan(bytesIn);
    p.drainEvents();
    expect(p.clientEvents.filter((e) => e.type === 'alert' && e.description === AlertDescription.no_renegotiation)).toHaveLength(200);
    expect(p.s.state).toBe('established');
    expect(p.s.handshakeState).toBe('established');
    p.client.send(utf8('still on'));
    p.step();
    expect(p.serverEvents.filter((e) => e.type === 'data')).toHaveLength(1);
  });
});

describe('nothing after the end', () => {
  it.each(['client', 'server'] as const)('after close() by the %s, both sides are inert to anything valid the other sends', async (who) => {
    const p = await new Pair().handshake();
    const [closer, other] = who === 'client' ? [p.client, p.s] : [p.s, p.client];
    const late = afterTheEnd(other);
    closer.close();
    p.step(); // close_notify across...
    p.step(); // ...and the answer back
    p.drainEvents();
    expectInert(closer, late, p.now);
    expectInert(other, afterTheEnd(closer), p.now);
  });

  it("a fatal alert from the server in the middle of the handshake: the client ignores the rest of the server's flight", async () => {
    const p = new Pair();
    p.tap = (d, dir) => {
      if (dir === 's2c' && handshakeTypes(d).includes(HandshakeType.server_hello)) {
        // The server's fatal alert (plaintext: no keys yet) arrives just before its flight 4.
        const alert = recordsOf(p.s).seal(ContentType.alert, new Uint8Array([AlertLevel.fatal, AlertDescription.handshake_failure]));
        return [alert, d];
      }
      return [d];
    };
    p.start();
    await p.run(5_000);
    expect(p.client.state).toBe('closed');
    expect(p.client.error?.fromPeer).toBe(true);
    expect(p.client.error?.alert).toBe(AlertDescription.handshake_failure);
    expect(p.client.handshakeState).toBe('wait_server_hello');
    expect(p.clientEvents.map((e) => e.type)).toEqual(['close']);
    expectInert(p.client, [p.wire[p.wire.length - 1]?.datagram ?? new Uint8Array()], p.now);
  });

  it('a warning alert other than close_notify is reported and ends nothing (RFC 5246 7.2)', async () => {
    const p = await new Pair().handshake();
    p.s.receive(recordsOf(p.client).seal(ContentType.alert, new Uint8Array([AlertLevel.warning, AlertDescription.user_canceled])), p.now);
    expect(p.s.pollEvent()).toEqual({ type: 'alert', description: AlertDescription.user_canceled, name: 'user_canceled' });
    expect(p.s.state).toBe('established');
  });
});
