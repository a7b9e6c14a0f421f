/**
 * The client and server state machines against messages that do not belong: every state has
 * an explicit set of acceptable messages, anything else is unexpected_message (RFC 5246
 * 7.2.2), malformed bodies are decode_error, forbidden values are the alert their RFC names.
 * And hostile garbage at any point never throws out of receive(), never hangs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertDescription, AlertLevel } from '../../src/alert.js';
import { concatBytes } from '../../src/bytes.js';
import type { DtlsConnection } from '../../src/connection.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { DtlsError } from '../../src/errors.js';
import { encodeAlpn } from '../../src/handshake/extensions/alpn.js';
import { encodeRenegotiationInfo } from '../../src/handshake/extensions/renegotiation-info.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeServerHello, encodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { decodeEcdhePskServerKeyExchange, encodeEcdhePskServerKeyExchange } from '../../src/handshake/messages/server-key-exchange.js';
import { decodeEcdhePskClientKeyExchange, encodeEcdhePskClientKeyExchange } from '../../src/handshake/messages/client-key-exchange.js';
import { NamedGroup } from '../../src/handshake/extensions/named-group.js';
import { ContentType } from '../../src/record/content-type.js';
import { DTLS_1_0_VERSION, DTLS_1_2_VERSION, encodeRecord } from '../../src/record/record-header.js';
import { editHandshake, expectLocalFailure, expectPeerFailure, Pair, plainRecord, withBody } from './harness.js';
import { PSK_KEY, serverPsk } from '../support/psk.js';
import { handshakeTypes, records } from '../support/wire.js';
import type { HandshakeFragment } from '../../src/handshake/handshake-header.js';

const SUITE = 'PSK-AES128-GCM-SHA256';

/** A pair whose server→client ServerHello goes through `edit` (fragments in, fragments out). */
function tamperServerHello(edit: (f: HandshakeFragment) => HandshakeFragment[], client: Record<string, unknown> = {}): Pair {
  return new Pair({
    client: { cipherSuites: SUITE, ...client },
    tap: (d, dir) => (dir === 's2c' ? [editHandshake(d, (f) => (f.msgType === HandshakeType.server_hello ? edit(f) : [f]))] : [d]),
  });
}

function editedServerHello(edit: (sh: ReturnType<typeof decodeServerHello>) => ReturnType<typeof decodeServerHello>) {
  return (f: HandshakeFragment): HandshakeFragment[] => [withBody(f, encodeServerHello(edit(decodeServerHello(f.body))))];
}

