/**
 * One send() is one record in one datagram (RFC 6347 4.1.1), so the largest message is the MTU
 * less the record overhead of the current write epoch: `maxPayload`. A larger send() gets a
 * RangeError that names the limit and where it comes from (RFC 6347 4.1.1.1: the implementation
 * "SHOULD generate an error") instead of leaving as a datagram larger than the MTU.
 */
import { describe, expect, it } from 'vitest';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { DtlsConnection } from '../../src/connection.js';
import { DEFAULT_MTU, MAX_MTU, MIN_MTU, maxPayloadFor, recordOverhead } from '../../src/mtu.js';
import { cipherSuiteByName } from '../../src/suites/registry.js';
import { Pair } from './harness.js';
import { clientPsk } from '../support/psk.js';
import { PSK_SUITES } from './sim-harness.js';

/** Bytes a record adds with each AEAD: 13 of header + explicit nonce + tag (RFC 5246 6.2.3.3). */
const OVERHEAD: Record<(typeof PSK_SUITES)[number], number> = {
  TLS_PSK_WITH_AES_128_GCM_SHA256: 13 + 8 + 16,
  TLS_PSK_WITH_AES_256_GCM_SHA384: 13 + 8 + 16,
  TLS_PSK_WITH_AES_128_CCM: 13 + 8 + 16,
  TLS_PSK_WITH_AES_128_CCM_8: 13 + 8 + 8,
  TLS_PSK_WITH_CHACHA20_POLY1305_SHA256: 13 + 0 + 16,
  TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256: 13 + 0 + 16,
  TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256: 13 + 8 + 16,
};

const GCM = 'PSK-AES128-GCM-SHA256';

async function established(client: Partial<ClientOptions>, server: Partial<ServerOptions>): Promise<Pair> {
  const p = await new Pair({ client, server }).handshake();
  expect(p.client.state).toBe('established');
  expect(p.s.state).toBe('established');
  return p;
}

/** Sends `size` bytes from the client; returns the datagrams it became, after the server read them. */
async function sendFromClient(p: Pair, size: number): Promise<Uint8Array[]> {
  const before = p.wire.length;
  p.client.send(new Uint8Array(size).fill(0x61));
  await p.run();
  return p.wire.slice(before).filter((w) => w.direction === 'c2s').map((w) => w.datagram);
}

function received(p: Pair): number[] {
  return p.serverEvents.flatMap((e) => (e.type === 'data' ? [e.data.length] : []));
}

