/**
 * record_size_limit (RFC 8449) and max_fragment_length (RFC 6066 4) between two engines: what each
 * side offers and answers, the peer's limit bounding every record we send (application data and
 * handshake fragments, with the MTU: the smaller wins), record_overflow for a record over the limit
 * we advertised, and illegal_parameter for values the RFCs forbid. Interop with OpenSSL and GnuTLS:
 * packages/nonblocking/test/record-size-limit-interop.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeServerHello, encodeServerHello } from '../../src/handshake/messages/server-hello.js';
import type { Extension } from '../../src/handshake/extensions/extension.js';
import { editHandshake, expectLocalFailure, expectPeerFailure, Pair, plainRecord, recordsOf, withBody, type Direction } from './harness.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';

const GCM = 'PSK-AES128-GCM-SHA256';
/** What an AES-GCM record adds around its plaintext: explicit nonce and tag (RFC 5288 3). */
const GCM_EXPANSION = 8 + 16;
const ECDSA = 'ECDHE-ECDSA-AES128-GCM-SHA256';

/** The extensions of the hello of `msgType` sent in `direction`. */
function helloExtensions(p: Pair, direction: Direction, msgType: number): Extension[] {
  for (const w of p.wire) {
    if (w.direction !== direction) continue;
    for (const r of splitRecords(w.datagram)) {
      if (r.header.type !== ContentType.handshake || r.header.epoch !== 0) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) {
        if (f.msgType !== msgType) continue;
        return msgType === HandshakeType.client_hello ? decodeClientHello(f.body).extensions : decodeServerHello(f.body).extensions;
      }
    }
  }
  throw new Error(`no hello ${msgType} in ${direction}`);
}

/** The plaintext length of every record sent in `direction` (epoch 0 as it is; later epochs less the GCM expansion). */
function plaintextLengths(p: Pair, direction: Direction): { epoch: number; type: number; length: number }[] {
  return p.wire
    .filter((w) => w.direction === direction)
    .flatMap((w) => splitRecords(w.datagram))
    .map((r) => ({ epoch: r.header.epoch, type: r.header.type, length: r.header.epoch === 0 ? r.fragment.length : r.fragment.length - GCM_EXPANSION }));
}

function types(ext: readonly Extension[]): number[] {
  return ext.map((e) => e.type);
}

