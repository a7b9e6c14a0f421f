/**
 * Negotiation failures and the alerts that report them (RFC 5246 7.2, RFC 4279, RFC 7627,
 * RFC 5746), renegotiation refused, close_notify both ways. Each failure is checked on the
 * side that detects it (its own error, fromPeer = false) and, where the RFC says the peer is
 * told, on the other side (close event with the alert, fromPeer = true).
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription, AlertLevel } from '../../src/alert.js';
import { concatBytes, fromHex, utf8 } from '../../src/bytes.js';
import { ContentType } from '../../src/record/content-type.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeServerHello, encodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { DTLS_1_0 } from '../../src/handshake/protocol-version.js';
import { editHandshake, expectLocalFailure, expectPeerFailure, handshakeFragment, Pair, plainRecord, recordsOf, withBody } from './harness.js';
import { closeEvent } from '../support/event-log.js';
import { clientPsk, serverPsk } from '../support/psk.js';
import { plainAlerts, records } from '../support/wire.js';

const SUITE = 'PSK-AES128-GCM-SHA256';

/** A tap that rewrites ClientHellos (every one the client sends) with `edit`. */
function rewriteClientHello(edit: (body: Uint8Array) => Uint8Array) {
  return (d: Uint8Array, dir: string) =>
    dir === 'c2s' ? [editHandshake(d, (f) => (f.msgType === HandshakeType.client_hello ? [withBody(f, edit(f.body))] : [f]))] : [d];
}

function rewriteServerHello(edit: (body: Uint8Array) => Uint8Array) {
  return (d: Uint8Array, dir: string) =>
    dir === 's2c' ? [editHandshake(d, (f) => (f.msgType === HandshakeType.server_hello ? [withBody(f, edit(f.body))] : [f]))] : [d];
}