describe('maxPayload: the largest send() that fits one datagram at the MTU', () => {
  it.each(PSK_SUITES)('%s at mtu 600: mtu less the record overhead, on both ends', async (suite) => {
    const p = await established({ cipherSuites: suite, mtu: 600 }, { cipherSuites: suite, mtu: 600 });
    const expected = 600 - OVERHEAD[suite];
    console.log(`${suite}: maxPayload at mtu 600 = ${expected} (${OVERHEAD[suite]} bytes of record overhead)`);
    expect(p.client.maxPayload).toBe(expected);
    expect(p.s.maxPayload).toBe(expected);
    const s = cipherSuiteByName(suite);
    if (s === undefined) throw new Error(`no suite ${suite}`);
    expect(maxPayloadFor(600, recordOverhead(s))).toBe(expected);
  });

  it('each end counts the CID it puts in its records (the peer\'s) and the inner content type (RFC 9146 4)', async () => {
    // The client asks for a 6-byte CID (the server's records carry it), the server for 4 bytes.
    const p = await established({ mtu: 600, cipherSuites: GCM, connectionId: { length: 6 } }, { mtu: 600, connectionId: { length: 4 } });
    const gcm = cipherSuiteByName('TLS_PSK_WITH_AES_128_GCM_SHA256');
    if (gcm === undefined) throw new Error('no GCM suite');
    expect(p.client.cipherSuite?.name).toBe('TLS_PSK_WITH_AES_128_GCM_SHA256');
    expect(p.client.maxPayload).toBe(600 - (13 + 4 + 1 + 8 + 16));
    expect(p.s.maxPayload).toBe(600 - (13 + 6 + 1 + 8 + 16));
    expect(p.client.maxPayload).toBe(maxPayloadFor(600, recordOverhead(gcm, 4)));
    expect(p.s.maxPayload).toBe(maxPayloadFor(600, recordOverhead(gcm, 6)));

    // A zero-length CID means plain DTLS 1.2 records that way (RFC 9146 3): no overhead for it.
    const q = await established({ mtu: 600, cipherSuites: GCM, connectionId: { length: 0 } }, { mtu: 600, connectionId: { length: 8 } });
    expect(q.client.maxPayload).toBe(600 - (13 + 8 + 1 + 8 + 16));
    expect(q.s.maxPayload).toBe(600 - 37);

    // maxPayload bytes leave in one datagram of exactly the MTU, CID included.
    const max = p.client.maxPayload ?? 0;
    const datagrams = await sendFromClient(p, max);
    expect(datagrams.map((d) => d.length)).toEqual([600]);
    expect(received(p)).toEqual([max]);
    expect(() => p.client.send(new Uint8Array(max + 1))).toThrow(/at most 558 bytes fit one datagram at mtu 600 with TLS_PSK_WITH_AES_128_GCM_SHA256 \(42 bytes of record overhead, 5 of them for the peer's 4-byte connection ID\)/);
  });

  it('maxPayload bytes go in one datagram of at most the MTU; one byte more is a RangeError and sends nothing', async () => {
    const p = await established({ mtu: 600, cipherSuites: 'PSK-AES128-CCM8' }, { mtu: 600 });
    const max = p.client.maxPayload ?? 0;
    expect(max).toBe(571);
    const datagrams = await sendFromClient(p, max);
    expect(datagrams.map((d) => d.length)).toEqual([600]);
    expect(received(p)).toEqual([571]);

    const before = p.wire.length;
    let error: unknown;
    try {
      p.client.send(new Uint8Array(3000));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    const message = error instanceof Error ? error.message : '';
    console.log(`send() of 3000 bytes at mtu 600: ${message}`);
    expect(message).toBe(
      'send() of 3000 bytes: at most 571 bytes fit one datagram at mtu 600 with TLS_PSK_WITH_AES_128_CCM_8 ' +
        '(29 bytes of record overhead); split the message, or raise mtu if the path carries larger datagrams',
    );
    expect(() => p.client.send(new Uint8Array(max + 1))).toThrow(RangeError);
    await p.run();
    // Nothing left, and the connection is still up.
    expect(p.wire.length).toBe(before);
    expect(p.client.state).toBe('established');
    await sendFromClient(p, 10);
    expect(received(p)).toEqual([571, 10]);
  });

  it('at an MTU above 2^14 + overhead, the limit is a record\'s 2^14 bytes (RFC 5246 6.2.1)', async () => {
    const p = await established({ mtu: 20_000, cipherSuites: GCM }, { mtu: 20_000 });
    expect(p.client.maxPayload).toBe(2 ** 14);
    const datagrams = await sendFromClient(p, 2 ** 14);
    expect(datagrams.map((d) => d.length)).toEqual([2 ** 14 + 37]);
    expect(() => p.client.send(new Uint8Array(2 ** 14 + 1))).toThrow(/send\(\) of 16385 bytes: a DTLS record carries at most 16384 bytes/);
  });

  it('is undefined until the handshake completes, and stays known after the close', async () => {
    const c = DtlsConnection.client({ psk: clientPsk(), mtu: 600 });
    expect(c.maxPayload).toBeUndefined();
    const p = await established({ cipherSuites: GCM }, {});
    expect(p.client.maxPayload).toBe(DEFAULT_MTU - 37);
    p.client.close();
    expect(p.client.state).toBe('closed');
    expect(p.client.maxPayload).toBe(DEFAULT_MTU - 37);
  });
});

describe(`the MTU option: ${MIN_MTU}..${MAX_MTU}, default ${DEFAULT_MTU}`, () => {
  it('refuses an MTU below MIN_MTU or above MAX_MTU, naming the bounds', () => {
    expect(MIN_MTU).toBe(64);
    expect(() => DtlsConnection.client({ psk: clientPsk(), mtu: MIN_MTU - 1 })).toThrow(/mtu must be an integer >= 64 \(got 63\)/);
    expect(() => DtlsConnection.client({ psk: clientPsk(), mtu: MAX_MTU + 1 })).toThrow(/mtu must be at most 65507/);
    expect(() => DtlsConnection.client({ psk: clientPsk(), mtu: MIN_MTU })).not.toThrow();
  });

  it.each(PSK_SUITES)('%s: a handshake at MIN_MTU completes, every datagram within it, and data flows', async (suite) => {
    const p = await established({ cipherSuites: suite, mtu: MIN_MTU }, { cipherSuites: suite, mtu: MIN_MTU });
    expect(Math.max(...p.wire.map((w) => w.datagram.length))).toBeLessThanOrEqual(MIN_MTU);
    const max = p.client.maxPayload ?? 0;
    expect(max).toBe(MIN_MTU - OVERHEAD[suite]);
    await sendFromClient(p, max);
    expect(received(p)).toEqual([max]);
  });
});

describe('a peer connection ID too long for our MTU', () => {
  it('fails the handshake with a message that says why (RFC 9146 4: the CID is in every record of ours)', async () => {
    // The client asks the server to put a 32-byte CID in its records: at mtu 64 the server's
    // epoch-1 records add 13 + 32 + 1 + 8 + 16 = 70 bytes, more than the datagram.
    const p = new Pair({ client: { cipherSuites: GCM, connectionId: { length: 32 } }, server: { mtu: MIN_MTU, connectionId: { length: 4 } } }).start();
    await p.run(10_000);
    expect(p.s.state).toBe('closed');
    const message = p.s.error?.message ?? '';
    console.log(`server at mtu ${MIN_MTU}, client's 32-byte CID: ${message}`);
    expect(message).toMatch(/mtu 64 leaves no room for a handshake fragment in epoch 1: its records add 70 bytes \(a connection ID the peer asked for included\)/);
  });
});
