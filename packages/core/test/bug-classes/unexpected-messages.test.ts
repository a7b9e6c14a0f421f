/**
 * Bug class 3: unexpected or malformed messages in every state. Every handshake message type
 * takes the place of the message the client (then the server) expects next, in each state of
 * its handshake, for a PSK suite and a certificate suite. A type the state does not allow is
 * unexpected_message (RFC 5246 7.2.2: "an inappropriate message was received"), the state named
 * in the error, and the peer told; a type the state allows, with a body that is not what it
 * should be, ends with that message's alert (decode_error, illegal_parameter, ...). A
 * HelloRequest while negotiating is ignored (RFC 5246 7.4.1.1): the handshake stalls and ends
 * at its deadline. Never a throw out of receive(), never a hang, never a completed handshake.
 *
 * Also here: a ChangeCipherSpec first (before the client could have any keys) and an empty
 * HelloVerifyRequest. Covered elsewhere: a truncated ServerHello, trailing bytes, a second
 * ServerHello, a HelloVerifyRequest after the ServerHello (../engine/state-machine.test.ts),
 * random garbage at every step (../engine/state-machine.test.ts "hostile garbage"), and the
 * structured fuzzer (../fuzz/handshake-fuzz.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { DtlsError, HandshakeTimeoutError } from '../../src/errors.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { ContentType } from '../../src/record/content-type.js';
import { encodeRecord } from '../../src/record/record-header.js';
import { utf8 } from '../../src/bytes.js';
import { editHandshake, expectLocalFailure, expectPeerFailure, Pair, type Tap } from '../engine/harness.js';
import { serverPsk } from '../support/psk.js';
import { handshakeTypes, plainAlerts, records } from '../support/wire.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { datagram, forgedChangeCipherSpec, forgedHandshake, reassemblerOf, recordsOfConn } from './inject.js';

const ALL_TYPES: readonly [string, number][] = [
  ['HelloRequest', HandshakeType.hello_request],
  ['ClientHello', HandshakeType.client_hello],
  ['ServerHello', HandshakeType.server_hello],
  ['HelloVerifyRequest', HandshakeType.hello_verify_request],
  ['Certificate', HandshakeType.certificate],
  ['ServerKeyExchange', HandshakeType.server_key_exchange],
  ['CertificateRequest', HandshakeType.certificate_request],
  ['ServerHelloDone', HandshakeType.server_hello_done],
  ['CertificateVerify', HandshakeType.certificate_verify],
  ['ClientKeyExchange', HandshakeType.client_key_exchange],
  ['Finished', HandshakeType.finished],
];

type Suite = 'psk' | 'ecdsa';

function nameOf(type: number): string {
  return ALL_TYPES.find(([, t]) => t === type)?.[0] ?? String(type);
}
const TIMING = { handshakeTimeoutMs: 4_000, mtu: 9000 };

function pair(suite: Suite, tap: Tap): Pair {
  if (suite === 'psk') {
    return new Pair({
      client: { cipherSuites: 'PSK-AES128-GCM-SHA256', ...TIMING },
      // A hint: the PSK flight 4 has a ServerKeyExchange too (RFC 4279 2).
      server: { psk: serverPsk(undefined, utf8('hint')), ...TIMING },
      tap,
    });
  }
  return new Pair({
    client: { cipherSuites: 'ECDHE-ECDSA-AES128-GCM-SHA256', x509: clientX509({ cert: 'ecdsa' }), servername: 'localhost', ...TIMING },
    server: { cipherSuites: 'ECDHE-ECDSA-AES128-GCM-SHA256', x509: serverX509('ecdsa', { requestCert: true }), ...TIMING },
    tap,
  });
}

/** What a state accepts, beside which any type is unexpected_message. */
interface Slot {
  /** The message whose place is taken. */
  replaces: number;
  state: string;
  accepts: readonly number[];
}

const CLIENT_SLOTS: Record<Suite, Slot[]> = {
  psk: [
    { replaces: HandshakeType.hello_verify_request, state: 'wait_server_hello', accepts: [HandshakeType.hello_verify_request, HandshakeType.server_hello] },
    { replaces: HandshakeType.server_hello, state: 'wait_server_hello', accepts: [HandshakeType.hello_verify_request, HandshakeType.server_hello] },
    { replaces: HandshakeType.server_key_exchange, state: 'wait_server_key_exchange', accepts: [HandshakeType.server_key_exchange, HandshakeType.server_hello_done] },
    { replaces: HandshakeType.server_hello_done, state: 'wait_server_hello_done', accepts: [HandshakeType.server_hello_done] },
  ],
  ecdsa: [
    { replaces: HandshakeType.certificate, state: 'wait_certificate', accepts: [HandshakeType.certificate] },
    { replaces: HandshakeType.server_key_exchange, state: 'wait_server_key_exchange', accepts: [HandshakeType.server_key_exchange] },
    { replaces: HandshakeType.certificate_request, state: 'wait_server_hello_done', accepts: [HandshakeType.server_hello_done, HandshakeType.certificate_request] },
    { replaces: HandshakeType.server_hello_done, state: 'wait_server_hello_done', accepts: [HandshakeType.server_hello_done] },
  ],
};