describe('PSK identity and key', () => {
  it('unknown identity (lookup returns undefined) → unknown_psk_identity, and the client is told', async () => {
    const p = new Pair({ server: { psk: serverPsk(() => undefined) }, client: { cipherSuites: SUITE } }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unknown_psk_identity);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unknown_psk_identity);
  });

  it('unknown identity (asynchronous lookup) → unknown_psk_identity, and the client is told', async () => {
    const seen: string[] = [];
    const lookup = async (identity: Uint8Array): Promise<Uint8Array | undefined> => {
      seen.push(new TextDecoder().decode(identity));
      await new Promise((r) => setTimeout(r, 1));
      return undefined;
    };
    const p = new Pair({ server: { psk: serverPsk(lookup) }, client: { cipherSuites: 'ECDHE-PSK-CHACHA20-POLY1305' } }).start();
    await p.run();
    expect(seen).toEqual(['Client_identity']);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unknown_psk_identity);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unknown_psk_identity);
  });

  it('a lookup that throws (or rejects) ends the handshake with internal_error', async () => {
    const p = new Pair({
      server: { psk: serverPsk(() => Promise.reject(new Error('database down'))) },
      client: { cipherSuites: SUITE },
    }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.internal_error);
    expect(p.s.error?.message).toContain('database down');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.internal_error);
  });

  /*
   * Decided: a wrong key is reported as bad_record_mac, not decrypt_error. With different PSKs
   * the two sides derive different record keys, so the client's Finished record does not
   * authenticate and is dropped like any bad record (RFC 6347 4.1.2.7): the server never gets to
   * compare verify_data (RFC 5246 7.4.9's decrypt_error). One bad record proves nothing, but
   * when the client retransmits flight 5 and its Finished fails again, the keys differ: the
   * server ends the handshake with a fatal bad_record_mac (sent in epoch 0, so the client can
   * read it) one retransmission timeout after flight 5, not at the handshake deadline.
   */
  it.each([SUITE, 'ECDHE-PSK-AES128-GCM-SHA256', 'PSK-CHACHA20-POLY1305', 'PSK-AES128-CCM8'])(
    'wrong key on the client (%s) → bad_record_mac at the server, and the client is told',
    async (suite) => {
      const p = new Pair({ client: { psk: clientPsk(fromHex('ffffffffffffffffffffffffffffffff')), cipherSuites: suite } }).start();
      await p.run();
      // The first Finished is dropped silently: still waiting.
      expect(p.s.state).toBe('handshaking');
      expect(p.s.handshakeState).toBe('wait_finished');
      expect(p.s.stats.badMac).toBe(1);
      await p.run(5_000);
      expect(p.now).toBeLessThanOrEqual(1_000); // the client's first retransmission
      expectLocalFailure(p.s, p.serverEvents, AlertDescription.bad_record_mac);
      expect(p.s.stats.badMac).toBe(2);
      expectPeerFailure(p.client, p.clientEvents, AlertDescription.bad_record_mac);
      // The client's error says what the alert means at this step (issue 14).
      expect(closeEvent(p.clientEvents)?.error?.message).toBe(
        'bad_record_mac: peer sent fatal alert bad_record_mac: the server could not verify our Finished: it derived other keys (a different pre-shared key?)',
      );
    },
  );

  it('wrong key with a small MTU (flight 5 fragmented over several datagrams) → bad_record_mac', async () => {
    const p = new Pair({
      client: { psk: clientPsk(fromHex('ffffffffffffffffffffffffffffffff')), cipherSuites: 'ECDHE-PSK-AES128-GCM-SHA256', mtu: 130, groups: ['secp384r1'] },
      server: { mtu: 130 },
    }).start();
    await p.run(5_000);
    expect(p.wire.filter((w) => w.direction === 'c2s').length).toBeGreaterThanOrEqual(6);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.bad_record_mac);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.bad_record_mac);
  });

  it('a single bad record while the server waits for the Finished is dropped, not fatal', async () => {
    let corrupted = 0;
    const p = new Pair({
      client: { cipherSuites: SUITE },
      tap: (d, dir) => {
        const last = records(d).at(-1);
        if (dir === 'c2s' && corrupted === 0 && last?.header.epoch === 1) {
          corrupted++;
          const bad = d.slice();
          bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
          return [bad];
        }
        return [d];
      },
    }).start();
    await p.run();
    expect(corrupted).toBe(1);
    expect(p.s.handshakeState).toBe('wait_finished');
    expect(p.s.stats.badMac).toBe(1);
    // The client's retransmission carries a good Finished: the handshake completes.
    await p.run(5_000);
    expect(p.client.state).toBe('established');
    expect(p.s.state).toBe('established');
  });

  it('a Finished that authenticates but does not verify → decrypt_error (RFC 5246 7.4.9)', async () => {
    // An on-path attacker strips extended_master_secret from the ClientHello (the cookie does
    // not cover extensions). Without EMS the master secret depends only on the randoms and the
    // PSK, so both sides derive the same keys — but their transcripts differ, and the server's
    // Finished check catches the tampering.
    const strip = (body: Uint8Array): Uint8Array => {
      const ch = decodeClientHello(body);
      return encodeClientHello({ ...ch, extensions: ch.extensions.filter((e) => e.type !== ExtensionType.extended_master_secret) });
    };
    const p = new Pair({ client: { cipherSuites: SUITE }, tap: rewriteClientHello(strip) }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.decrypt_error);
    expect(p.s.stats.badMac).toBe(0);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
    expect(closeEvent(p.clientEvents)?.error?.message).toMatch(/: the server could not verify our Finished: its record of the handshake differs from ours/);
  });
});

