/**
 * The stateless cookie exchange of RFC 6347 4.2.1 at the ServerEndpoint, and our client's side
 * of it: no state for a ClientHello without a valid cookie, no amplification, cookies bound to
 * the peer address and the hello, secret rotation, sequence numbers echoed, long cookies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { bytesEqual, utf8 } from '../../src/bytes.js';
import { DtlsConnection } from '../../src/connection.js';
import { ServerEndpoint, type EndpointResult } from '../../src/endpoint/server-endpoint.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { type ClientHello, decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeHelloVerifyRequest, encodeHelloVerifyRequest } from '../../src/handshake/messages/hello-verify-request.js';
import { DTLS_1_0, DTLS_1_2 } from '../../src/handshake/protocol-version.js';
import { ContentType } from '../../src/record/content-type.js';
import { DTLS_1_0_VERSION } from '../../src/record/record-header.js';
import { clientHello as clientHelloArb } from '../handshake/arbitraries.js';
import { handshakeFragment, Pair, plainRecord } from './harness.js';
import { closeEvent } from '../support/event-log.js';
import { serverPsk } from '../support/psk.js';
import { records } from '../support/wire.js';

const PEER_A = '203.0.113.5:5684';
const PEER_B = '203.0.113.6:5684';

function hello(overrides: Partial<ClientHello> = {}): ClientHello {
  return {
    clientVersion: DTLS_1_2,
    random: new Uint8Array(32).fill(0x42),
    sessionId: new Uint8Array(0),
    cookie: new Uint8Array(0),
    cipherSuites: [0x00a8, 0xccab],
    compressionMethods: [0],
    extensions: [],
    ...overrides,
  };
}

function helloDatagram(h: ClientHello, recordSeq = 0, messageSeq = 0): Uint8Array {
  return plainRecord(ContentType.handshake, handshakeFragment(HandshakeType.client_hello, messageSeq, encodeClientHello(h)), recordSeq);
}

function endpoint(options: { cookieRotationMs?: number } = {}): ServerEndpoint {
  return new ServerEndpoint({ psk: serverPsk(), cipherSuites: 'PSK-AES128-GCM-SHA256', ...options });
}

/** The HelloVerifyRequest in a reply: its record header, handshake header and cookie. */
function parseHvr(r: EndpointResult) {
  expect(r.type).toBe('reply');
  const datagram = r.type === 'reply' ? r.datagram : new Uint8Array();
  const recs = records(datagram);
  expect(recs).toHaveLength(1);
  const rec = recs[0];
  if (!rec) throw new Error('no record');
  const frags = decodeHandshakeFragments(rec.fragment);
  expect(frags).toHaveLength(1);
  const f = frags[0];
  if (!f) throw new Error('no fragment');
  expect(f.msgType).toBe(HandshakeType.hello_verify_request);
  const hvr = decodeHelloVerifyRequest(f.body);
  return { datagram, header: rec.header, fragment: f, hvr };
}

/** A rough measure of everything reachable from an object: own keys, collection sizes, buffer bytes. */
function footprint(root: unknown): number {
  const seen = new Set<unknown>();
  let n = 0;
  const visit = (v: unknown): void => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      n += v.byteLength;
      return;
    }
    if (v instanceof Map) {
      n += v.size;
      for (const [k, x] of v) {
        visit(k);
        visit(x);
      }
    } else if (v instanceof Set) {
      n += v.size;
      for (const x of v) visit(x);
    }
    for (const k of Reflect.ownKeys(v)) {
      n++;
      const d = Object.getOwnPropertyDescriptor(v, k);
      if (d && 'value' in d) visit(d.value);
    }
  };
  visit(root);
  return n + seen.size;
}