describe('client: unexpected and malformed server messages', () => {
  it.each([
    ['ServerHelloDone', HandshakeType.server_hello_done, 0],
    ['Finished', HandshakeType.finished, 12],
    ['ServerKeyExchange', HandshakeType.server_key_exchange, 4],
    ['ClientHello', HandshakeType.client_hello, 40],
    ['Certificate', HandshakeType.certificate, 3],
  ])('a %s where a ServerHello is expected → unexpected_message', async (_name, type, length) => {
    const p = tamperServerHello((f) => [{ ...f, msgType: type, length, fragmentOffset: 0, body: new Uint8Array(length) }]).start();
    await p.run();
    expect(p.client.handshakeState).toBe('wait_server_hello');
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
  });

  it('a truncated ServerHello → decode_error', async () => {
    const p = tamperServerHello((f) => [withBody(f, f.body.subarray(0, 36))]).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decode_error);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.decode_error);
  });

  it('a ServerHello with trailing bytes → decode_error', async () => {
    const p = tamperServerHello((f) => [withBody(f, concatBytes(f.body, new Uint8Array([0])))]).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decode_error);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.decode_error);
  });

  it.each([
    ['use_srtp', ExtensionType.use_srtp],
    ['an unknown type', 0x7a7a],
    ['connection_id', ExtensionType.connection_id],
  ])('an extension the client did not offer (%s) in the ServerHello → unsupported_extension', async (_name, type) => {
    const p = tamperServerHello(editedServerHello((sh) => ({ ...sh, extensions: [...sh.extensions, { type, data: new Uint8Array(0) }] }))).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unsupported_extension);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unsupported_extension);
  });

  it('a non-empty renegotiation_info in an initial ServerHello → handshake_failure (RFC 5746 3.4)', async () => {
    const p = tamperServerHello(
      editedServerHello((sh) => ({
        ...sh,
        extensions: sh.extensions.map((e) =>
          e.type === ExtensionType.renegotiation_info ? { type: e.type, data: encodeRenegotiationInfo(new Uint8Array(24).fill(1)) } : e,
        ),
      })),
    ).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.handshake_failure);
    expect(p.client.error?.message).toContain('renegotiation_info');
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.handshake_failure);
  });

  it.each([
    ['a suite the client did not offer', 0x00a9],
    ['an unknown suite', 0x1301],
    ['TLS_NULL_WITH_NULL_NULL', 0x0000],
    ['the renegotiation SCSV', 0x00ff],
  ])('the server choosing %s → illegal_parameter', async (_name, id) => {
    const p = tamperServerHello(editedServerHello((sh) => ({ ...sh, cipherSuite: id }))).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.illegal_parameter);
  });

  it('a compression method other than null → illegal_parameter', async () => {
    const p = tamperServerHello(editedServerHello((sh) => ({ ...sh, compressionMethod: 1 }))).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.illegal_parameter);
  });

  it('a second ServerHello → unexpected_message', async () => {
    const p = tamperServerHello((f) => [f, { ...f, messageSeq: f.messageSeq + 1 }]).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
  });

  it('a HelloVerifyRequest after the ServerHello → unexpected_message', async () => {
    const hvr = (f: HandshakeFragment): HandshakeFragment => ({
      msgType: HandshakeType.hello_verify_request,
      length: 3,
      messageSeq: f.messageSeq + 1,
      fragmentOffset: 0,
      body: new Uint8Array([0xfe, 0xff, 0]),
    });
    const p = tamperServerHello((f) => [f, hvr(f)]).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
  });

  it('a ServerHelloDone for ECDHE_PSK without the ServerKeyExchange → unexpected_message', async () => {
    const p = new Pair({
      client: { cipherSuites: 'ECDHE-PSK-CHACHA20-POLY1305' },
      tap: (d, dir) =>
        dir === 's2c'
          ? [
              editHandshake(d, (f) => {
                if (f.msgType === HandshakeType.server_key_exchange) return [];
                if (f.msgType === HandshakeType.server_hello_done) return [{ ...f, messageSeq: f.messageSeq - 1 }];
                return [f];
              }),
            ]
          : [d],
    }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
  });

  it('a ServerHelloDone with a body → decode_error', async () => {
    const p = new Pair({
      client: { cipherSuites: SUITE },
      tap: (d, dir) =>
        dir === 's2c' ? [editHandshake(d, (f) => (f.msgType === HandshakeType.server_hello_done ? [withBody(f, new Uint8Array([1]))] : [f]))] : [d],
    }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.decode_error);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.decode_error);
  });
});

describe('server: unexpected client messages', () => {
  /** Replaces the client's flight 5 (CKE, CCS, Finished) with its ClientKeyExchange record followed by `extra`. */
  function afterClientKeyExchange(extra: (ckeSeq: number, ckeRecordSeq: number) => Uint8Array[]): Pair {
    return new Pair({
      client: { cipherSuites: SUITE },
      tap: (d, dir) => {
        if (dir !== 'c2s' || !handshakeTypes(d).includes(HandshakeType.client_key_exchange)) return [d];
        const cke = records(d)[0];
        if (!cke) return [d];
        const seq = (cke.fragment[4] ?? 0) * 256 + (cke.fragment[5] ?? 0);
        return [concatBytes(encodeRecord(cke.header, cke.fragment), ...extra(seq, cke.header.sequenceNumber))];
      },
    });
  }

  it('a Finished before ChangeCipherSpec (plaintext, epoch 0) → unexpected_message', async () => {
    const p = afterClientKeyExchange((seq, rseq) => [
      plainRecord(ContentType.handshake, encodeHandshakeFragment({ msgType: HandshakeType.finished, length: 12, messageSeq: seq + 1, fragmentOffset: 0, body: new Uint8Array(12) }), rseq + 1),
    ]).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unexpected_message);
    expect(p.s.error?.message).toContain('wait_finished');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
  });

  it('a second ClientKeyExchange → unexpected_message', async () => {
    const p = afterClientKeyExchange((seq, rseq) => {
      const body = new Uint8Array([0, 2, 0x41, 0x42]);
      return [plainRecord(ContentType.handshake, encodeHandshakeFragment({ msgType: HandshakeType.client_key_exchange, length: 4, messageSeq: seq + 1, fragmentOffset: 0, body }), rseq + 1)];
    }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unexpected_message);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
  });

  it('a Finished where the ClientKeyExchange is expected → unexpected_message', async () => {
    const p = new Pair({
      client: { cipherSuites: SUITE },
      tap: (d, dir) =>
        dir === 'c2s' && handshakeTypes(d).includes(HandshakeType.client_key_exchange)
          ? [editHandshake(d, (f) => (f.msgType === HandshakeType.client_key_exchange ? [{ ...f, msgType: HandshakeType.finished }] : [f]))]
          : [d],
    }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unexpected_message);
    expect(p.s.error?.message).toContain('wait_client_key_exchange');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
  });

  it('a malformed ClientKeyExchange → decode_error', async () => {
    const p = new Pair({
      client: { cipherSuites: SUITE },
      tap: (d, dir) =>
        dir === 'c2s'
          ? [editHandshake(d, (f) => (f.msgType === HandshakeType.client_key_exchange ? [withBody(f, new Uint8Array([0, 9, 1]))] : [f]))]
          : [d],
    }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.decode_error);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decode_error);
  });
});