describe('negotiation', () => {
  it('no cipher suite in common → handshake_failure', async () => {
    const p = new Pair({ client: { cipherSuites: 'PSK-AES128-GCM-SHA256' }, server: { cipherSuites: 'PSK-CHACHA20-POLY1305' } }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.handshake_failure);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.handshake_failure);
  });

  it('a client that offers only DTLS 1.0 → protocol_version', async () => {
    const p = new Pair({
      client: { cipherSuites: SUITE },
      tap: rewriteClientHello((body) => encodeClientHello({ ...decodeClientHello(body), clientVersion: DTLS_1_0 })),
    }).start();
    await p.run();
    // The stateless endpoint answers at once (no cookie exchange for a version we cannot speak).
    expect(p.server).toBeUndefined();
    expect(p.endpointReplies).toHaveLength(1);
    expect(plainAlerts(p.endpointReplies[0] ?? new Uint8Array())).toEqual([[AlertLevel.fatal, AlertDescription.protocol_version]]);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.protocol_version);
  });

  it('a server that answers with DTLS 1.0 → protocol_version at the client, and the server is told', async () => {
    const p = new Pair({
      client: { cipherSuites: SUITE },
      tap: rewriteServerHello((body) => encodeServerHello({ ...decodeServerHello(body), serverVersion: DTLS_1_0 })),
    }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.protocol_version);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.protocol_version);
  });

  it('extended master secret is negotiated by default', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    expect(p.client.extendedMasterSecret).toBe(true);
    expect(p.s.extendedMasterSecret).toBe(true);
  });

  it('server requires EMS, client does not offer it → handshake_failure', async () => {
    const strip = (body: Uint8Array): Uint8Array => {
      const ch = decodeClientHello(body);
      return encodeClientHello({ ...ch, extensions: ch.extensions.filter((e) => e.type !== ExtensionType.extended_master_secret) });
    };
    const p = new Pair({ client: { cipherSuites: SUITE }, server: { requireExtendedMasterSecret: true }, tap: rewriteClientHello(strip) }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.handshake_failure);
    expect(p.s.error?.message).toContain('extended_master_secret');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.handshake_failure);
  });

  it('client requires EMS, server does not answer it → handshake_failure', async () => {
    const strip = (body: Uint8Array): Uint8Array => {
      const sh = decodeServerHello(body);
      return encodeServerHello({ ...sh, extensions: sh.extensions.filter((e) => e.type !== ExtensionType.extended_master_secret) });
    };
    const p = new Pair({ client: { cipherSuites: SUITE, requireExtendedMasterSecret: true }, tap: rewriteServerHello(strip) }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.handshake_failure);
    expect(p.client.error?.message).toContain('extended_master_secret');
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.handshake_failure);
  });

  it('both require EMS and both have it → established with EMS', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE, requireExtendedMasterSecret: true }, server: { requireExtendedMasterSecret: true } }).handshake();
    expect(p.client.extendedMasterSecret).toBe(true);
    expect(p.s.extendedMasterSecret).toBe(true);
  });
});

describe('renegotiation is refused (RFC 5746 4.2, RFC 5246 7.4.1.2)', () => {
  it('a ClientHello in epoch 1 after the handshake → warning no_renegotiation; the connection stays up', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    const hello = encodeClientHello({
      clientVersion: 0xfefd,
      random: new Uint8Array(32).fill(7),
      sessionId: new Uint8Array(0),
      cookie: new Uint8Array(0),
      cipherSuites: [0x00a8],
      compressionMethods: [0],
      extensions: [],
    });
    // RFC 6347 4.2.2: a new handshake starts again at message_seq 0. Try that and the next seq in order.
    for (const seq of [0, 4]) {
      p.s.receive(recordsOf(p.client).seal(ContentType.handshake, handshakeFragment(HandshakeType.client_hello, seq, hello)), p.now);
      p.drainEvents();
      const out = p.s.datagramsToSend();
      expect(out).toHaveLength(1);
      p.client.receive(out[0] ?? new Uint8Array(), p.now);
      p.drainEvents();
    }
    const alerts = p.clientEvents.filter((e) => e.type === 'alert');
    expect(alerts).toEqual([
      { type: 'alert', description: AlertDescription.no_renegotiation, name: 'no_renegotiation' },
      { type: 'alert', description: AlertDescription.no_renegotiation, name: 'no_renegotiation' },
    ]);
    expect(p.s.state).toBe('established');
    expect(p.client.state).toBe('established');
    // Still working both ways.
    p.client.send(utf8('after'));
    p.s.send(utf8('back'));
    p.step();
    expect(p.serverEvents.filter((e) => e.type === 'data')).toHaveLength(1);
    expect(p.clientEvents.filter((e) => e.type === 'data')).toHaveLength(1);
  });

  it('a HelloRequest from the server → the client answers warning no_renegotiation', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    p.client.receive(recordsOf(p.s).seal(ContentType.handshake, handshakeFragment(HandshakeType.hello_request, 0, new Uint8Array(0))), p.now);
    const out = p.client.datagramsToSend();
    expect(out).toHaveLength(1);
    p.s.receive(out[0] ?? new Uint8Array(), p.now);
    p.drainEvents();
    expect(p.serverEvents.filter((e) => e.type === 'alert')).toEqual([
      { type: 'alert', description: AlertDescription.no_renegotiation, name: 'no_renegotiation' },
    ]);
    expect(p.client.state).toBe('established');
    expect(p.s.state).toBe('established');
  });

  it('a plaintext (epoch 0) ClientHello after the handshake is not answered', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    const first = p.wire.find((w) => w.direction === 'c2s')?.datagram ?? new Uint8Array();
    p.s.receive(first, p.now);
    expect(p.s.datagramsToSend()).toEqual([]);
    expect(p.s.state).toBe('established');
  });
});

