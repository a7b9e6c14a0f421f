import { describe, expect, it } from 'vitest';
import { fromHex, utf8 } from '../../src/bytes.js';
import { DtlsConnection } from '../../src/connection.js';
import { ClientHelloFragments } from '../../src/endpoint/client-hello-fragments.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { fragmentMessage } from '../../src/handshake/common/fragmenter.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import type { PskClientCredentials, PskServerCredentials } from '../../src/key-exchange/psk-credentials.js';

const key = fromHex('000102030405060708090a0b0c0d0e0f');
const client = (): PskClientCredentials => ({ type: 'psk', resolve: () => ({ identity: utf8('Client_identity'), key }) });
const server: PskServerCredentials = { type: 'psk', identityHint: undefined, lookup: () => key };

describe('ClientHello fragmented over several datagrams (RFC 6347 4.2.3)', () => {
  it('is reassembled by the endpoint: a client whose ClientHello exceeds its MTU still connects', () => {
    // A long server_name makes the ClientHello larger than the 100-byte MTU.
    const c = DtlsConnection.client({ psk: client(), mtu: 100, servername: `${'a'.repeat(60)}.example.com` });
    const ep = new ServerEndpoint({ psk: server, mtu: 100 });
    let s: DtlsConnection | undefined;
    let hvr = 0;
    let fragmentedDatagrams = 0;
    c.connect(0);
    for (let now = 0; now < 20 && !(c.state === 'established' && s?.state === 'established'); now++) {
      const out = c.datagramsToSend();
      if (!s && out.length > 1) fragmentedDatagrams += out.length;
      for (const d of out) {
        expect(d.length).toBeLessThanOrEqual(100);
        if (s) s.receive(d, now);
        else {
          const r = ep.handle(d, 'peer:1', now);
          if (r.type === 'reply') {
            hvr++;
            expect(r.datagram.length).toBeLessThanOrEqual(out.reduce((n, x) => n + x.length, 0));
            c.receive(r.datagram, now);
          } else if (r.type === 'accept') s = r.connection;
        }
      }
      for (const d of s?.datagramsToSend() ?? []) c.receive(d, now);
    }
    expect(fragmentedDatagrams).toBeGreaterThan(2);
    expect(hvr).toBe(1);
    expect(c.state).toBe('established');
    expect(s?.state).toBe('established');
    expect(s?.servername).toBe(`${'a'.repeat(60)}.example.com`);
  });

  it('keeps a bounded table: spoofed fragments from 10,000 peers never hold more than its capacity', () => {
    const table = new ClientHelloFragments({ maxEntries: 64, maxLength: 4096 });
    const body = new Uint8Array(1000).fill(7);
    for (let i = 0; i < 10_000; i++) {
      // Only the first half of each message: never completes.
      const [first] = fragmentMessage(HandshakeType.client_hello, 0, body, 500);
      if (first) table.add(`10.0.${i >> 8}.${i & 255}:1`, [first], 600, i);
    }
    expect(table.size).toBe(64);
  });

  it('forgets partial ClientHellos after their lifetime and refuses oversized ones', () => {
    const table = new ClientHelloFragments({ lifetimeMs: 1000, maxLength: 2048 });
    const [a, b] = fragmentMessage(HandshakeType.client_hello, 0, new Uint8Array(300).fill(1), 200);
    expect(a && table.add('p', [a], 250, 0)).toBeUndefined();
    expect(table.size).toBe(1);
    // The second half arrives too late: the first was forgotten, nothing completes.
    expect(b && table.add('p', [b], 150, 1500)).toBeUndefined();
    const [huge] = fragmentMessage(HandshakeType.client_hello, 0, new Uint8Array(5000), 200);
    expect(huge && table.add('q', [huge], 250, 1500)).toBeUndefined();
    expect(table.size).toBe(1); // only b's new entry
  });
});

describe('ClientHello fragments: one partial message per address (RFC 9147 5.1: no state before the cookie)', () => {
  it('fragments of 1,000 message_seq values from one address hold one entry, the latest', () => {
    const table = new ClientHelloFragments({ maxEntries: 64, maxLength: 4096 });
    const body = new Uint8Array(1000).fill(3);
    for (let seq = 0; seq < 1000; seq++) {
      const [first] = fragmentMessage(HandshakeType.client_hello, seq, body, 500);
      if (first) table.add('10.0.0.1:1', [first], 600, seq);
    }
    expect(table.size).toBe(1);
    // The latest (message_seq 999) completes with its second half; the entry is gone once whole.
    const [, second] = fragmentMessage(HandshakeType.client_hello, 999, body, 500);
    const whole = second && table.add('10.0.0.1:1', [second], 600, 1000);
    expect(whole?.messageSeq).toBe(999);
    expect(whole?.body).toEqual(body);
    expect(table.size).toBe(0);
  });
});
