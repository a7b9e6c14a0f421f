/**
 * Bug class 3 for DTLS 1.3: every handshake message type in every state of our 1.3 client and
 * server. The table (ACCEPTS) says what each state takes (RFC 8446 2 and 4, RFC 9147 5 figure 6
 * and 8); any other type in its place ends the handshake with unexpected_message (RFC 8446 6.2:
 * "An inappropriate message (e.g., the wrong handshake message ...) was received"), the state
 * named in the error, and the peer told. DTLS 1.2's messages (HelloRequest, HelloVerifyRequest,
 * ServerKeyExchange, ServerHelloDone, ClientKeyExchange) and message_hash, which is never sent,
 * are unexpected like any other. A type the state takes, with a body that is not its own, ends
 * with that message's alert but never internal_error.
 *
 * How each message is put in place: the HelloRetryRequest and ServerHello (plaintext) have their
 * msg_type rewritten on the wire; the protected messages are rewritten by the peer inside its keys
 * (inject-13.ts sealEdits); after the handshake the peer seals a message of each type under its
 * application keys at the next message_seq. The stateless endpoint (before any state) takes only
 * a ClientHello: anything else is dropped, with no answer.
 *
 * Not reachable with our two sides yet: the server's wait_client_certificate_verify (our 1.3
 * client answers a CertificateRequest with an empty Certificate).
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { ContentType } from '../../src/record/content-type.js';
import type { DtlsConnection } from '../../src/connection.js';
import { expectLocalFailure, expectPeerFailure, Pair, plainRecord, type Tap } from '../engine/harness.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { spans13 } from '../fuzz/dtls13-mutations.js';
import { plainAlerts } from '../support/wire.js';
import { editFragments, fragment, layerOf, sealEdits, typesIn, V13 } from './inject-13.js';

const ALL_TYPES: readonly [string, number][] = Object.entries({
  HelloRequest: HandshakeType.hello_request,
  ClientHello: HandshakeType.client_hello,
  ServerHello: HandshakeType.server_hello,
  HelloVerifyRequest: HandshakeType.hello_verify_request,
  NewSessionTicket: HandshakeType.new_session_ticket,
  EndOfEarlyData: HandshakeType.end_of_early_data,
  EncryptedExtensions: HandshakeType.encrypted_extensions,
  RequestConnectionId: HandshakeType.request_connection_id,
  NewConnectionId: HandshakeType.new_connection_id,
  Certificate: HandshakeType.certificate,
  ServerKeyExchange: HandshakeType.server_key_exchange,
  CertificateRequest: HandshakeType.certificate_request,
  ServerHelloDone: HandshakeType.server_hello_done,
  CertificateVerify: HandshakeType.certificate_verify,
  ClientKeyExchange: HandshakeType.client_key_exchange,
  Finished: HandshakeType.finished,
  KeyUpdate: HandshakeType.key_update,
  MessageHash: HandshakeType.message_hash,
});

type Suite = 'psk' | 'cert' | 'cert-request';

/** A state of one side, how to reach it, and what it takes. */
interface Slot {
  readonly side: 'client' | 'server';
  readonly state: string;
  readonly suite: Suite;
  /** The message whose place is taken ('post' for a post-handshake message at the next message_seq). */
  readonly replaces: number | 'post';
  /** The plaintext hello to rewrite: the endpoint's HelloRetryRequest or the connection's ServerHello. */
  readonly plaintext?: 'hrr' | 'sh';
  readonly accepts: readonly number[];
}

