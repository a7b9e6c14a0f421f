/**
 * Bug class 4: cookies (RFC 6347 4.2.1). The cookie binds the client's address and port and its
 * ClientHello; the server keeps nothing for a client until it returns a valid cookie; the
 * HelloVerifyRequest is never retransmitted by the server (it has no state to do it with: the
 * client's timer drives the exchange); the client takes cookies up to 255 bytes.
 *
 * Covered in ../engine/cookies.test.ts and not repeated: a cookie from another address, with
 * another random / suites / session id / version / compression, truncated, extended, flipped,
 * empty or 255 bytes of junk (each a fresh HelloVerifyRequest); 10,000 spoofed ClientHellos leave
 * the endpoint's memory exactly as it was; secret rotation; our client echoing a 255-byte cookie
 * and giving up on a server that never stops asking.
 */
import { describe, expect, it } from 'vitest';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { decodeHelloVerifyRequest } from '../../src/handshake/messages/hello-verify-request.js';
import { Pair } from '../engine/harness.js';
import { handshakeTypes, records } from '../support/wire.js';

/** The ClientHello with a cookie (message_seq 1) of a real handshake, as it went on the wire. */
async function realCookieHello(): Promise<{ p: Pair; datagram: Uint8Array }> {
  const p = await new Pair({ peer: '192.0.2.7:40000' }).handshake();
  const withCookie = p.wire.find(
    (w) => w.direction === 'c2s' && handshakeTypes(w.datagram).includes(HandshakeType.client_hello) && records(w.datagram).some((r) => decodeHandshakeFragments(r.fragment)[0]?.messageSeq === 1),
  );
  if (!withCookie) throw new Error('no ClientHello with a cookie on the wire');
  return { p, datagram: withCookie.datagram };
}

describe('a real cookie replayed', () => {
  it.each([
    ['the same address, another port', '192.0.2.7:40001'],
    ['another address, the same port', '192.0.2.8:40000'],
    ['an IPv6 peer', '[2001:db8::7]:40000'],
  ])('from %s: a fresh HelloVerifyRequest, no connection', async (_name, peer) => {
    const { p, datagram } = await realCookieHello();
    const r = p.endpoint.handle(datagram, peer, p.now);
    expect(r.type).toBe('reply');
    if (r.type === 'reply') expect(handshakeTypes(r.datagram)).toEqual([HandshakeType.hello_verify_request]);
  });

  it('from the right peer it is accepted again (stateless: the endpoint cannot tell a replay; the runtime routes a known peer to its connection)', async () => {
    const { p, datagram } = await realCookieHello();
    expect(p.endpoint.handle(datagram, '192.0.2.7:40000', p.now).type).toBe('accept');
  });
});

describe('the HelloVerifyRequest is never retransmitted by the server (RFC 6347 4.2.1)', () => {
  it('every HelloVerifyRequest lost for 20 s: exactly one per ClientHello received, none on any timer', async () => {
    const p = new Pair({ client: { handshakeTimeoutMs: 20_000 } });
    p.tap = (d, dir) => (dir === 's2c' ? [] : [d]);
    p.start();
    await p.run(30_000);
    const hellos = p.wire.filter((w) => w.direction === 'c2s' && handshakeTypes(w.datagram).includes(HandshakeType.client_hello)).length;
    expect(hellos).toBeGreaterThan(3); // the client's timer resent it: 0, 1, 3, 7, 15 s
    expect(p.endpointReplies.length).toBe(hellos);
    expect(p.server).toBeUndefined();
    expect(p.client.error?.name).toBe('HandshakeTimeoutError');
    // Each answer is for its own ClientHello: the same (stateless) cookie each time.
    const cookies = new Set(p.endpointReplies.map((d) => decodeHelloVerifyRequest(decodeHandshakeFragments(records(d)[0]?.fragment ?? new Uint8Array())[0]?.body ?? new Uint8Array()).cookie.join()));
    expect(cookies.size).toBe(1);
  });
});