describe('key exchange values', () => {
  const ECDHE = 'ECDHE-PSK-CHACHA20-POLY1305';
  function tamper(dir: 'c2s' | 's2c', type: HandshakeType, edit: (body: Uint8Array) => Uint8Array, client: Record<string, unknown> = {}): Pair {
    return new Pair({
      client: { cipherSuites: ECDHE, ...client },
      tap: (d, direction) => (direction === dir ? [editHandshake(d, (f) => (f.msgType === type ? [withBody(f, edit(f.body))] : [f]))] : [d]),
    });
  }

  it.each([
    ['all-zero X25519 point (low order)', new Uint8Array(32)],
    ['X25519 point of the wrong length', new Uint8Array(31).fill(9)],
  ])('server sends an invalid ECDHE public value (%s) → illegal_parameter', async (_name, publicKey) => {
    const p = tamper('s2c', HandshakeType.server_key_exchange, (body) => {
      const ske = decodeEcdhePskServerKeyExchange(body);
      return encodeEcdhePskServerKeyExchange({ ...ske, params: { ...ske.params, publicKey } });
    }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.illegal_parameter);
  });

  it('server chooses a group the client did not offer → illegal_parameter', async () => {
    const p = tamper(
      's2c',
      HandshakeType.server_key_exchange,
      (body) => {
        const ske = decodeEcdhePskServerKeyExchange(body);
        return encodeEcdhePskServerKeyExchange({ ...ske, params: { ...ske.params, namedGroup: NamedGroup.secp384r1 } });
      },
      { groups: ['x25519'] },
    ).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.illegal_parameter);
  });

  it('client sends an all-zero X25519 public value → illegal_parameter at the server', async () => {
    const p = tamper('c2s', HandshakeType.client_key_exchange, (body) => {
      const cke = decodeEcdhePskClientKeyExchange(body);
      return encodeEcdhePskClientKeyExchange({ ...cke, publicKey: new Uint8Array(32) });
    }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
  });
});

describe('ALPN (RFC 7301)', () => {
  it('no protocol in common → no_application_protocol at the server, and the client is told', async () => {
    const p = new Pair({ client: { cipherSuites: SUITE, ALPNProtocols: ['coap'] }, server: { ALPNProtocols: ['h2'] } }).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.no_application_protocol);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.no_application_protocol);
  });

  it('a server that selects a protocol the client did not offer → illegal_parameter', async () => {
    const p = new Pair({
      client: { cipherSuites: SUITE, ALPNProtocols: ['coap', 'h2'] },
      server: { ALPNProtocols: ['h2'] },
      tap: (d, dir) =>
        dir === 's2c'
          ? [
              editHandshake(d, (f) =>
                f.msgType === HandshakeType.server_hello
                  ? editedServerHello((sh) => ({
                      ...sh,
                      extensions: sh.extensions.map((e) =>
                        e.type === ExtensionType.application_layer_protocol_negotiation ? { type: e.type, data: encodeAlpn(['h3']) } : e,
                      ),
                    }))(f)
                  : [f],
              ),
            ]
          : [d],
    }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.illegal_parameter);
  });

  it('a protocol in common is agreed on both sides', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE, ALPNProtocols: ['coap', 'h2'] }, server: { ALPNProtocols: ['h2', 'coap'] } }).handshake();
    expect(p.client.alpnProtocol).toBe('h2');
    expect(p.s.alpnProtocol).toBe('h2');
  });

  it('without ALPN, alpnProtocol is false on both sides (node:tls)', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    expect(p.client.alpnProtocol).toBe(false);
    expect(p.s.alpnProtocol).toBe(false);
  });

  it('getCipher() has node:tls getCipher()\'s shape: OpenSSL name, IANA name, version', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    const suite = p.client.cipherSuite;
    expect(suite).toBeDefined();
    expect(p.client.getCipher()).toEqual({ name: suite?.opensslName, standardName: suite?.name, version: 'DTLSv1.2' });
    expect(p.s.getCipher()).toEqual(p.client.getCipher());
  });
});

// --- garbage at every state -------------------------------------------------------------------

const u8s = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