describe('close_notify (RFC 5246 7.2.1)', () => {
  it.each(['client', 'server'] as const)('close() on the %s: the peer closes cleanly and answers with close_notify', async (who) => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    const [closer, other] = who === 'client' ? [p.client, p.s] : [p.s, p.client];
    closer.close();
    const sent = closer.datagramsToSend();
    expect(sent).toHaveLength(1);
    other.receive(sent[0] ?? new Uint8Array(), p.now);
    p.drainEvents();
    const [closerEvents, otherEvents] = who === 'client' ? [p.clientEvents, p.serverEvents] : [p.serverEvents, p.clientEvents];
    expect(closeEvent(closerEvents)).toEqual({ type: 'close', error: undefined });
    expect(closeEvent(otherEvents)).toEqual({ type: 'close', error: undefined });
    expect(other.state).toBe('closed');
    expect(other.error).toBeUndefined();
    // The answer is a close_notify the closer can read (it is in the closer's read epoch).
    const answer = other.datagramsToSend();
    expect(answer).toHaveLength(1);
    const opened = recordsOf(closer).open(answer[0] ?? new Uint8Array());
    expect(opened.map((r) => [r.type, ...r.payload])).toEqual([[ContentType.alert, AlertLevel.warning, AlertDescription.close_notify]]);
    // Nothing is sent or processed after close.
    closer.receive(answer[0] ?? new Uint8Array(), p.now);
    expect(closer.datagramsToSend()).toEqual([]);
    expect(() => other.send(utf8('late'))).toThrow(/cannot send in state closed/);
  });

  it('data after close_notify (same datagram, and later) is dropped', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    const rl = recordsOf(p.client);
    const alert = rl.seal(ContentType.alert, new Uint8Array([AlertLevel.warning, AlertDescription.close_notify]));
    const data1 = rl.seal(ContentType.application_data, utf8('same datagram'));
    const data2 = rl.seal(ContentType.application_data, utf8('next datagram'));
    p.s.receive(concatBytes(alert, data1), p.now);
    p.s.receive(data2, p.now);
    p.drainEvents();
    expect(p.serverEvents.map((e) => e.type)).toEqual(['handshake-complete', 'close']);
    expect(p.s.error).toBeUndefined();
  });

  it('nothing is processed after a fatal alert from the peer', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    const rl = recordsOf(p.client);
    const fatal = rl.seal(ContentType.alert, new Uint8Array([AlertLevel.fatal, AlertDescription.internal_error]));
    const data = rl.seal(ContentType.application_data, utf8('after the alert'));
    p.s.receive(concatBytes(fatal, data), p.now);
    p.s.receive(rl.seal(ContentType.application_data, utf8('later')), p.now);
    p.drainEvents();
    expect(p.serverEvents.map((e) => e.type)).toEqual(['handshake-complete', 'close']);
    expectPeerFailure(p.s, p.serverEvents, AlertDescription.internal_error);
    // A fatal alert is not answered (RFC 5246 7.2.2: the connection is simply over).
    expect(p.s.datagramsToSend()).toEqual([]);
  });

  it('nothing is processed after our own fatal error', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    // An in-order, authenticated but unexpected handshake message (a ServerHelloDone) is fatal.
    const rl = recordsOf(p.client);
    p.s.receive(rl.seal(ContentType.handshake, handshakeFragment(HandshakeType.server_hello_done, 4, new Uint8Array(0))), p.now);
    p.s.receive(rl.seal(ContentType.application_data, utf8('later')), p.now);
    p.drainEvents();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unexpected_message);
    expect(p.serverEvents.map((e) => e.type)).toEqual(['handshake-complete', 'close']);
    const out = p.s.datagramsToSend();
    expect(out).toHaveLength(1);
    p.client.receive(out[0] ?? new Uint8Array(), p.now);
    p.drainEvents();
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
  });

  it('an unauthenticated (epoch 0) alert after the handshake is ignored', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    p.s.receive(plainRecord(ContentType.alert, new Uint8Array([AlertLevel.fatal, AlertDescription.handshake_failure]), 99), p.now);
    p.s.receive(plainRecord(ContentType.alert, new Uint8Array([AlertLevel.warning, AlertDescription.close_notify]), 100), p.now);
    expect(p.s.state).toBe('established');
  });
});
