/**
 * Scripted faults over real sockets, with our client and server and against OpenSSL: each
 * drops, holds or shapes exactly the datagrams named, and checks both that the fault happened
 * (the relay's rule hits, what it saw) and how the handshake got over it.
 */
import type { ConnectOptions } from '@dtls-kit/nonblocking';
import { CONTENT_TYPE, HANDSHAKE_TYPE, HIDDEN_CONTENT_TYPE, type FaultRule, type WireRecord } from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from './support/credentials.js';
import { count, scripted, type ScriptedResult } from './support/scripted.js';

let pki: Pki;
beforeAll(async () => {
  pki = await makePki();
});
afterAll(() => pki.remove());

const finished = (r: WireRecord): boolean => r.contentType === CONTENT_TYPE.handshake && r.epoch >= 1;
const clientHello = (r: WireRecord): boolean => r.handshakeType === HANDSHAKE_TYPE.clientHello;
const fragment = (r: WireRecord): boolean => r.fragmentLength !== undefined && r.messageLength !== undefined && r.fragmentLength < r.messageLength;

/**
 * Our client offering DTLS 1.2 only, for the tests about 1.2's flights (HelloVerifyRequest,
 * ChangeCipherSpec, a final flight without a timer, RFC 6347 4.2.4): our server then answers in 1.2.
 */
const DTLS12: Partial<ConnectOptions> = { maxVersion: 'DTLSv1.2' };

function established(r: ScriptedResult): void {
  expect(r.established, r.detail).toBe(true);
  expect(r.echoed, r.detail).toBe(true);
}

describe.concurrent('the final flight is lost', () => {
  // RFC 6347 4.2.4: the server's last flight (ChangeCipherSpec, Finished) has no timer of its
  // own; when it is lost the client's timer resends flight 5, and the server must answer that
  // retransmission by resending flight 6.
  const rules: FaultRule[] = [{ name: "server's Finished", direction: 'toClient', match: { contentType: CONTENT_TYPE.handshake, minEpoch: 1 }, action: { kind: 'drop' } }];

  it('our client and our server', async () => {
    const r = await scripted({ pairing: 'ours-ours', kind: 'psk', pki, rules, retransmitInitialMs: 200, client: DTLS12 });
    established(r);
    expect(r.ruleHits).toEqual([1]);
    expect(r.retransmissions.client).toBeGreaterThanOrEqual(1);
    expect(r.retransmissions.server).toBeGreaterThanOrEqual(1);
    expect(count(r.seen, 'toServer', finished)).toBeGreaterThanOrEqual(2);
    expect(count(r.seen, 'toClient', finished)).toBeGreaterThanOrEqual(2);
  });

  it('our client, openssl s_server: OpenSSL resends its final flight on our retransmission', async () => {
    const r = await scripted({ pairing: 'ours-openssl', kind: 'x509', pki, rules, retransmitInitialMs: 200 });
    established(r);
    expect(r.ruleHits).toEqual([1]);
    expect(r.retransmissions.client).toBeGreaterThanOrEqual(1);
    expect(count(r.seen, 'toClient', finished)).toBeGreaterThanOrEqual(2);
  });

  it('openssl s_client, our server: we resend our final flight on its retransmission', async () => {
    const r = await scripted({ pairing: 'openssl-ours', kind: 'x509', pki, rules });
    established(r);
    expect(r.ruleHits).toEqual([1]);
    expect(r.retransmissions.server).toBeGreaterThanOrEqual(1);
    expect(count(r.seen, 'toServer', finished)).toBeGreaterThanOrEqual(2);
    expect(count(r.seen, 'toClient', finished)).toBeGreaterThanOrEqual(2);
  });
});

