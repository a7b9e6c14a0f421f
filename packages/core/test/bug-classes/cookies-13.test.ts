/**
 * Bug class 4 for DTLS 1.3: the HelloRetryRequest cookie (RFC 9147 5.1, RFC 8446 4.2.2). The
 * stateless endpoint answers a ClientHello without a cookie with a HelloRetryRequest and keeps
 * nothing; only a second ClientHello whose cookie is ours, for this address, for this client's
 * ClientHello (its random, session ID and suites), made under a key still accepted, creates a
 * connection. Anything else is dropped without an answer: a stateless server cannot tell a stale
 * cookie from a forged one, and a second HelloRetryRequest would only make the client abort
 * (RFC 8446 4.1.4). Also: the ClientHello with the cookie is message_seq 1 (RFC 9147 5.2), and its
 * record sequence number leaves our ServerHello room below 2^48.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/bytes.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { decodeCookie, encodeCookie } from '../../src/handshake/extensions/cookie.js';
import { findExtension } from '../../src/handshake/extensions/extension.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import type { HandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { encodeRecord, MAX_SEQUENCE_NUMBER } from '../../src/record/record-header.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { editHandshake, Pair } from '../engine/harness.js';
import { serverPsk } from '../support/psk.js';
import { handshakeTypes } from '../support/wire.js';
import { V13 } from './inject-13.js';

const PEER = '192.0.2.7:40000';

/** A real 1.3 handshake's first ClientHello and the one with the cookie, as they went on the wire. */
async function realHellos(options: { cookieRotationMs?: number } = {}): Promise<{ p: Pair; first: Uint8Array; second: Uint8Array }> {
  const p = await new Pair({ client: V13, server: { ...V13, ...options }, peer: PEER }).handshake();
  const hellos = p.wire.filter((w) => w.direction === 'c2s' && handshakeTypes(w.datagram).includes(HandshakeType.client_hello)).map((w) => w.datagram);
  const [first, second] = hellos;
  if (first === undefined || second === undefined) throw new Error('no two ClientHellos on the wire');
  return { p, first, second };
}

function helloOf(d: Uint8Array): HandshakeFragment {
  const f = splitRecords(d).flatMap((r) => decodeHandshakeFragments(r.fragment))[0];
  if (f === undefined) throw new Error('no ClientHello');
  return f;
}

/** The ClientHello datagram with its cookie extension's cookie replaced. */
function withCookie(d: Uint8Array, edit: (cookie: Uint8Array) => Uint8Array): Uint8Array {
  return editHandshake(d, (f) => {
    const hello = decodeClientHello(f.body);
    const extensions = hello.extensions.map((e) => (e.type === ExtensionType.cookie ? { type: e.type, data: encodeCookie(edit(decodeCookie(e.data))) } : e));
    const body = encodeClientHello({ ...hello, extensions });
    return [{ ...f, length: body.length, fragmentOffset: 0, body }];
  });
}

function cookieOf(d: Uint8Array): Uint8Array {
  const ext = findExtension(decodeClientHello(helloOf(d).body).extensions, ExtensionType.cookie);
  if (ext === undefined) throw new Error('no cookie');
  return decodeCookie(ext.data);
}

describe('a forged or altered cookie: dropped, no answer, no connection', () => {
  it.each([
    ['one bit of the tag flipped', (c: Uint8Array): Uint8Array => Uint8Array.of(...c.subarray(0, c.length - 1), (c[c.length - 1] ?? 0) ^ 1)],
    ['one bit of the state (the ClientHello1 hash) flipped', (c: Uint8Array): Uint8Array => Uint8Array.of(...c.subarray(0, 10), (c[10] ?? 0) ^ 1, ...c.subarray(11))],
    ['another suite in the state', (c: Uint8Array): Uint8Array => Uint8Array.of(c[0] ?? 0, 0x13, 0x02, ...c.subarray(3))],
    ['truncated', (c: Uint8Array): Uint8Array => c.subarray(0, c.length - 1)],
    ['extended', (c: Uint8Array): Uint8Array => concatBytes(c, Uint8Array.of(0))],
    ['random bytes of the same length', (c: Uint8Array): Uint8Array => new Uint8Array(c.length).fill(0x5a)],
    ['one byte', (): Uint8Array => Uint8Array.of(0x13)],
    ['a DTLS 1.2 HelloVerifyRequest-sized cookie of zeros', (): Uint8Array => new Uint8Array(32)],
  ])('%s', async (_name, edit) => {
    const { p, second } = await realHellos();
    expect(p.endpoint.handle(second, PEER, p.now).type).toBe('accept');
    const r = p.endpoint.handle(withCookie(second, edit), PEER, p.now);
    expect(r.type).toBe('drop');
  });

  it('a cookie lifted into another client’s ClientHello (another random): dropped', async () => {
    const { p, second } = await realHellos();
    const other = editHandshake(second, (f) => {
      const hello = decodeClientHello(f.body);
      const random = hello.random.slice();
      random[0] = (random[0] ?? 0) ^ 1;
      const body = encodeClientHello({ ...hello, random });
      return [{ ...f, body, length: body.length, fragmentOffset: 0 }];
    });
    expect(p.endpoint.handle(other, PEER, p.now).type).toBe('drop');
  });
});