const SERVER_SLOTS: Record<Suite, Slot[]> = {
  psk: [{ replaces: HandshakeType.client_key_exchange, state: 'wait_client_key_exchange', accepts: [HandshakeType.client_key_exchange] }],
  ecdsa: [
    { replaces: HandshakeType.certificate, state: 'wait_client_certificate', accepts: [HandshakeType.certificate] },
    { replaces: HandshakeType.client_key_exchange, state: 'wait_client_key_exchange', accepts: [HandshakeType.client_key_exchange] },
    { replaces: HandshakeType.certificate_verify, state: 'wait_certificate_verify', accepts: [HandshakeType.certificate_verify] },
  ],
};

/** A tap replacing, in the given direction, the first message of type `replaces` by one of type `type` (same message_seq). */
function replacing(direction: 'c2s' | 's2c', replaces: number, type: number): Tap {
  let done = false;
  return (d, dir) => {
    if (dir !== direction || done || !handshakeTypes(d).includes(replaces)) return [d];
    done = true;
    return [editHandshake(d, (f) => (f.msgType === replaces ? [{ ...f, msgType: type, length: 40, fragmentOffset: 0, body: new Uint8Array(40).fill(1) }] : [f]))];
  };
}

/** The outcome every case must have: the detecting side's alert, the peer told, nothing completed. */
function expectRefused(p: Pair, side: 'client' | 'server', slot: Slot, type: number): void {
  const [conn, events, peer, peerEvents] = side === 'client' ? [p.client, p.clientEvents, p.server, p.serverEvents] : [p.s, p.serverEvents, p.client, p.clientEvents];
  expect(p.clientEvents.some((e) => e.type === 'handshake-complete') && p.serverEvents.some((e) => e.type === 'handshake-complete')).toBe(false);
  if (type === HandshakeType.hello_request && side === 'client') {
    // Ignored (RFC 5246 7.4.1.1), but it took the message_seq of the message it replaced: what
    // follows no longer fits (unexpected_message), or nothing comes and the deadline ends it.
    expect(conn.state).toBe('closed');
    expect(conn.error).toBeInstanceOf(DtlsError);
    return;
  }
  if (!slot.accepts.includes(type)) {
    expectLocalFailure(conn, events, AlertDescription.unexpected_message);
    expect(conn.error?.message).toContain(slot.state);
  } else {
    expect(conn.state).toBe('closed');
    expect(conn.error?.fromPeer).toBe(false);
    expect(conn.error?.alert).not.toBe(AlertDescription.internal_error);
  }
  if (!conn.error) return;
  if (peer) expectPeerFailure(peer, peerEvents, conn.error.alert);
  // Before the cookie exchange the server is the stateless endpoint: the alert goes out in the clear all the same.
  else expect(p.wire.filter((w) => w.direction === 'c2s').flatMap((w) => plainAlerts(w.datagram))).toContainEqual([2, conn.error.alert]);
}