describe.concurrent("DTLS 1.3: the client's Finished is lost", () => {
  // RFC 9147 5.8.4/7: the client's last flight is retransmitted until the server ACKs it; the
  // client is done once it sent its Finished (RFC 8446 4.4.4) and may send data at once, which can
  // overtake the Finished: the server buffers it (RFC 9147 4.2.1 MAY) and delivers it once the
  // retransmitted Finished verifies.
  const rules: FaultRule[] = [{ name: "client's Finished (its only epoch-2 datagram)", direction: 'toServer', match: { contentType: HIDDEN_CONTENT_TYPE, epoch: 2 }, action: { kind: 'drop' } }];

  for (const kind of ['psk', 'x509'] as const) {
    it(`our client and our server, ${kind}: the data sent at once is echoed`, async () => {
      const r = await scripted({ pairing: 'ours-ours', kind, pki, rules, retransmitInitialMs: 200 });
      established(r);
      expect(r.ruleHits).toEqual([1]);
      expect(r.retransmissions.client).toBeGreaterThanOrEqual(1);
      expect(count(r.seen, 'toServer', (x) => x.unified && x.epoch === 2)).toBeGreaterThanOrEqual(2);
    });
  }
});

describe.concurrent('the HelloVerifyRequest is lost (twice)', () => {
  // RFC 6347 4.2.1: the server keeps no state for a cookie-less ClientHello, so a lost
  // HelloVerifyRequest is recovered only by the client's timer resending ClientHello (4.2.4).
  const rules: FaultRule[] = [{ name: 'HelloVerifyRequest', direction: 'toClient', match: { handshakeType: HANDSHAKE_TYPE.helloVerifyRequest }, action: { kind: 'drop' }, times: 2 }];

  it('our client and our server', async () => {
    const r = await scripted({ pairing: 'ours-ours', kind: 'psk', pki, rules, retransmitInitialMs: 200, client: DTLS12 });
    established(r);
    expect(r.ruleHits).toEqual([2]);
    expect(r.retransmissions.client).toBeGreaterThanOrEqual(2);
    expect(count(r.seen, 'toServer', clientHello)).toBeGreaterThanOrEqual(4);
  });

  it('our client, openssl s_server', async () => {
    const r = await scripted({ pairing: 'ours-openssl', kind: 'psk', pki, rules, retransmitInitialMs: 200 });
    established(r);
    expect(r.ruleHits).toEqual([2]);
    expect(count(r.seen, 'toServer', clientHello)).toBeGreaterThanOrEqual(4);
  });

  it('openssl s_client, our server', async () => {
    const r = await scripted({ pairing: 'openssl-ours', kind: 'psk', pki, rules });
    established(r);
    expect(r.ruleHits).toEqual([2]);
    expect(count(r.seen, 'toServer', clientHello)).toBeGreaterThanOrEqual(4);
  });
});

describe.concurrent('the ChangeCipherSpec arrives after the Finished', () => {
  // The relay takes each side's ChangeCipherSpec out of its datagram and sends it only after
  // that side's Finished: the Finished arrives in an epoch the receiver does not read yet. It
  // must hold it (next epoch only, RFC 6347 4.1 "buffer... for the next epoch") and use it once
  // the ChangeCipherSpec comes, without anyone retransmitting.
  const hold = (direction: 'toServer' | 'toClient'): FaultRule => ({
    name: `${direction} ChangeCipherSpec after Finished`,
    direction,
    match: { contentType: CONTENT_TYPE.changeCipherSpec },
    action: { kind: 'hold', until: { contentType: CONTENT_TYPE.handshake, minEpoch: 1 } },
  });
  const rules = [hold('toServer'), hold('toClient')];

  const noRetransmission = (r: ScriptedResult): void => {
    expect(r.ruleHits).toEqual([1, 1]);
    expect(count(r.seen, 'toServer', finished)).toBe(1);
    expect(count(r.seen, 'toClient', finished)).toBe(1);
  };

  it('our client and our server', async () => {
    const r = await scripted({ pairing: 'ours-ours', kind: 'x509', pki, rules, client: DTLS12 });
    established(r);
    noRetransmission(r);
    expect(r.retransmissions).toEqual({ client: 0, server: 0 });
  });

  it('our client, openssl s_server', async () => {
    const r = await scripted({ pairing: 'ours-openssl', kind: 'x509', pki, rules });
    established(r);
    noRetransmission(r);
    expect(r.retransmissions.client).toBe(0);
  });

  it('openssl s_client, our server', async () => {
    const r = await scripted({ pairing: 'openssl-ours', kind: 'psk', pki, rules });
    established(r);
    noRetransmission(r);
    expect(r.retransmissions.server).toBe(0);
  });
});