describe('record_size_limit (RFC 8449)', () => {
  it('client 256, server 512: each side sends at most the other\'s limit; maxPayload says so; one byte more is a RangeError', async () => {
    const p = await new Pair({ client: { cipherSuites: GCM, recordSizeLimit: 256 }, server: { recordSizeLimit: 512 } }).handshake();
    expect(p.client.recordSizeLimit).toEqual({ extension: 'record_size_limit', send: 512, receive: 256 });
    expect(p.s.recordSizeLimit).toEqual({ extension: 'record_size_limit', send: 256, receive: 512 });
    // The MTU (1200 by default) leaves more: the peer's limit is the smaller.
    expect(p.client.maxPayload).toBe(512);
    expect(p.s.maxPayload).toBe(256);
    const ch = helloExtensions(p, 'c2s', HandshakeType.client_hello).find((e) => e.type === ExtensionType.record_size_limit);
    expect(ch?.data).toEqual(Uint8Array.of(0x01, 0x00)); // uint16 256
    const sh = helloExtensions(p, 's2c', HandshakeType.server_hello).find((e) => e.type === ExtensionType.record_size_limit);
    expect(sh?.data).toEqual(Uint8Array.of(0x02, 0x00)); // uint16 512

    const before = p.wire.length;
    p.client.send(new Uint8Array(512).fill(1));
    p.s.send(new Uint8Array(256).fill(2));
    await p.run();
    const sent = p.wire.slice(before).flatMap((w) => splitRecords(w.datagram).map((r) => ({ d: w.direction, length: r.fragment.length - GCM_EXPANSION })));
    expect(sent).toEqual([{ d: 'c2s', length: 512 }, { d: 's2c', length: 256 }]);
    expect(p.serverEvents.flatMap((e) => (e.type === 'data' ? [e.data.length] : []))).toEqual([512]);
    expect(p.clientEvents.flatMap((e) => (e.type === 'data' ? [e.data.length] : []))).toEqual([256]);

    expect(() => p.s.send(new Uint8Array(257))).toThrow(
      new RangeError('send() of 257 bytes: the peer accepts records of at most 256 bytes (its record_size_limit, RFC 8449 4); split the message'),
    );
    // With a smaller MTU, the MTU is the bound again.
    const q = await new Pair({ client: { cipherSuites: GCM, recordSizeLimit: 1024, mtu: 300 }, server: { mtu: 300 } }).handshake();
    expect(q.s.recordSizeLimit?.send).toBe(1024);
    expect(q.s.maxPayload).toBe(300 - 13 - GCM_EXPANSION);

    // Nothing is offered or answered by default (a server's own limit is answered only to an offer).
    const d = await new Pair({ server: { recordSizeLimit: 512 } }).handshake();
    expect(types(helloExtensions(d, 'c2s', HandshakeType.client_hello))).not.toContain(ExtensionType.record_size_limit);
    expect(types(helloExtensions(d, 's2c', HandshakeType.server_hello))).not.toContain(ExtensionType.record_size_limit);
    expect(d.client.recordSizeLimit).toBeUndefined();
    expect(d.s.recordSizeLimit).toBeUndefined();
  });

  it('a client limit of 64 bounds every record of the server\'s flights, Certificate fragments included', async () => {
    const p = await new Pair({
      client: { cipherSuites: ECDSA, x509: clientX509(), servername: 'localhost', recordSizeLimit: 64 },
      server: { x509: serverX509('ecdsa') },
    }).handshake();
    // A server without the option answers with 2^14 (RFC 8449 4: "Endpoints SHOULD advertise").
    expect(p.client.recordSizeLimit).toEqual({ extension: 'record_size_limit', send: 16384, receive: 64 });
    const fromServer = plaintextLengths(p, 's2c');
    const afterHello = fromServer.slice(1); // the first is the HelloVerifyRequest (the endpoint's, before any ClientHello with a limit)
    expect(afterHello.length).toBeGreaterThan(10);
    expect(Math.max(...afterHello.map((r) => r.length))).toBeLessThanOrEqual(64);
    expect(afterHello.some((r) => r.epoch === 1)).toBe(true);
    // The client's flights are bounded by the server's 2^14 and the MTU only.
    expect(Math.max(...plaintextLengths(p, 'c2s').map((r) => r.length))).toBeGreaterThan(64);
    expect(p.s.maxPayload).toBe(64);
  });

  it('a record over the limit we advertised: record_overflow (RFC 8449 4), and the peer is told; one at the limit is read, an unprotected one is no proof', async () => {
    const p = await new Pair({ client: { cipherSuites: GCM, recordSizeLimit: 256 } }).handshake();
    // The peer ignores our limit: a record it can authenticate, sealed past the check of send().
    const forged = recordsOf(p.s);
    forged.sendPlaintextLimit = 16384;
    p.client.receive(forged.seal(ContentType.application_data, new Uint8Array(256).fill(7)), p.now);
    p.drainEvents();
    expect(p.clientEvents.flatMap((e) => (e.type === 'data' ? [e.data.length] : []))).toEqual([256]);
    // An unprotected record over the limit proves no sender (an off-path attacker's epoch-0
    // handshake fragment of 300 bytes): no alert for it, the connection stays.
    p.client.receive(plainRecord(ContentType.handshake, new Uint8Array(300), 99), p.now);
    await p.run();
    expect(p.client.state).toBe('established');
    p.client.receive(forged.seal(ContentType.application_data, new Uint8Array(257).fill(7)), p.now);
    await p.run();
    console.log(`257 bytes over a 256 limit: ${p.client.error?.message}`);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.record_overflow);
    expect(p.client.error?.message).toMatch(/record of 257 plaintext bytes in epoch 1, over the 256 we advertised with record_size_limit/);
    expectPeerFailure(p.s, p.serverEvents, AlertDescription.record_overflow);
  });

  it('refuses a recordSizeLimit outside 64..16384 (RFC 8449 4, DTLS 1.2)', () => {
    expect(() => new Pair({ client: { recordSizeLimit: 63 } })).toThrow(RangeError);
    expect(() => new Pair({ client: { recordSizeLimit: 16385 } })).toThrow(/recordSizeLimit must be an integer 64\.\.16384/);
    expect(() => new Pair({ server: { recordSizeLimit: 1.5 } })).toThrow(RangeError);
  });

  it.each([
    [63, 'below 64'],
    [16385, 'above DTLS 1.2'],
  ])('a server answering %i (%s): the client ends with illegal_parameter', async (value) => {
    const p = new Pair({
      client: { recordSizeLimit: 512 },
      tap: (d, direction) =>
        direction === 's2c'
          ? [
              editHandshake(d, (f) => {
                if (f.msgType !== HandshakeType.server_hello) return [f];
                const sh = decodeServerHello(f.body);
                const extensions = sh.extensions.map((e) => (e.type === ExtensionType.record_size_limit ? { type: e.type, data: Uint8Array.of(value >> 8, value & 0xff) } : e));
                return [withBody(f, encodeServerHello({ ...sh, extensions }))];
              }),
            ]
          : [d],
    });
    p.start();
    await p.run(60_000);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(p.s, p.serverEvents, AlertDescription.illegal_parameter);
  });

  it('a client offering 63: the server ends with illegal_parameter', async () => {
    const p = new Pair({
      client: { recordSizeLimit: 64 },
      tap: (d, direction) =>
        direction === 'c2s'
          ? [
              editHandshake(d, (f) => {
                if (f.msgType !== HandshakeType.client_hello) return [f];
                const ch = decodeClientHello(f.body);
                const extensions = ch.extensions.map((e) => (e.type === ExtensionType.record_size_limit ? { type: e.type, data: Uint8Array.of(0, 63) } : e));
                return [withBody(f, encodeClientHello({ ...ch, extensions }))];
              }),
            ]
          : [d],
    });
    p.start();
    await p.run(60_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
  });
});