/** The table: every 1.3 state we can reach, and the types it accepts. */
const ACCEPTS: readonly Slot[] = [
  // A HelloVerifyRequest is a DTLS 1.2 server's answer to any ClientHello (legacy_version DTLS 1.2):
  // taken, the ClientHello goes again with its cookie, and the 1.2 ServerHello is refused later.
  { side: 'client', state: 'wait_server_hello', suite: 'psk', replaces: HandshakeType.server_hello, plaintext: 'hrr', accepts: [HandshakeType.server_hello, HandshakeType.hello_verify_request] },
  { side: 'client', state: 'wait_server_hello', suite: 'psk', replaces: HandshakeType.server_hello, plaintext: 'sh', accepts: [HandshakeType.server_hello] },
  { side: 'client', state: 'wait_encrypted_extensions', suite: 'psk', replaces: HandshakeType.encrypted_extensions, accepts: [HandshakeType.encrypted_extensions] },
  { side: 'client', state: 'wait_certificate_or_request', suite: 'cert', replaces: HandshakeType.certificate, accepts: [HandshakeType.certificate, HandshakeType.certificate_request] },
  { side: 'client', state: 'wait_certificate_verify', suite: 'cert', replaces: HandshakeType.certificate_verify, accepts: [HandshakeType.certificate_verify] },
  { side: 'client', state: 'wait_finished', suite: 'psk', replaces: HandshakeType.finished, accepts: [HandshakeType.finished] },
  { side: 'client', state: 'established', suite: 'psk', replaces: 'post', accepts: [HandshakeType.new_session_ticket, HandshakeType.key_update] },
  { side: 'server', state: 'wait_client_certificate', suite: 'cert-request', replaces: HandshakeType.certificate, accepts: [HandshakeType.certificate] },
  { side: 'server', state: 'wait_finished', suite: 'psk', replaces: HandshakeType.finished, accepts: [HandshakeType.finished] },
  { side: 'server', state: 'established', suite: 'psk', replaces: 'post', accepts: [HandshakeType.key_update] },
];

const TIMING = { handshakeTimeoutMs: 4_000 };

function pair(suite: Suite, tap?: Tap): Pair {
  if (suite === 'psk') return new Pair({ client: { ...V13, ...TIMING }, server: { ...V13, ...TIMING }, tap });
  return new Pair({
    client: { ...V13, ...TIMING, psk: undefined, x509: clientX509(), servername: 'localhost' },
    server: { ...V13, ...TIMING, psk: undefined, x509: serverX509('ecdsa', { requestCert: suite === 'cert-request', rejectUnauthorized: false }) },
    tap,
  });
}

/** The handshake reassembler's next expected message_seq. */
function nextSeq(conn: DtlsConnection): number {
  const handshake: unknown = Reflect.get(conn, 'handshake');
  const reassembler: unknown = typeof handshake === 'object' && handshake !== null ? Reflect.get(handshake, 'reassembler') : undefined;
  const seq: unknown = typeof reassembler === 'object' && reassembler !== null ? Reflect.get(reassembler, 'nextSeq') : undefined;
  if (typeof seq !== 'number') throw new Error('no reassembler');
  return seq;
}

/** A tap rewriting the msg_type of the plaintext hello (the endpoint's HelloRetryRequest, or the connection's ServerHello). */
function plaintextHello(p: Pair, which: 'hrr' | 'sh', type: number): Tap {
  let done = false;
  return (d, dir) => {
    if (dir !== 's2c' || done || (which === 'hrr') !== (p.server === undefined)) return [d];
    const span = spans13(d).find((s) => s.kind === 'plaintext' && d[s.start] === ContentType.handshake && d[s.bodyAt] === HandshakeType.server_hello);
    if (span === undefined) return [d];
    done = true;
    const out = d.slice();
    out[span.bodyAt] = type;
    return [out];
  };
}