/** Datagrams from pure noise to well-framed records with hostile contents. */
const garbage: fc.Arbitrary<Uint8Array> = fc.oneof(
  u8s(0, 120),
  fc
    .record({
      type: fc.oneof(fc.constantFrom(20, 21, 22, 23), fc.integer({ min: 0, max: 255 })),
      version: fc.oneof(fc.constantFrom(DTLS_1_2_VERSION, DTLS_1_0_VERSION), fc.integer({ min: 0, max: 0xffff })),
      epoch: fc.oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: 0xffff })),
      sequenceNumber: fc.oneof(fc.nat(40), fc.constant(2 ** 48 - 1)),
      fragment: u8s(0, 80),
    })
    .map(({ fragment, ...header }) => encodeRecord(header, fragment)),
  fc
    .record({
      msgType: fc.oneof(fc.constantFrom(0, 1, 2, 3, 11, 12, 13, 14, 15, 16, 20), fc.integer({ min: 0, max: 255 })),
      messageSeq: fc.nat(8),
      body: u8s(0, 60),
      extra: fc.oneof(fc.constant(0), fc.nat(70000)),
      offset: fc.oneof(fc.constant(0), fc.nat(100)),
      epoch: fc.constantFrom(0, 0, 0, 1),
      recordSeq: fc.nat(60),
    })
    .map(({ msgType, messageSeq, body, extra, offset, epoch, recordSeq }) =>
      plainRecord(
        ContentType.handshake,
        encodeHandshakeFragment({ msgType, length: Math.min(offset + body.length + extra, 0xffffff), messageSeq, fragmentOffset: offset, body }),
        recordSeq,
        epoch,
      ),
    ),
  fc.tuple(fc.constantFrom(AlertLevel.warning, AlertLevel.fatal, 0, 3), fc.integer({ min: 0, max: 255 }), fc.nat(60)).map(([l, d, s]) =>
    plainRecord(ContentType.alert, new Uint8Array([l, d]), s),
  ),
  fc.nat(60).map((s) => plainRecord(ContentType.change_cipher_spec, new Uint8Array([1]), s)),
);

function expectSane(conn: DtlsConnection | undefined): void {
  if (!conn) return;
  expect(['handshaking', 'established', 'closed']).toContain(conn.state);
  if (conn.error !== undefined) {
    expect(conn.error).toBeInstanceOf(DtlsError);
    expect(typeof conn.error.alert).toBe('number');
  }
}

describe('hostile garbage never throws, never hangs', () => {
  it('into the client and the server at every step of the handshake, and after', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(7),
        fc.constantFrom<'c2s' | 's2c'>('c2s', 's2c'),
        fc.array(garbage, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(SUITE, 'ECDHE-PSK-CHACHA20-POLY1305', 'PSK-AES128-CCM8'),
        fc.boolean(),
        async (at, where, junk, suite, asyncLookup) => {
          const p = new Pair({
            client: { cipherSuites: suite, handshakeTimeoutMs: 20_000 },
            server: { handshakeTimeoutMs: 20_000, psk: serverPsk(asyncLookup ? () => Promise.resolve(PSK_KEY) : () => PSK_KEY) },
            tap: (d, dir, index) => (index === at && dir === where ? [...junk, d] : [d]),
          }).start();
          // Through the handshake (timers included: it must end one way or the other)...
          await p.run(60_000, 5000);
          expectSane(p.client);
          expectSane(p.server);
          expect(p.client.state === 'handshaking' || p.server?.state === 'handshaking').toBe(false);
          // ...then straight into both sides, whatever state they reached (established or closed).
          for (const g of junk) {
            expect(() => p.client.receive(g, p.now)).not.toThrow();
            expect(() => p.server?.receive(g, p.now)).not.toThrow();
          }
          await p.run(60_000, 5000);
          expectSane(p.client);
          expectSane(p.server);
          if (p.client.error === undefined && p.server?.error === undefined && p.client.state === 'established') {
            // Still usable.
            p.client.send(new Uint8Array([1, 2, 3]));
            p.step();
            expect(p.serverEvents.some((e) => e.type === 'data')).toBe(true);
          }
        },
      ),
      { numRuns: 150, seed: 0x5eed },
    );
  });

  it('into a client that has not connected, and into the stateless endpoint', () => {
    fc.assert(
      fc.property(fc.array(garbage, { minLength: 1, maxLength: 8 }), (junk) => {
        const p = new Pair();
        const ep = new ServerEndpoint({ psk: { type: 'psk', identityHint: undefined, lookup: () => undefined } });
        for (const g of junk) {
          expect(() => p.client.receive(g, 0)).not.toThrow();
          const r = ep.handle(g, '198.51.100.1:1', 0);
          expect(['drop', 'reply']).toContain(r.type);
          if (r.type === 'reply') expect(r.datagram.length).toBeLessThanOrEqual(g.length);
        }
        expect(p.client.state).toBe('new');
        expect(p.client.datagramsToSend()).toEqual([]);
      }),
      { numRuns: 300, seed: 0xbad },
    );
  });
});
