/**
 * Bug class 7 for DTLS 1.3: amplification (RFC 9147 5.1: the HelloRetryRequest cookie exists so
 * that a spoofed address gets no more than it sent; RFC 9147 5: "the server ... MUST NOT send more
 * than ... " before the address is validated, as with the HelloVerifyRequest). Before the cookie
 * returns, everything the server sends to an address is the endpoint's stateless answer: we count
 * its bytes against the bytes that address sent, for any well-formed DTLS 1.3 ClientHello from the
 * smallest up, for real clients at both MTUs, and for a spoofer that never answers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { encodeKeyShareClientHello } from '../../src/handshake/extensions/key-share.js';
import { encodePskKeyExchangeModes, PskKeyExchangeMode } from '../../src/handshake/extensions/psk-key-exchange-modes.js';
import { encodeSupportedGroups } from '../../src/handshake/extensions/supported-groups.js';
import { encodeSupportedVersionsClientHello } from '../../src/handshake/extensions/supported-versions.js';
import { encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { dtls13ClientHello } from '../../src/handshake/messages/client-hello-13.js';
import { ContentType } from '../../src/record/content-type.js';
import { Pair, plainRecord } from '../engine/harness.js';
import { serverPsk } from '../support/psk.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { handshakeTypes } from '../support/wire.js';
import { bytesOf } from './inject.js';
import { V13 } from './inject-13.js';

const TLS13_SUITES = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305];
const GROUPS = [0x001d, 0x0017, 0x0018];

describe('before the cookie: the answer is never larger than the question', () => {
  it('any well-formed DTLS 1.3 ClientHello, from the smallest up, gets a HelloRetryRequest (or an alert) no larger than itself, or nothing', () => {
    const endpoint = new ServerEndpoint({ ...V13, psk: serverPsk() });
    let replies = 0;
    fc.assert(
      fc.property(
        fc.record({
          random: fc.uint8Array({ minLength: 32, maxLength: 32 }),
          sessionId: fc.uint8Array({ maxLength: 32 }),
          suites: fc.subarray(TLS13_SUITES, { minLength: 1 }),
          groups: fc.subarray(GROUPS, { minLength: 0 }),
          share: fc.option(fc.constantFrom(...GROUPS), { nil: undefined }),
          pskKe: fc.boolean(),
          sequenceNumber: fc.nat(1000),
        }),
        ({ random, sessionId, suites, groups, share, pskKe, sequenceNumber }) => {
          const extensions = [{ type: ExtensionType.supported_versions, data: encodeSupportedVersionsClientHello([0xfefc]) }];
          if (groups.length > 0) extensions.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(groups) });
          if (share !== undefined && groups.includes(share)) extensions.push({ type: ExtensionType.key_share, data: encodeKeyShareClientHello([{ group: share, keyExchange: new Uint8Array(share === 0x001d ? 32 : share === 0x0017 ? 65 : 97).fill(4) }]) });
          if (pskKe) extensions.push({ type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes([PskKeyExchangeMode.psk_ke]) });
          const body = encodeClientHello(dtls13ClientHello({ random, legacySessionId: sessionId, cipherSuites: suites, extensions }));
          const hello = plainRecord(ContentType.handshake, encodeHandshakeFragment({ msgType: HandshakeType.client_hello, length: body.length, messageSeq: 0, fragmentOffset: 0, body }), sequenceNumber);
          const r = endpoint.handle(hello, '198.51.100.20:1234', 0);
          expect(r.type).not.toBe('accept');
          if (r.type === 'reply') {
            replies++;
            expect(r.datagram.length).toBeLessThanOrEqual(hello.length);
          }
        },
      ),
      { numRuns: 400, seed: 13 },
    );
    expect(replies).toBeGreaterThan(100);
  });

  it.each([
    ['PSK, MTU 1200', { ...V13 }, { ...V13 }],
    ['PSK, MTU 200 (a fragmented ClientHello)', { ...V13, mtu: 200, groups: ['secp384r1'] as const }, { ...V13 }],
    ['ECDSA certificates', { ...V13, psk: undefined, x509: clientX509(), servername: 'localhost' }, { ...V13, psk: undefined, x509: serverX509('ecdsa') }],
  ])('a real client (%s): until its cookie came back, the server sent no more bytes than it received', async (_name, client, server) => {
    const p = new Pair({ client, server });
    p.start();
    await p.run();
    expect(p.client.state).toBe('established');
    // Everything c2s before the ClientHello with the cookie, and everything s2c before the server connection's first datagram.
    const firstServerDatagram = p.wire.findIndex((w) => w.direction === 's2c' && !p.endpointReplies.includes(w.datagram));
    const before = p.wire.slice(0, firstServerDatagram < 0 ? p.wire.length : firstServerDatagram);
    const sent = bytesOf(before.filter((w) => w.direction === 'c2s').map((w) => w.datagram));
    const answered = bytesOf(p.endpointReplies);
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThanOrEqual(sent);
    for (const reply of p.endpointReplies) expect(handshakeTypes(reply)).toEqual([HandshakeType.server_hello]);
  });
});

describe('a spoofer that never returns the cookie', () => {
  it('its ClientHellos, resent for 20 s: one HelloRetryRequest per ClientHello, none on any timer, each no larger than its ClientHello', async () => {
    const p = new Pair({ client: { ...V13, handshakeTimeoutMs: 20_000 }, server: V13 });
    // The answers go to the spoofed address: the "client" never sees them and only resends.
    p.tap = (d, dir) => (dir === 's2c' ? [] : [d]);
    p.start();
    await p.run(30_000);
    const hellos = p.wire.filter((w) => w.direction === 'c2s' && handshakeTypes(w.datagram).includes(HandshakeType.client_hello));
    expect(hellos.length).toBeGreaterThan(3);
    expect(p.endpointReplies.length).toBe(hellos.length);
    expect(p.server).toBeUndefined();
    expect(bytesOf(p.endpointReplies)).toBeLessThanOrEqual(bytesOf(hellos.map((w) => w.datagram)));
    hellos.forEach((w, i) => expect(p.endpointReplies[i]?.length ?? 0).toBeLessThanOrEqual(w.datagram.length));
  });
});
