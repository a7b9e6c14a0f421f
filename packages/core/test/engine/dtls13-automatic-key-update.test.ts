/**
 * RFC 9147 4.5.3 / 8: we update our DTLS 1.3 write key ourselves before its AEAD limit, in both
 * roles: once the key has protected `keyUpdate.afterRecords` records a KeyUpdate goes out, the
 * peer ACKs it, our records move to the next epoch, and data goes on both ways. Past the limit
 * (lowered here with `keyUpdate.limit`) less the reserve kept for the KeyUpdate, application data
 * waits for that ACK. wolfSSL 5.5.4 as the peer: nonblocking/test/dtls13-key-update-wolfssl.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import type { DtlsConnection } from '../../src/connection.js';
import { DtlsError } from '../../src/errors.js';
import { resolveKeyUpdateOptions } from '../../src/record/dtls13-key-update-options.js';
import type { Dtls13RecordLayer } from '../../src/record/dtls13-record-layer.js';
import { Pair, recordsOf } from './harness.js';

const V13 = { maxVersion: 'DTLSv1.3' } as const;

function layer13(conn: DtlsConnection): Dtls13RecordLayer {
  const layer = recordsOf(conn).dtls13Records;
  if (layer === undefined) throw new Error('not DTLS 1.3');
  return layer;
}

function dataOf(events: readonly { type: string }[]): string[] {
  return events.flatMap((e) => ('data' in e && e.data instanceof Uint8Array ? [Buffer.from(e.data).toString()] : []));
}

describe('automatic KeyUpdate before the AEAD limit (RFC 9147 4.5.3)', () => {
  for (const side of ['client', 'server'] as const) {
    it(`${side}: keyUpdate.afterRecords 8 — the KeyUpdate, its ACK, epoch 4 in use, data both ways before and after`, async () => {
      const lowered = { ...V13, keyUpdate: { afterRecords: 8 } };
      const p = await new Pair({ client: side === 'client' ? lowered : V13, server: side === 'server' ? lowered : V13 }).handshake();
      const sender = side === 'client' ? p.client : p.s;
      const receiver = side === 'client' ? p.s : p.client;
      expect(layer13(sender).writeEpoch).toBe(3);
      const sent: string[] = [];
      for (let i = 0; i < 30; i++) {
        sender.send(utf8(`m${i}`));
        receiver.send(utf8(`r${i}`));
        sent.push(`m${i}`);
        await p.run();
      }
      // Our KeyUpdates were acknowledged (one per 8 records, ACKs included): our records are in a
      // later epoch, the one the peer reads.
      expect(layer13(sender).writeEpoch, 'sender write epoch').toBeGreaterThanOrEqual(5);
      expect(layer13(receiver).readEpoch, 'receiver read epoch').toBe(layer13(sender).writeEpoch);
      // The peer did not update its own write key (update_not_requested).
      expect(layer13(receiver).writeEpoch, 'receiver write epoch').toBe(3);
      const received = dataOf(side === 'client' ? p.serverEvents : p.clientEvents);
      expect(received).toEqual(sent);
      expect(dataOf(side === 'client' ? p.clientEvents : p.serverEvents).length).toBe(30);
      expect(sender.state).toBe('established');
      expect(receiver.state).toBe('established');
    });
  }

  it('again and again: every afterRecords records a new epoch (5, 6, ...)', async () => {
    const p = await new Pair({ client: { ...V13, keyUpdate: { afterRecords: 4 } }, server: V13 }).handshake();
    for (let i = 0; i < 40; i++) {
      p.client.send(utf8(`m${i}`));
      await p.run();
    }
    expect(layer13(p.client).writeEpoch).toBeGreaterThanOrEqual(8);
    expect(dataOf(p.serverEvents).length).toBe(40);
  });

  it('keyUpdate.limit: while the ACK is held up, application data stops before the limit; the ACK lets it go on in the next epoch', async () => {
    let holding = false;
    const held: Uint8Array[] = [];
    const p = await new Pair({
      client: { ...V13, keyUpdate: { afterRecords: 10, limit: 40 } },
      // No NewSessionTicket, whose ACK would be one more record under the client's key.
      server: { ...V13, sessionTickets: false },
      tap: (d, direction) => {
        if (!holding || direction !== 's2c') return [d];
        held.push(d); // the server's ACK of our KeyUpdate, delayed
        return [];
      },
    }).handshake();
    holding = true;
    let sent = 0;
    let refused: unknown;
    for (let i = 0; i < 100 && refused === undefined; i++) {
      try {
        p.client.send(utf8(`m${i}`));
        sent++;
      } catch (error) {
        refused = error;
      }
      await p.run();
    }
    expect(refused).toBeInstanceOf(DtlsError);
    expect(String(refused)).toContain('KeyUpdate');
    // 40 records less a reserve of 40/8 = 5 for the KeyUpdate and ACKs: 35 of the key's records,
    // our KeyUpdate (after the 10th) among them; never the limit itself.
    expect(sent).toBe(34);
    expect(layer13(p.client).writeKeyUsage()).not.toBe('exhausted');
    expect(layer13(p.client).writeEpoch).toBe(3);
    expect(p.client.state).toBe('established');
    expect(dataOf(p.serverEvents).length).toBe(sent);
    // The ACK arrives: our records move to epoch 4 and data goes on.
    holding = false;
    expect(held.length).toBeGreaterThan(0);
    for (const d of held.splice(0)) p.client.receive(d, p.now);
    expect(layer13(p.client).writeEpoch).toBe(4);
    p.client.send(utf8('after'));
    await p.run();
    expect(dataOf(p.serverEvents)).toContain('after');
  });

  it("96 forged records (3/4 of CCM_8's integrity limit, 2^7 by default) make the server ask for the client's next key (update_requested) with CCM_8, not with GCM (2^36)", async () => {
    for (const [suite, expectUpdate] of [
      ['TLS_AES_128_CCM_8_SHA256', true],
      ['TLS_AES_128_GCM_SHA256', false],
    ] as const) {
      const options = { ...V13, cipherSuites: [suite] };
      const p = await new Pair({ client: options, server: options }).handshake();
      expect(p.s.getCipher()?.name).toBe(suite);
      for (let i = 0; i < 96; i++) {
        // A unified header of epoch 3 (001 0 1 1 11: no CID, 16-bit sequence, length), 32 bytes no key authenticates.
        const junk = new Uint8Array(5 + 32).fill(i);
        junk.set([0x2f, 0, i, 0, 32], 0);
        p.s.receive(junk, p.now);
      }
      await p.run();
      expect(p.s.state, suite).toBe('established');
      // The client answered update_requested with its own KeyUpdate: its records are in epoch 4, the server reads them.
      expect(layer13(p.client).writeEpoch, suite).toBe(expectUpdate ? 4 : 3);
      expect(layer13(p.s).readEpoch, suite).toBe(expectUpdate ? 4 : 3);
      expect(layer13(p.s).writeEpoch, suite).toBe(expectUpdate ? 4 : 3);
      p.client.send(utf8('still here'));
      p.s.send(utf8('me too'));
      await p.run();
      expect(dataOf(p.serverEvents), suite).toContain('still here');
      expect(dataOf(p.clientEvents), suite).toContain('me too');
    }
  });

  it('checks the option up front', () => {
    expect(() => resolveKeyUpdateOptions({ afterRecords: 0 })).toThrow(RangeError);
    expect(() => resolveKeyUpdateOptions({ afterRecords: 10, limit: 10 })).toThrow(RangeError);
    expect(() => resolveKeyUpdateOptions({ limit: 1 })).toThrow(RangeError);
    expect(resolveKeyUpdateOptions({ afterRecords: 3, limit: 9 })).toEqual({ afterRecords: 3, limit: 9 });
  });
});
