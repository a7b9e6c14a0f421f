/**
 * X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem, NamedGroup 0x11EC) in a DTLS 1.3 handshake between
 * our client and our server behind the stateless endpoint (no other peer has it: no Debian stack
 * does). Its client share is 1216 bytes, so at a small MTU the ClientHello comes in fragments
 * (RFC 9147 5.2, 5.5) that the endpoint puts together within its bounds (ClientHelloFragments:
 * one partial ClientHello per address, nothing kept once answered) before it answers with the
 * HelloRetryRequest cookie of RFC 9147 5.1; the second ClientHello, with the cookie and the same
 * large share, comes in fragments too. And the HelloRetryRequest path of RFC 8446 4.1.4: a client
 * that sends only an X25519 share is asked for the hybrid group. The group's known answers (ACVP
 * ML-KEM-768 + RFC 7748 X25519 in the draft's order, ML-KEM first): test/crypto/key-share-groups-13.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { resolveClientOptions } from '../../src/options.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { findExtension } from '../../src/handshake/extensions/extension.js';
import { decodeKeyShareClientHello, decodeKeyShareHelloRetryRequest, decodeKeyShareServerHello } from '../../src/handshake/extensions/key-share.js';
import { decodeSupportedGroups } from '../../src/handshake/extensions/supported-groups.js';
import { decodeHandshakeFragments, type HandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { splitRecords } from '../../src/record/datagram.js';
import { clientPsk } from '../support/psk.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { Pair } from './harness.js';

const HYBRID = 0x11ec;
const X25519 = 0x1d;
const V13 = { maxVersion: 'DTLSv1.3' } as const;

/** The epoch-0 handshake fragments of one direction, in wire order. */
function plaintextFragments(p: Pair, direction: 'c2s' | 's2c'): HandshakeFragment[] {
  return p.wire
    .filter((w) => w.direction === direction)
    .flatMap((w) => splitRecords(w.datagram))
    .filter((r) => r.header.type === 22 && r.header.epoch === 0 && r.header.version !== 0xfefc)
    .flatMap((r) => {
      try {
        return decodeHandshakeFragments(r.fragment);
      } catch {
        return [];
      }
    });
}

/** The whole epoch-0 messages of a type (by message_seq, from their fragments) and how many fragments each came in. */
function messages(p: Pair, direction: 'c2s' | 's2c', msgType: HandshakeType): { seq: number; fragments: number; body: Uint8Array }[] {
  const bySeq = new Map<number, HandshakeFragment[]>();
  for (const f of plaintextFragments(p, direction)) {
    if (f.msgType !== msgType) continue;
    const list = bySeq.get(f.messageSeq) ?? [];
    if (!list.some((g) => g.fragmentOffset === f.fragmentOffset)) list.push(f);
    bySeq.set(f.messageSeq, list);
  }
  return [...bySeq.entries()].map(([seq, list]) => {
    const length = list[0]?.length ?? 0;
    const body = new Uint8Array(length);
    for (const f of list) body.set(f.body, f.fragmentOffset);
    return { seq, fragments: list.length, body };
  });
}

const clientHellos = (p: Pair): ReturnType<typeof messages> => messages(p, 'c2s', HandshakeType.client_hello);

function keyShareGroups(body: Uint8Array): number[] {
  const ext = findExtension(decodeClientHello(body).extensions, ExtensionType.key_share);
  return ext === undefined ? [] : decodeKeyShareClientHello(ext.data).map((s) => s.group);
}

function serverHellos(p: Pair): ReturnType<typeof decodeServerHello>[] {
  return messages(p, 's2c', HandshakeType.server_hello).map((m) => decodeServerHello(m.body));
}

async function echo(p: Pair): Promise<void> {
  p.client.send(Buffer.from('post-quantum ping'));
  p.s.send(Buffer.from('post-quantum pong'));
  await p.run();
  const data = (events: readonly { type: string }[]): string[] => events.flatMap((e) => ('data' in e && e.data instanceof Uint8Array ? [Buffer.from(e.data).toString()] : []));
  expect(data(p.serverEvents)).toContain('post-quantum ping');
  expect(data(p.clientEvents)).toContain('post-quantum pong');
}