describe('a real cookie replayed', () => {
  it.each([
    ['the same address, another port', '192.0.2.7:40001'],
    ['another address, the same port', '192.0.2.8:40000'],
    ['an IPv6 peer', '[2001:db8::7]:40000'],
  ])('from %s: dropped, no answer (the cookie binds the address)', async (_name, peer) => {
    const { p, second } = await realHellos();
    expect(p.endpoint.handle(second, peer, p.now).type).toBe('drop');
  });

  it('from the right peer it is accepted again (stateless: the runtime routes a known peer to its connection)', async () => {
    const { p, second } = await realHellos();
    expect(p.endpoint.handle(second, PEER, p.now).type).toBe('accept');
  });
});

describe('an expired cookie (cookieRotationMs 10 s: a cookie holds one to two periods)', () => {
  it.each([
    [5_000, 'accept'],
    [30_000, 'drop'],
    [3_600_000, 'drop'],
  ])('%i ms later: %s', async (later, outcome) => {
    const { p, second } = await realHellos({ cookieRotationMs: 10_000 });
    expect(p.endpoint.handle(second, PEER, p.now + later).type).toBe(outcome);
  });
});

describe('a ClientHello without a cookie is answered statelessly', () => {
  it('1,000 of them from 1,000 addresses: a HelloRetryRequest each (with a cookie), no connection, no state; the same one twice gets the same answer', async () => {
    const { first } = await realHellos();
    const endpoint = new ServerEndpoint({ ...V13, psk: serverPsk() });
    for (let i = 0; i < 1000; i++) {
      const peer = `198.51.100.${i % 250}:${10_000 + i}`;
      const r = endpoint.handle(first, peer, 1_000);
      expect(r.type).toBe('reply');
      if (r.type !== 'reply') continue;
      const hrr = decodeServerHello(helloOf(r.datagram).body);
      expect(findExtension(hrr.extensions, ExtensionType.cookie)).toBeDefined();
      const again = endpoint.handle(first, peer, 1_000);
      expect(again.type === 'reply' && Buffer.from(again.datagram).equals(Buffer.from(r.datagram))).toBe(true);
    }
  });

  it('the client’s second ClientHello without the cookie (stripped on path) gets a HelloRetryRequest again, not a connection', async () => {
    const { p, second } = await realHellos();
    const stripped = editHandshake(second, (f) => {
      const hello = decodeClientHello(f.body);
      const body = encodeClientHello({ ...hello, extensions: hello.extensions.filter((e) => e.type !== ExtensionType.cookie) });
      return [{ ...f, body, length: body.length, fragmentOffset: 0 }];
    });
    const r = p.endpoint.handle(stripped, PEER, p.now);
    expect(r.type).toBe('reply');
    if (r.type === 'reply') expect(handshakeTypes(r.datagram)).toEqual([HandshakeType.server_hello]);
  });
});

describe('the ClientHello with the cookie: message_seq and record sequence number (RFC 9147 5.2, 5.1)', () => {
  it.each([0, 2, 7, 65535])('at message_seq %i instead of 1: dropped (our flight would number on from it)', async (seq) => {
    const { p, second } = await realHellos();
    expect(helloOf(second).messageSeq).toBe(1);
    const moved = editHandshake(second, (f) => [{ ...f, messageSeq: seq }]);
    expect(p.endpoint.handle(moved, PEER, p.now).type).toBe('drop');
  });

  it('at a record sequence number too close to 2^48 - 1 for our ServerHello: dropped; a high one with room: accepted', async () => {
    const { p, second } = await realHellos();
    const at = (sequenceNumber: number): Uint8Array => concatBytes(...splitRecords(second).map((r) => encodeRecord({ ...r.header, sequenceNumber }, r.fragment)));
    expect(p.endpoint.handle(at(MAX_SEQUENCE_NUMBER - 1), PEER, p.now).type).toBe('drop');
    expect(p.endpoint.handle(at(2 ** 40), PEER, p.now).type).toBe('accept');
  });

  it('a cookie ClientHello with the cookie of one handshake and the record of another type: dropped', async () => {
    const { p, second } = await realHellos();
    expect(cookieOf(second).length).toBeGreaterThan(16);
    const asAlert = concatBytes(...splitRecords(second).map((r) => encodeRecord({ ...r.header, type: ContentType.alert }, r.fragment)));
    expect(p.endpoint.handle(asAlert, PEER, p.now).type).toBe('drop');
  });
});