describe('max_fragment_length (RFC 6066 4)', () => {
  it('client asks 512: the server echoes it, and both directions are bounded by it, flight 4 included', async () => {
    const p = await new Pair({
      client: { cipherSuites: ECDSA, x509: clientX509(), servername: 'localhost', maxFragmentLength: 512, mtu: 1400 },
      server: { x509: serverX509('ecdsa'), mtu: 1400 },
    }).handshake();
    const ch = helloExtensions(p, 'c2s', HandshakeType.client_hello).find((e) => e.type === ExtensionType.max_fragment_length);
    expect(ch?.data).toEqual(Uint8Array.of(1)); // 2^9
    const sh = helloExtensions(p, 's2c', HandshakeType.server_hello).find((e) => e.type === ExtensionType.max_fragment_length);
    expect(sh?.data).toEqual(Uint8Array.of(1));
    expect(p.client.recordSizeLimit).toEqual({ extension: 'max_fragment_length', send: 512, receive: 512 });
    expect(p.s.recordSizeLimit).toEqual({ extension: 'max_fragment_length', send: 512, receive: 512 });
    expect(Math.max(...plaintextLengths(p, 's2c').slice(1).map((r) => r.length))).toBeLessThanOrEqual(512);
    expect(p.client.maxPayload).toBe(512);
    expect(p.s.maxPayload).toBe(512);
    expect(() => p.client.send(new Uint8Array(513))).toThrow(/at most 512 bytes \(its max_fragment_length, RFC 6066 4\)/);
  });

  it('both offered: the server answers record_size_limit only and ignores max_fragment_length (RFC 8449 5)', async () => {
    const p = await new Pair({ client: { cipherSuites: GCM, maxFragmentLength: 1024, recordSizeLimit: 300 } }).handshake();
    expect(types(helloExtensions(p, 'c2s', HandshakeType.client_hello))).toEqual(expect.arrayContaining([ExtensionType.max_fragment_length, ExtensionType.record_size_limit]));
    const answered = types(helloExtensions(p, 's2c', HandshakeType.server_hello));
    expect(answered).toContain(ExtensionType.record_size_limit);
    expect(answered).not.toContain(ExtensionType.max_fragment_length);
    expect(p.s.recordSizeLimit).toEqual({ extension: 'record_size_limit', send: 300, receive: 16384 });
    expect(p.s.maxPayload).toBe(300);
  });

  /** A tap that rewrites the max_fragment_length of every hello sent in `direction` to `code`. */
  function rewriteMfl(direction: Direction, code: number) {
    return (d: Uint8Array, dir: Direction): Uint8Array[] => {
      if (dir !== direction) return [d];
      return [
        editHandshake(d, (f) => {
          const mfl = (e: Extension): Extension => (e.type === ExtensionType.max_fragment_length ? { type: e.type, data: Uint8Array.of(code) } : e);
          if (f.msgType === HandshakeType.client_hello) {
            const ch = decodeClientHello(f.body);
            return [withBody(f, encodeClientHello({ ...ch, extensions: ch.extensions.map(mfl) }))];
          }
          if (f.msgType === HandshakeType.server_hello) {
            const sh = decodeServerHello(f.body);
            return [withBody(f, encodeServerHello({ ...sh, extensions: sh.extensions.map(mfl) }))];
          }
          return [f];
        }),
      ];
    };
  }

  it('a ClientHello asking an unknown value (5): illegal_parameter from the server', async () => {
    const p = new Pair({ client: { maxFragmentLength: 512 }, tap: rewriteMfl('c2s', 5) });
    p.start();
    await p.run(60_000);
    console.log(`max_fragment_length 5: ${p.s.error?.message}`);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
  });

  it('a server answering another length than asked: illegal_parameter from the client', async () => {
    const p = new Pair({ client: { maxFragmentLength: 512 }, tap: rewriteMfl('s2c', 2) });
    p.start();
    await p.run(60_000);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expect(p.client.error?.message).toMatch(/answered max_fragment_length 1024, we asked for 512/);
  });

  it('refuses a maxFragmentLength other than 512, 1024, 2048, 4096', () => {
    // @ts-expect-error: 300 is not a MaxFragmentLength; JavaScript callers can still pass it.
    expect(() => new Pair({ client: { maxFragmentLength: 300 } })).toThrow(/maxFragmentLength must be 512, 1024, 2048 or 4096/);
  });
});