describe('X25519MLKEM768 in a DTLS 1.3 handshake (our client, our stateless server endpoint)', () => {
  it('MTU 500: both ClientHellos (1216-byte share) in fragments, put together by the endpoint, the cookie exchange, a hybrid ServerHello', async () => {
    const groups = ['x25519mlkem768', 'x25519'] as const;
    const p = await new Pair({
      client: { ...V13, mtu: 500, groups: [...groups], psk: undefined, x509: clientX509() },
      server: { ...V13, mtu: 500, groups: [...groups], psk: undefined, x509: serverX509('ecdsa') },
    }).handshake();
    expect(p.client.protocol).toBe('DTLSv1.3');
    expect(p.s.protocol).toBe('DTLSv1.3');
    const hellos = clientHellos(p);
    expect(hellos.map((h) => h.seq)).toEqual([0, 1]);
    for (const h of hellos) {
      expect(h.fragments, `ClientHello ${h.seq}`).toBeGreaterThanOrEqual(3);
      expect(keyShareGroups(h.body)).toEqual([HYBRID]);
    }
    // Every datagram within the MTU, the endpoint's one reply (the HelloRetryRequest with the cookie) no larger than what came.
    for (const w of p.wire) expect(w.datagram.length).toBeLessThanOrEqual(500);
    expect(p.endpointReplies.length).toBe(1);
    const [hrr, sh] = serverHellos(p);
    expect(findExtension(hrr?.extensions ?? [], ExtensionType.key_share)).toBeUndefined(); // no group asked for: the cookie alone
    const share = decodeKeyShareServerHello(findExtension(sh?.extensions ?? [], ExtensionType.key_share)?.data ?? new Uint8Array(0));
    expect(share.group).toBe(HYBRID);
    expect(share.keyExchange.length).toBe(1088 + 32);
    await echo(p);
  });

  it('HelloRetryRequest (RFC 8446 4.1.4): the client sends an X25519 share, the server (groups: [x25519mlkem768]) asks for the hybrid group, the second ClientHello carries it in fragments', async () => {
    const p = await new Pair({
      client: { ...V13, mtu: 600, groups: ['x25519', 'x25519mlkem768'], psk: clientPsk() },
      // DTLS 1.3 only: a group list without a curve leaves DTLS 1.2's ECDHE_PSK nothing to run.
      server: { ...V13, minVersion: 'DTLSv1.3', mtu: 600, groups: ['x25519mlkem768'] },
    }).handshake();
    expect(p.s.protocol).toBe('DTLSv1.3');
    const [first, second] = clientHellos(p);
    expect(keyShareGroups(first?.body ?? new Uint8Array(0))).toEqual([X25519]);
    expect(first?.fragments).toBe(1);
    expect(keyShareGroups(second?.body ?? new Uint8Array(0))).toEqual([HYBRID]);
    expect(second?.fragments).toBeGreaterThanOrEqual(2);
    const [hrr, sh] = serverHellos(p);
    expect(decodeKeyShareHelloRetryRequest(findExtension(hrr?.extensions ?? [], ExtensionType.key_share)?.data ?? new Uint8Array(0))).toBe(HYBRID);
    expect(decodeKeyShareServerHello(findExtension(sh?.extensions ?? [], ExtensionType.key_share)?.data ?? new Uint8Array(0)).group).toBe(HYBRID);
    await echo(p);
  });

  it('off by default: a server without it in groups answers a hybrid share with a HelloRetryRequest for X25519; a default client offers none', async () => {
    const p = await new Pair({ client: { ...V13, groups: ['x25519mlkem768', 'x25519'], psk: clientPsk() }, server: V13 }).handshake();
    expect(p.s.protocol).toBe('DTLSv1.3');
    const [hrr, sh] = serverHellos(p);
    expect(decodeKeyShareHelloRetryRequest(findExtension(hrr?.extensions ?? [], ExtensionType.key_share)?.data ?? new Uint8Array(0))).toBe(X25519);
    expect(decodeKeyShareServerHello(findExtension(sh?.extensions ?? [], ExtensionType.key_share)?.data ?? new Uint8Array(0)).group).toBe(X25519);
    // And a default client offers neither a share of it nor support for it.
    const q = await new Pair({ client: V13, server: V13 }).handshake();
    const [hello] = clientHellos(q);
    const ext = findExtension(decodeClientHello(hello?.body ?? new Uint8Array(0)).extensions, ExtensionType.supported_groups);
    expect(decodeSupportedGroups(ext?.data ?? new Uint8Array(0))).toEqual([X25519, 0x17, 0x18]);
    expect(keyShareGroups(hello?.body ?? new Uint8Array(0))).toEqual([X25519]);
  });

  it('groups: x25519mlkem768 needs DTLS 1.3, and a curve when DTLS 1.2 ECDHE may run', () => {
    expect(() => resolveClientOptions({ psk: clientPsk(), maxVersion: 'DTLSv1.2', groups: ['x25519mlkem768', 'x25519'] })).toThrow(/DTLS 1\.3 group/);
    // by default 1.3 is offered too: the hybrid group goes to 1.3, x25519 to both
    expect(resolveClientOptions({ psk: clientPsk(), groups: ['x25519mlkem768', 'x25519'] }).groups13).toEqual(['x25519mlkem768', 'x25519']);
    expect(() => resolveClientOptions({ psk: clientPsk(), maxVersion: 'DTLSv1.3', groups: ['x25519mlkem768'] })).toThrow(/no elliptic curve/);
    expect(resolveClientOptions({ psk: clientPsk(), minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3', groups: ['x25519mlkem768'] }).groups13).toEqual(['x25519mlkem768']);
    // @ts-expect-error: not a group
    expect(() => resolveClientOptions({ psk: clientPsk(), maxVersion: 'DTLSv1.3', groups: ['x448'] })).toThrow(/unknown group x448/);
  });
});