/** Runs the slot with `type` in its place; returns the pair and the side under test. */
async function runSlot(slot: Slot, type: number): Promise<{ p: Pair; conn: DtlsConnection | undefined; events: Pair['clientEvents']; peer: DtlsConnection | undefined; peerEvents: Pair['clientEvents'] }> {
  const p = pair(slot.suite);
  const sides = (): { conn: DtlsConnection | undefined; events: Pair['clientEvents']; peer: DtlsConnection | undefined; peerEvents: Pair['clientEvents'] } =>
    slot.side === 'client'
      ? { conn: p.client, events: p.clientEvents, peer: p.server, peerEvents: p.serverEvents }
      : { conn: p.server, events: p.serverEvents, peer: p.client, peerEvents: p.clientEvents };
  if (slot.replaces === 'post') {
    await p.handshake();
    const [sender, receiver] = slot.side === 'client' ? [p.s, p.client] : [p.client, p.s];
    // A body that parses as a KeyUpdate (update_not_requested); any other type must not take it.
    receiver.receive(layerOf(sender).seal(ContentType.handshake, fragment(type, nextSeq(receiver), Uint8Array.of(0)), 3), p.now);
    await p.run(10_000);
    return { p, ...sides() };
  }
  if (slot.plaintext !== undefined) {
    p.tap = plaintextHello(p, slot.plaintext, type);
  } else {
    const replaces = slot.replaces;
    // The message a side waits for is sealed by the other side.
    const sender = slot.side === 'client' ? 'server' : 'client';
    sealEdits(p.client, (who, r) => {
      if (who !== sender || r.type !== ContentType.handshake || !typesIn(r.content).includes(replaces)) return undefined;
      return { type: r.type, content: editFragments(r.content, (f) => [f.msgType === replaces ? { ...f, msgType: type } : f]) };
    });
  }
  p.start();
  await p.run(10_000);
  return { p, ...sides() };
}

for (const slot of ACCEPTS) {
  const instead = slot.replaces === 'post' ? 'after the handshake' : `instead of the ${ALL_TYPES.find(([, t]) => t === slot.replaces)?.[0]}`;
  describe(`${slot.side} ${slot.state} (${slot.suite}${slot.plaintext === undefined ? '' : `, ${slot.plaintext}`}): every message type ${instead}`, () => {
    const cases = ALL_TYPES.filter(([, t]) => t !== slot.replaces && !(slot.replaces === 'post' && slot.accepts.includes(t)));
    it.each(cases)('%s', async (_name, type) => {
      const { p, conn, events, peer, peerEvents } = await runSlot(slot, type);
      if (conn === undefined) throw new Error('no connection on the side under test');
      expect(p.clientEvents.some((e) => e.type === 'handshake-complete') && p.serverEvents.some((e) => e.type === 'handshake-complete') && slot.replaces !== 'post').toBe(false);
      if (!slot.accepts.includes(type)) {
        expectLocalFailure(conn, events, AlertDescription.unexpected_message);
        expect(conn.error?.message).toMatch(slot.state === 'established' ? /./ : new RegExp(slot.state === 'wait_finished' && slot.side === 'server' ? 'client Finished' : slot.state));
        if (slot.plaintext === undefined) {
          expectPeerFailure(peer, peerEvents, AlertDescription.unexpected_message);
        } else {
          // Before any keys the alert goes in the clear: the stateless endpoint keeps nothing to be told
          // with, and the server connection does not take an unauthenticated alert from epoch 0 once it reads epoch 2.
          expect(p.wire.filter((w) => w.direction === 'c2s').flatMap((w) => plainAlerts(w.datagram))).toContainEqual([2, AlertDescription.unexpected_message]);
        }
        return;
      }
      // A type the state takes, with another message's body: that message's own alert.
      expect(conn.state).toBe('closed');
      expect(conn.error?.fromPeer).toBe(false);
      expect(conn.error?.alert).not.toBe(AlertDescription.internal_error);
    });
  });
}

describe('the post-handshake messages a side takes, well-formed', () => {
  it('client established: a KeyUpdate (update_not_requested) is taken and acknowledged; the connection goes on', async () => {
    const slot = ACCEPTS.find((s) => s.side === 'client' && s.state === 'established');
    if (slot === undefined) throw new Error('no slot');
    const { p, conn } = await runSlot(slot, HandshakeType.key_update);
    expect(conn?.state).toBe('established');
    expect(layerOf(p.client).readEpoch).toBe(4);
  });
});

describe('the stateless endpoint before any state (wait_client_hello)', () => {
  it.each(ALL_TYPES.filter(([, t]) => t !== HandshakeType.client_hello))('a plaintext %s: dropped, no answer, no connection', (_name, type) => {
    const p = pair('psk');
    const reply = p.endpoint.handle(plainRecord(ContentType.handshake, fragment(type, 0, new Uint8Array(40)), 0), '192.0.2.9:4000', 0);
    expect(reply.type).toBe('drop');
  });
});