for (const suite of ['psk', 'ecdsa'] as const) {
  describe(`client, ${suite}: every message type in place of the expected one`, () => {
    const cases = CLIENT_SLOTS[suite].flatMap((slot) =>
      ALL_TYPES.filter(([, t]) => t !== slot.replaces).map(([name, type]) => ({ slot, name, type, state: slot.state, instead: nameOf(slot.replaces) })),
    );
    it.each(cases)('$state: a $name instead of the $instead', async ({ slot, type }) => {
      const p = pair(suite, replacing('s2c', slot.replaces, type)).start();
      await p.run(10_000);
      expectRefused(p, 'client', slot, type);
    });

    it.each(ALL_TYPES)('in wait_finished, a plaintext %s before the ChangeCipherSpec → unexpected_message', async (_name, type) => {
      const p = pair(suite, () => []);
      p.tap = (d, dir) => {
        if (dir === 's2c' && records(d).some((r) => r.header.type === ContentType.change_cipher_spec)) {
          return [datagram(forgedHandshake({ msgType: type, messageSeq: reassemblerOf(p.client).nextSeq, body: new Uint8Array(12) })), d];
        }
        return [d];
      };
      p.start();
      await p.run(10_000);
      expectRefused(p, 'client', { replaces: HandshakeType.finished, state: 'wait_finished', accepts: [] }, type);
    });
  });

  describe(`server, ${suite}: every message type in place of the expected one`, () => {
    const cases = SERVER_SLOTS[suite].flatMap((slot) =>
      ALL_TYPES.filter(([, t]) => t !== slot.replaces).map(([name, type]) => ({ slot, name, type, state: slot.state, instead: nameOf(slot.replaces) })),
    );
    it.each(cases)('$state: a $name instead of the $instead', async ({ slot, type }) => {
      const p = pair(suite, replacing('c2s', slot.replaces, type)).start();
      await p.run(10_000);
      expectRefused(p, 'server', slot, type);
    });

    it.each(ALL_TYPES)('in wait_finished, a plaintext %s before the ChangeCipherSpec → unexpected_message', async (_name, type) => {
      const p = pair(suite, () => []);
      p.tap = (d, dir) => {
        if (dir !== 'c2s' || !records(d).some((r) => r.header.type === ContentType.change_cipher_spec)) return [d];
        // Flight 5 in one datagram: the forged message goes just before its ChangeCipherSpec.
        const rs = records(d);
        const ccs = rs.findIndex((r) => r.header.type === ContentType.change_cipher_spec);
        const before = rs.slice(0, ccs).map((r) => encodeRecord(r.header, r.fragment));
        const after = rs.slice(ccs).map((r) => encodeRecord(r.header, r.fragment));
        const lastSeq = reassemblerOf(p.s).nextSeq + before.reduce((n, r) => n + (r[0] === ContentType.handshake ? 1 : 0), 0);
        return [datagram(...before, forgedHandshake({ msgType: type, messageSeq: lastSeq, body: new Uint8Array(12) }), ...after)];
      };
      p.start();
      await p.run(10_000);
      expectRefused(p, 'server', { replaces: HandshakeType.finished, state: 'wait_finished', accepts: [] }, type);
    });
  });
}

describe('ChangeCipherSpec and HelloVerifyRequest out of place', () => {
  it.each(['wait_server_hello (before anything)', 'wait_server_hello (with the HelloVerifyRequest)', 'with flight 4'])(
    'a ChangeCipherSpec in %s is dropped: it does not stand in for the server’s, which alone opens epoch 1',
    async (when) => {
      const p = new Pair();
      let injected = false;
      let readEpochAfterFlight5 = -1;
      p.tap = (d, dir) => {
        if (dir === 'c2s' && handshakeTypes(d).includes(HandshakeType.client_key_exchange)) readEpochAfterFlight5 = recordsOfConn(p.client).readEpoch;
        if (dir !== 's2c' || injected) return [d];
        const kinds = handshakeTypes(d);
        const hit =
          when.startsWith('wait_server_hello (before') ? kinds.includes(HandshakeType.hello_verify_request) : when.includes('HelloVerify') ? kinds.includes(HandshakeType.hello_verify_request) : kinds.includes(HandshakeType.server_hello);
        if (!hit) return [d];
        injected = true;
        if (when.startsWith('wait_server_hello (before')) return [datagram(forgedChangeCipherSpec(40)), d];
        return [datagram(d, forgedChangeCipherSpec(40))];
      };
      await p.handshake();
      expect(injected).toBe(true);
      // The forged one was not remembered: epoch 1 opened only with the server's real ChangeCipherSpec, after flight 5.
      expect(readEpochAfterFlight5).toBe(0);
    },
  );

  it('a HelloRequest while negotiating is ignored, not answered with an alert (RFC 5246 7.4.1.1)', async () => {
    const p = new Pair({ client: { handshakeTimeoutMs: 4_000 }, server: { handshakeTimeoutMs: 4_000 } });
    let injected = false;
    p.tap = (d, dir) => {
      if (dir !== 's2c' || injected || !handshakeTypes(d).includes(HandshakeType.server_hello)) return [d];
      injected = true;
      p.client.receive(datagram(forgedHandshake({ msgType: HandshakeType.hello_request, messageSeq: reassemblerOf(p.client).nextSeq })), p.now);
      expect(p.client.state).toBe('handshaking');
      expect(p.client.datagramsToSend()).toEqual([]);
      return [d];
    };
    p.start();
    await p.run(10_000);
    // It took the ServerHello's message_seq, so this handshake cannot go on; it ends at its deadline, without an alert.
    expect(p.client.error).toBeInstanceOf(HandshakeTimeoutError);
  });

  it('an empty HelloVerifyRequest → decode_error, sent in the clear (the endpoint keeps no state to be told)', async () => {
    const p = new Pair({ tap: (d, dir) => (dir === 's2c' && handshakeTypes(d).includes(HandshakeType.hello_verify_request) ? [editHandshake(d, (f) => [{ ...f, length: 0, body: new Uint8Array(0) }])] : [d]) });
    p.start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decode_error);
    const alerts = p.wire.filter((w) => w.direction === 'c2s').flatMap((w) => plainAlerts(w.datagram));
    expect(alerts).toEqual([[2, AlertDescription.decode_error]]);
    expect(p.server).toBeUndefined();
    expect(p.client.nextTimeout()).toBeUndefined();
  });
});