describe.concurrent('a fragmented ClientHello', () => {
  // RFC 6347 4.2.3: a ClientHello larger than the MTU is sent in fragments; the server's
  // cookie exchange (4.2.1) must still work, here with one fragment lost once as well.
  it('our client (MTU 100) and our server, the second fragment dropped once', async () => {
    const rules: FaultRule[] = [{ name: 'second ClientHello fragment', direction: 'toServer', match: { handshakeType: HANDSHAKE_TYPE.clientHello }, action: { kind: 'drop' }, skip: 1 }];
    const r = await scripted({ pairing: 'ours-ours', kind: 'x509', pki, rules, client: { mtu: 100 }, retransmitInitialMs: 200 });
    established(r);
    expect(r.ruleHits).toEqual([1]);
    const helloFragments = r.seen.filter((s) => s.direction === 'toServer' && s.records.some((x) => clientHello(x) && fragment(x)));
    expect(helloFragments.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...r.seen.filter((s) => s.direction === 'toServer').map((s) => s.bytes))).toBeLessThanOrEqual(100);
  });

  // Not below MTU ~90 towards s_server -listen: OpenSSL 3.0's DTLSv1_listen looks for the
  // cookie in the first fragment only, and with a 20-byte cookie that needs 56 bytes of it
  // (at MTU 64 or 80 our client's second ClientHello goes unanswered). Our side of MTU 64 is
  // covered below with s_client.
  it('our client (MTU 100) and openssl s_server (-listen: its stateless cookie exchange)', async () => {
    const r = await scripted({ pairing: 'ours-openssl', kind: 'x509', pki, rules: [], client: { mtu: 100 }, retransmitInitialMs: 200 });
    established(r);
    expect(count(r.seen, 'toServer', (x) => clientHello(x) && fragment(x))).toBeGreaterThanOrEqual(4);
  });

  it('openssl s_client (-mtu 256, a long server_name) and our server', async () => {
    const longName = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example`;
    const r = await scripted({ pairing: 'openssl-ours', kind: 'psk', pki, rules: [], opensslArgs: ['-mtu', '256', '-servername', longName] });
    established(r);
    expect(count(r.seen, 'toServer', (x) => clientHello(x) && fragment(x))).toBeGreaterThanOrEqual(2);
  });
});

describe.concurrent('an MTU so small that every message larger than one fragment is fragmented', () => {
  // MTU 64 (our smallest): 13 bytes of record header and 12 of handshake header leave 39 bytes
  // per fragment. Every handshake message above that must go in fragments, every datagram must
  // fit the MTU, and reassembly must put them back together (RFC 6347 4.2.3).
  const fragmentedTypes = (r: ScriptedResult, direction: 'toServer' | 'toClient'): Set<number> =>
    new Set(r.seen.filter((s) => s.direction === direction).flatMap((s) => s.records.filter(fragment).map((x) => x.handshakeType ?? -1)));

  it('our client and our server, certificates (MTU 64 both ways)', async () => {
    // DTLS 1.2 (gap): in 1.3 our stateless HelloRetryRequest (RFC 9147 5.1, ~130 bytes with its
    // cookie) goes as one datagram whatever the MTU: the endpoint's reply is a single datagram.
    const r = await scripted({ pairing: 'ours-ours', kind: 'x509', pki, rules: [], client: { mtu: 64, ...DTLS12 }, server: { mtu: 64 } });
    established(r);
    expect(Math.max(...r.seen.map((s) => s.bytes))).toBeLessThanOrEqual(64);
    expect([...fragmentedTypes(r, 'toServer')]).toEqual(expect.arrayContaining([HANDSHAKE_TYPE.clientHello]));
    expect([...fragmentedTypes(r, 'toClient')]).toEqual(
      expect.arrayContaining([HANDSHAKE_TYPE.serverHello, HANDSHAKE_TYPE.certificate, HANDSHAKE_TYPE.serverKeyExchange]),
    );
    // Every epoch-0 handshake message longer than a fragment's room came in fragments.
    for (const s of r.seen) {
      for (const x of s.records) {
        if (x.messageLength !== undefined && x.messageLength > 64 - 25) expect(fragment(x)).toBe(true);
      }
    }
  });

  it('openssl s_client and our server (MTU 64): OpenSSL reassembles our flights', async () => {
    const r = await scripted({ pairing: 'openssl-ours', kind: 'x509', pki, rules: [], server: { mtu: 64 } });
    established(r);
    expect(Math.max(...r.seen.filter((s) => s.direction === 'toClient').map((s) => s.bytes))).toBeLessThanOrEqual(64);
    expect([...fragmentedTypes(r, 'toClient')]).toEqual(
      expect.arrayContaining([HANDSHAKE_TYPE.serverHello, HANDSHAKE_TYPE.certificate, HANDSHAKE_TYPE.serverKeyExchange]),
    );
  });
});

describe.concurrent('damaged records are dropped silently, and retransmission recovers', () => {
  // RFC 6347 4.1.2.7: a record that fails its AEAD check is discarded without an alert; the
  // lost Finished is then recovered as any lost flight is (4.2.4).
  const flip: FaultRule[] = [{ name: "server's Finished, one byte flipped", direction: 'toClient', match: { contentType: CONTENT_TYPE.handshake, minEpoch: 1 }, action: { kind: 'corrupt' } }];
  // A ClientHello cut short cannot be parsed: dropped, and the client's timer resends it.
  const cut: FaultRule[] = [{ name: 'first ClientHello cut in half', direction: 'toServer', match: { handshakeType: HANDSHAKE_TYPE.clientHello }, action: { kind: 'truncate', length: 60 } }];

  it('our client and our server: a flipped byte in the Finished', async () => {
    // The rule finds the Finished by its epoch-1 handshake record: DTLS 1.2's (1.3 hides the type).
    const r = await scripted({ pairing: 'ours-ours', kind: 'x509', pki, rules: flip, retransmitInitialMs: 200, client: DTLS12 });
    established(r);
    expect(r.ruleHits).toEqual([1]);
    expect(r.retransmissions.client).toBeGreaterThanOrEqual(1);
    expect(r.retransmissions.server).toBeGreaterThanOrEqual(1);
  });

  it('our client and our server in DTLS 1.3: a flipped byte in the server\'s first encrypted handshake record', async () => {
    // RFC 9147 4.5.2: a record that fails deprotection is discarded silently; the server's
    // flight is then completed by its retransmission (RFC 9147 5.8, or the client's ACK, 7).
    const flip13: FaultRule[] = [{ name: "server's first epoch-2 record, one byte flipped", direction: 'toClient', match: { contentType: HIDDEN_CONTENT_TYPE, epoch: 2 }, action: { kind: 'corrupt' } }];
    const r = await scripted({ pairing: 'ours-ours', kind: 'x509', pki, rules: flip13, retransmitInitialMs: 200 });
    established(r);
    expect(r.ruleHits).toEqual([1]);
    expect(r.retransmissions.server).toBeGreaterThanOrEqual(1);
    expect(count(r.seen, 'toClient', (x) => x.unified && x.epoch === 2)).toBeGreaterThanOrEqual(2);
  });

  it('our client, openssl s_server: a flipped byte in its Finished', async () => {
    const r = await scripted({ pairing: 'ours-openssl', kind: 'psk', pki, rules: flip, retransmitInitialMs: 200 });
    established(r);
    expect(r.ruleHits).toEqual([1]);
    expect(r.retransmissions.client).toBeGreaterThanOrEqual(1);
    expect(count(r.seen, 'toClient', finished)).toBeGreaterThanOrEqual(2);
  });

  it('our client and our server: a truncated ClientHello', async () => {
    const r = await scripted({ pairing: 'ours-ours', kind: 'psk', pki, rules: cut, retransmitInitialMs: 200 });
    established(r);
    expect(r.ruleHits).toEqual([1]);
    expect(r.retransmissions.client).toBeGreaterThanOrEqual(1);
  });

  it('openssl s_client, our server: a truncated ClientHello', async () => {
    const r = await scripted({ pairing: 'openssl-ours', kind: 'psk', pki, rules: cut });
    established(r);
    expect(r.ruleHits).toEqual([1]);
    expect(count(r.seen, 'toServer', clientHello)).toBeGreaterThanOrEqual(3);
  });
});