describe('stateless HelloVerifyRequest', () => {
  it('a ClientHello without a cookie gets a HelloVerifyRequest and creates nothing', () => {
    const ep = endpoint();
    const r = ep.handle(helloDatagram(hello()), PEER_A, 0);
    const { header, hvr } = parseHvr(r);
    // RFC 6347 4.2.1: version DTLS 1.0 in the HelloVerifyRequest (and its record), epoch 0.
    expect(hvr.serverVersion).toBe(DTLS_1_0);
    expect(header.version).toBe(DTLS_1_0_VERSION);
    expect(header.epoch).toBe(0);
    expect(hvr.cookie.length).toBeGreaterThan(0);
    expect(hvr.cookie.length).toBeLessThanOrEqual(255);
  });

  it('10,000 spoofed ClientHellos from different peers leave the endpoint exactly as it was', () => {
    const ep = endpoint();
    ep.handle(helloDatagram(hello()), PEER_A, 0); // the cookie secret now exists
    const before = footprint(ep);
    for (let i = 0; i < 10_000; i++) {
      const random = new Uint8Array(32);
      new DataView(random.buffer).setUint32(0, i);
      const d = helloDatagram(hello({ random }), i, 0);
      const peer = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${1024 + (i % 60000)}`;
      const r = ep.handle(d, peer, i % 1000);
      expect(r.type).toBe('reply');
      if (r.type === 'reply') expect(r.datagram.length).toBeLessThanOrEqual(d.length);
    }
    expect(footprint(ep)).toBe(before);
  });

  it('the HelloVerifyRequest is never larger than the ClientHello, and echoes its record and message sequence numbers', () => {
    fc.assert(
      fc.property(
        clientHelloArb.filter((h) => h.clientVersion <= DTLS_1_2),
        fc.oneof(fc.nat(100), fc.constant(2 ** 48 - 1)),
        fc.nat(0xffff),
        fc.constantFrom(PEER_A, PEER_B, '[2001:db8::1]:65535'),
        (h, recordSeq, messageSeq, peer) => {
          const ep = endpoint();
          const d = helloDatagram(h, recordSeq, messageSeq);
          const r = ep.handle(d, peer, 0);
          const { datagram, header, fragment } = parseHvr(r);
          expect(datagram.length).toBeLessThanOrEqual(d.length);
          expect(header.sequenceNumber).toBe(recordSeq);
          expect(fragment.messageSeq).toBe(messageSeq);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });

  it('the smallest possible ClientHello still gets an answer no larger than itself', () => {
    const h = hello({ cipherSuites: [0x00a8], extensions: [] });
    const d = helloDatagram(h);
    const { datagram } = parseHvr(endpoint().handle(d, PEER_A, 0));
    expect(datagram.length).toBeLessThanOrEqual(d.length);
  });
});

describe('cookie binding', () => {
  function cookieFor(ep: ServerEndpoint, h: ClientHello, peer: string, now: number): Uint8Array {
    return parseHvr(ep.handle(helloDatagram(h), peer, now)).hvr.cookie;
  }

  it('the same peer with the same hello and its cookie is accepted', () => {
    const ep = endpoint();
    const cookie = cookieFor(ep, hello(), PEER_A, 0);
    const r = ep.handle(helloDatagram(hello({ cookie }), 1, 1), PEER_A, 10);
    expect(r.type).toBe('accept');
    if (r.type === 'accept') {
      expect(r.connection.state).toBe('handshaking');
      expect(r.connection.handshakeState).toBe('wait_client_key_exchange');
      // Flight 4 continues the ClientHello's record and message sequence numbers (RFC 6347 4.2.1, 4.2.2).
      const out = r.connection.datagramsToSend();
      const first = records(out[0] ?? new Uint8Array())[0];
      expect(first?.header.sequenceNumber).toBe(1);
      expect(decodeHandshakeFragments(first?.fragment ?? new Uint8Array())[0]?.messageSeq).toBe(1);
    }
  });

  it('verify() only checks the cookie: it hands back the ClientHello, and acceptVerified builds the same connection elsewhere', () => {
    const ep = endpoint();
    const cookie = cookieFor(ep, hello(), PEER_A, 0);
    const datagram = helloDatagram(hello({ cookie }), 1, 1);
    expect(ep.verify(helloDatagram(hello()), PEER_A, 5).type).toBe('reply');
    const r = ep.verify(datagram, PEER_A, 10);
    expect(r.type).toBe('verified');
    if (r.type !== 'verified') return;
    expect(r.hello.recordSeq).toBe(1);
    expect(r.hello.messageSeq).toBe(1);
    expect(bytesEqual(r.hello.datagram, datagram)).toBe(true);
    // Structured-clonable: what a runtime posts to a worker thread.
    const conn = DtlsConnection.acceptVerified(ep.options, structuredClone(r.hello), 10);
    expect(conn.handshakeState).toBe('wait_client_key_exchange');
    expect(records(conn.datagramsToSend()[0] ?? new Uint8Array())[0]?.header.sequenceNumber).toBe(1);
  });

  it('a cookie replayed from another peer address gets a fresh HelloVerifyRequest', () => {
    const ep = endpoint();
    const cookie = cookieFor(ep, hello(), PEER_A, 0);
    const r = ep.handle(helloDatagram(hello({ cookie }), 1, 1), PEER_B, 10);
    const { hvr, header, fragment } = parseHvr(r);
    expect(bytesEqual(hvr.cookie, cookie)).toBe(false);
    expect(header.sequenceNumber).toBe(1);
    expect(fragment.messageSeq).toBe(1);
    // ...and that fresh cookie works for PEER_B.
    expect(ep.handle(helloDatagram(hello({ cookie: hvr.cookie }), 2, 2), PEER_B, 20).type).toBe('accept');
  });

  it.each([
    ['another random', { random: new Uint8Array(32).fill(0x43) }],
    ['other cipher suites', { cipherSuites: [0x00a8] }],
    ['another session id', { sessionId: new Uint8Array([1, 2, 3]) }],
    ['another version', { clientVersion: 0xfefc }],
    ['other compression methods', { compressionMethods: [0, 1] }],
  ])('a cookie with %s gets a fresh HelloVerifyRequest', (_name, change) => {
    const ep = endpoint();
    const cookie = cookieFor(ep, hello(), PEER_A, 0);
    const r = ep.handle(helloDatagram(hello({ ...change, cookie }), 1, 1), PEER_A, 10);
    parseHvr(r);
  });

  it.each([
    ['truncated', (c: Uint8Array) => c.subarray(0, c.length - 1)],
    ['extended', (c: Uint8Array) => new Uint8Array([...c, 0])],
    ['one bit flipped', (c: Uint8Array) => c.map((b, i) => (i === 5 ? b ^ 1 : b))],
    ['all zero', (c: Uint8Array) => new Uint8Array(c.length)],
    ['empty', () => new Uint8Array(0)],
    ['255 bytes', () => new Uint8Array(255).fill(9)],
  ])('a %s cookie gets a fresh HelloVerifyRequest', (_name, mangle) => {
    const ep = endpoint();
    const cookie = cookieFor(ep, hello(), PEER_A, 0);
    parseHvr(ep.handle(helloDatagram(hello({ cookie: mangle(cookie) }), 1, 1), PEER_A, 10));
  });
});

describe('what the endpoint drops', () => {
  it.each([
    ['a TLS record version', 0x0303],
    ['an unknown record version', 0x1234],
  ])('a ClientHello with a valid cookie in a record with %s creates no connection', (_name, version) => {
    const ep = endpoint();
    const cookie = parseHvr(ep.handle(helloDatagram(hello()), PEER_A, 0)).hvr.cookie;
    const d = plainRecord(ContentType.handshake, handshakeFragment(HandshakeType.client_hello, 1, encodeClientHello(hello({ cookie }))), 1, 0, version);
    expect(ep.handle(d, PEER_A, 1).type).toBe('drop');
    // The same hello in a DTLS 1.0 record (as some clients send their first flight) is fine.
    const ok = plainRecord(ContentType.handshake, handshakeFragment(HandshakeType.client_hello, 1, encodeClientHello(hello({ cookie }))), 1, 0, DTLS_1_0_VERSION);
    expect(ep.handle(ok, PEER_A, 1).type).toBe('accept');
  });

  it.each([
    ['an alert', plainRecord(ContentType.alert, new Uint8Array([2, 40]), 0)],
    ['application data', plainRecord(ContentType.application_data, new Uint8Array(40), 0)],
    ['an epoch-1 handshake record', plainRecord(ContentType.handshake, handshakeFragment(HandshakeType.client_hello, 0, encodeClientHello(hello())), 0, 1)],
    ['a ServerHello', plainRecord(ContentType.handshake, handshakeFragment(HandshakeType.server_hello, 0, new Uint8Array(40)), 0)],
    [
      'a fragment of a ClientHello',
      plainRecord(
        ContentType.handshake,
        (() => {
          const body = encodeClientHello(hello());
          const f = handshakeFragment(HandshakeType.client_hello, 0, body.subarray(0, 20));
          f.set([0, body.length >> 8, body.length & 0xff], 1); // whole length, first 20 bytes only
          return f;
        })(),
        0,
      ),
    ],
    ['a truncated record', helloDatagram(hello()).subarray(0, 40)],
    ['nothing', new Uint8Array(0)],
  ])('%s gets no answer', (_name, d) => {
    expect(endpoint().handle(d, PEER_A, 0).type).toBe('drop');
  });
});

describe('cookie secret rotation (cookieRotationMs)', () => {
  const R = 1000;
  function cookieAt(ep: ServerEndpoint, now: number): Uint8Array {
    return parseHvr(ep.handle(helloDatagram(hello()), PEER_A, now)).hvr.cookie;
  }
  function tryAt(ep: ServerEndpoint, cookie: Uint8Array, now: number): EndpointResult['type'] {
    return ep.handle(helloDatagram(hello({ cookie }), 1, 1), PEER_A, now).type;
  }
  /** Traffic from someone else, so the endpoint sees the time pass. */
  function tick(ep: ServerEndpoint, now: number): void {
    ep.handle(helloDatagram(hello({ random: new Uint8Array(32) })), PEER_B, now);
  }

  it('a cookie made before one rotation is accepted', () => {
    const ep = endpoint({ cookieRotationMs: R });
    const cookie = cookieAt(ep, 0);
    tick(ep, R); // rotation 1
    expect(tryAt(ep, cookie, R + 500)).toBe('accept');
  });

  it('a cookie made just before a rotation is accepted just after it', () => {
    const ep = endpoint({ cookieRotationMs: R });
    tick(ep, 0);
    const cookie = cookieAt(ep, R - 1);
    expect(tryAt(ep, cookie, R)).toBe('accept');
  });

  it('a cookie made before two rotations is refused (a fresh HelloVerifyRequest)', () => {
    const ep = endpoint({ cookieRotationMs: R });
    const cookie = cookieAt(ep, 0);
    tick(ep, R); // rotation 1
    tick(ep, 2 * R); // rotation 2
    expect(tryAt(ep, cookie, 2 * R + 1)).toBe('reply');
  });

  it('a cookie is refused after two rotation periods even when no traffic came in between', () => {
    const ep = endpoint({ cookieRotationMs: R });
    const cookie = cookieAt(ep, 0);
    expect(tryAt(ep, cookie, 2 * R)).toBe('reply');
  });

  it('a cookie made with the previous secret is refused once it has rotated out, even if verified in between', () => {
    const ep = endpoint({ cookieRotationMs: R });
    const cookie = cookieAt(ep, 0);
    expect(tryAt(ep, cookie, R)).toBe('accept'); // rotation 1: previous secret
    expect(tryAt(ep, cookie, 2 * R)).toBe('reply'); // rotation 2: gone
  });
});

describe('our client and HelloVerifyRequests', () => {
  it('a 255-byte cookie from a server is sent back unchanged, and a second HelloVerifyRequest is followed too', async () => {
    const long = new Uint8Array(255).map((_, i) => (i * 7 + 1) & 0xff);
    const sentHellos: ClientHello[] = [];
    const p: Pair = new Pair({
      client: { cipherSuites: 'PSK-AES128-GCM-SHA256' },
      tap: (d, dir, index) => {
        if (dir === 'c2s') {
          for (const r of records(d)) {
            if (r.header.epoch !== 0 || r.header.type !== ContentType.handshake) continue;
            for (const f of decodeHandshakeFragments(r.fragment)) {
              if (f.msgType === HandshakeType.client_hello) sentHellos.push(decodeClientHello(f.body));
            }
          }
        }
        if (index !== 0) return [d];
        // An on-path "server" answers the first ClientHello with a 255-byte cookie of its own.
        const first = records(d)[0];
        const body = encodeHelloVerifyRequest({ serverVersion: DTLS_1_0, cookie: long });
        p.client.receive(plainRecord(ContentType.handshake, handshakeFragment(HandshakeType.hello_verify_request, 0, body), first?.header.sequenceNumber ?? 0, 0, DTLS_1_0_VERSION), p.now);
        return [];
      },
    });
    await p.handshake();
    expect(sentHellos).toHaveLength(3);
    const [first, second, third] = sentHellos;
    expect(first?.cookie.length).toBe(0);
    expect(second?.cookie).toEqual(long);
    expect(third?.cookie.length).toBe(32);
    // RFC 6347 4.2.1: the same random, session id, suites and compression methods each time.
    for (const h of [second, third]) {
      expect(h?.random).toEqual(first?.random);
      expect(h?.cipherSuites).toEqual(first?.cipherSuites);
      expect(h?.sessionId).toEqual(first?.sessionId);
      expect(h?.compressionMethods).toEqual(first?.compressionMethods);
    }
    p.client.send(utf8('ping'));
    p.step();
    expect(p.serverEvents.filter((e) => e.type === 'data')).toHaveLength(1);
  });

  it('a server that never stops asking for cookies is given up on (handshake_failure)', async () => {
    let n = 0;
    const p: Pair = new Pair({
      client: { cipherSuites: 'PSK-AES128-GCM-SHA256' },
      tap: (d, dir) => {
        if (dir !== 'c2s') return [d];
        const body = encodeHelloVerifyRequest({ serverVersion: DTLS_1_0, cookie: new Uint8Array([n++]) });
        p.client.receive(plainRecord(ContentType.handshake, handshakeFragment(HandshakeType.hello_verify_request, n - 1, body), n), p.now);
        return [];
      },
    }).start();
    await p.run();
    expect(p.client.error?.alert).toBe(AlertDescription.handshake_failure);
    expect(closeEvent(p.clientEvents)?.error).toBe(p.client.error);
    expect(n).toBeLessThanOrEqual(6);
  });

  it('a HelloVerifyRequest with a version that is not DTLS → protocol_version', () => {
    const p = new Pair({ client: { cipherSuites: 'PSK-AES128-GCM-SHA256' } }).start();
    p.client.datagramsToSend();
    const body = encodeHelloVerifyRequest({ serverVersion: 0x0303, cookie: new Uint8Array(8) });
    p.client.receive(plainRecord(ContentType.handshake, handshakeFragment(HandshakeType.hello_verify_request, 0, body), 0), 0);
    expect(p.client.error?.alert).toBe(AlertDescription.protocol_version);
  });
});
