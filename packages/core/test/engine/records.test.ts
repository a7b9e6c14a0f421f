/**
 * Record-level rules as the connection applies them: application data only under keys and only
 * once the handshake is done (held across reordering, never delivered early), each record
 * delivered once (replay window, RFC 6347 4.1.2.6), and the RFC 5705 exporter.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, concatBytes, utf8 } from '../../src/bytes.js';
import { DtlsError } from '../../src/errors.js';
import { ContentType } from '../../src/record/content-type.js';
import { encodeRecord } from '../../src/record/record-header.js';
import { Pair, plainRecord } from './harness.js';
import { records } from '../support/wire.js';

const SUITE = 'PSK-AES128-GCM-SHA256';

function dataEvents(events: readonly { type: string }[]): string[] {
  return events.filter((e): e is { type: 'data'; data: Uint8Array } => e.type === 'data').map((e) => new TextDecoder().decode(e.data));
}

describe('application data in epoch 0', () => {
  it('is dropped after the handshake', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    p.s.receive(plainRecord(ContentType.application_data, utf8('plaintext to server'), 40), p.now);
    p.client.receive(plainRecord(ContentType.application_data, utf8('plaintext to client'), 40), p.now);
    p.drainEvents();
    expect(dataEvents(p.serverEvents)).toEqual([]);
    expect(dataEvents(p.clientEvents)).toEqual([]);
    expect(p.s.state).toBe('established');
    expect(p.client.state).toBe('established');
  });

  it('is dropped during the handshake, and never delivered later', async () => {
    let injected = false;
    const p = new Pair({
      client: { cipherSuites: SUITE },
      tap: (d, _dir, index) => {
        if (index === 3 && !injected) {
          // Flight 4 is on its way: plaintext data to both sides.
          injected = true;
          p.s.receive(plainRecord(ContentType.application_data, utf8('early plaintext'), 30), p.now);
          p.client.receive(plainRecord(ContentType.application_data, utf8('early plaintext'), 30), p.now);
        }
        return [d];
      },
    });
    await p.handshake();
    expect(injected).toBe(true);
    expect(dataEvents(p.serverEvents)).toEqual([]);
    expect(dataEvents(p.clientEvents)).toEqual([]);
  });
});

describe('application data that overtakes the server Finished (reordering)', () => {
  /** A handshake in which the server's flight 6 (ChangeCipherSpec, Finished) is held back. */
  async function withFlight6Held(): Promise<{ p: Pair; flight6: Uint8Array }> {
    let flight6: Uint8Array | undefined;
    const p = new Pair({
      // No ticket asked: flight 6 is exactly ChangeCipherSpec, Finished (no NewSessionTicket, RFC 5077 3.3).
      client: { cipherSuites: SUITE, sessionTickets: false },
      tap: (d, dir) => {
        if (dir === 's2c' && records(d).some((r) => r.header.type === ContentType.change_cipher_spec)) {
          flight6 = d;
          return [];
        }
        return [d];
      },
    }).start();
    await p.run();
    expect(p.s.state).toBe('established');
    expect(p.client.handshakeState).toBe('wait_finished');
    if (!flight6) throw new Error('flight 6 not seen');
    return { p, flight6 };
  }

  it('is delivered only after handshake-complete (data before the whole flight 6)', async () => {
    const { p, flight6 } = await withFlight6Held();
    p.s.send(utf8('one'));
    p.s.send(utf8('two'));
    for (const d of p.s.datagramsToSend()) p.client.receive(d, p.now);
    p.drainEvents();
    expect(p.clientEvents).toEqual([]);
    p.client.receive(flight6, p.now);
    p.drainEvents();
    expect(p.clientEvents.map((e) => e.type)).toEqual(['handshake-complete', 'data', 'data']);
    expect(dataEvents(p.clientEvents)).toEqual(['one', 'two']);
  });

  it('is delivered only after handshake-complete (data between ChangeCipherSpec and Finished)', async () => {
    const { p, flight6 } = await withFlight6Held();
    const [ccs, fin] = records(flight6).map((r) => encodeRecord(r.header, r.fragment));
    p.client.receive(ccs ?? new Uint8Array(), p.now);
    p.s.send(utf8('between'));
    for (const d of p.s.datagramsToSend()) p.client.receive(d, p.now);
    p.drainEvents();
    expect(p.clientEvents).toEqual([]);
    p.client.receive(fin ?? new Uint8Array(), p.now);
    p.drainEvents();
    expect(p.clientEvents.map((e) => e.type)).toEqual(['handshake-complete', 'data']);
    expect(dataEvents(p.clientEvents)).toEqual(['between']);
  });

  it('is not delivered while the server Finished fails to authenticate (dropped, RFC 6347 4.1.2.7), and is after the retransmission', async () => {
    const { p, flight6 } = await withFlight6Held();
    const [ccs, fin] = records(flight6).map((r) => encodeRecord(r.header, r.fragment));
    p.client.receive(ccs ?? new Uint8Array(), p.now);
    p.s.send(utf8('held'));
    for (const d of p.s.datagramsToSend()) p.client.receive(d, p.now);
    const bad = (fin ?? new Uint8Array()).slice();
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0x80;
    p.client.receive(bad, p.now);
    p.drainEvents();
    expect(p.clientEvents).toEqual([]);
    expect(p.client.stats.badMac).toBe(1);
    expect(p.client.handshakeState).toBe('wait_finished');
    // The client retransmits flight 5; the server answers with flight 6 again.
    p.tap = undefined;
    await p.run(5_000);
    expect(p.clientEvents.map((e) => e.type)).toEqual(['handshake-complete', 'data']);
    expect(dataEvents(p.clientEvents)).toEqual(['held']);
  });

  it('a server whose data reaches the client before the flight is retransmitted still completes', async () => {
    const { p } = await withFlight6Held();
    p.s.send(utf8('waiting'));
    for (const d of p.s.datagramsToSend()) p.client.receive(d, p.now);
    // The client times out, retransmits flight 5; the server answers with flight 6 again.
    p.tap = undefined;
    await p.run(10_000);
    expect(p.client.state).toBe('established');
    expect(p.clientEvents.map((e) => e.type)).toEqual(['handshake-complete', 'data']);
  });
});

describe('replay window', () => {
  it('the same datagram twice after the handshake is delivered once', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    p.client.send(utf8('once'));
    const [d] = p.client.datagramsToSend();
    if (!d) throw new Error('nothing sent');
    p.s.receive(d, p.now);
    p.s.receive(d, p.now);
    p.s.receive(d.slice(), p.now + 1000);
    p.drainEvents();
    expect(dataEvents(p.serverEvents)).toEqual(['once']);
    expect(p.s.stats.replayed).toBe(2);
    expect(p.s.state).toBe('established');
  });

  it('an older record arriving late is delivered once; copies inside one datagram too', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    const sent: Uint8Array[] = [];
    for (const word of ['a', 'b', 'c']) {
      p.client.send(utf8(word));
      sent.push(...p.client.datagramsToSend());
    }
    const [a, b, c] = sent;
    if (!a || !b || !c) throw new Error('nothing sent');
    p.s.receive(c, p.now);
    p.s.receive(a, p.now);
    p.s.receive(concatBytes(b, b, a, c), p.now);
    p.drainEvents();
    expect(dataEvents(p.serverEvents)).toEqual(['c', 'a', 'b']);
  });

  it('a record left of the window is dropped', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE }, server: { replayWindowSize: 32 } }).handshake();
    p.client.send(utf8('old'));
    const [old] = p.client.datagramsToSend();
    for (let i = 0; i < 40; i++) p.client.send(utf8(`n${i}`));
    for (const d of p.client.datagramsToSend()) p.s.receive(d, p.now);
    p.s.receive(old ?? new Uint8Array(), p.now);
    p.drainEvents();
    const data = dataEvents(p.serverEvents);
    expect(data).toHaveLength(40);
    expect(data).not.toContain('old');
  });

  it('a replayed datagram is answered by nothing', async () => {
    const p = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    p.client.send(utf8('x'));
    const [d] = p.client.datagramsToSend();
    p.s.receive(d ?? new Uint8Array(), p.now);
    p.s.datagramsToSend();
    p.s.receive(d ?? new Uint8Array(), p.now);
    expect(p.s.datagramsToSend()).toEqual([]);
  });
});

describe('keying material exporter (RFC 5705)', () => {
  it('gives the same bytes on both sides, different bytes for different labels and contexts', async () => {
    const p = await new Pair({ client: { cipherSuites: 'ECDHE-PSK-CHACHA20-POLY1305' } }).handshake();
    const c = p.client.exportKeyingMaterial(32, 'EXTRACTOR-dtls_srtp');
    const s = p.s.exportKeyingMaterial(32, 'EXTRACTOR-dtls_srtp');
    expect(c).toHaveLength(32);
    expect(bytesEqual(c, s)).toBe(true);
    const other = p.client.exportKeyingMaterial(32, 'EXPORTER-my-protocol');
    expect(bytesEqual(other, p.s.exportKeyingMaterial(32, 'EXPORTER-my-protocol'))).toBe(true);
    expect(bytesEqual(c, other)).toBe(false);
    const ctx = p.client.exportKeyingMaterial(32, 'EXTRACTOR-dtls_srtp', utf8('ctx'));
    expect(bytesEqual(ctx, p.s.exportKeyingMaterial(32, 'EXTRACTOR-dtls_srtp', utf8('ctx')))).toBe(true);
    expect(bytesEqual(ctx, c)).toBe(false);
    // RFC 5705 4: no context and an empty context differ.
    expect(bytesEqual(p.client.exportKeyingMaterial(32, 'EXTRACTOR-dtls_srtp', new Uint8Array(0)), c)).toBe(false);
    // The PRF is a stream: a longer export starts with the shorter one.
    expect(bytesEqual(p.s.exportKeyingMaterial(80, 'EXTRACTOR-dtls_srtp').subarray(0, 32), c)).toBe(true);
  });

  it('differs between two sessions with the same PSK', async () => {
    const a = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    const b = await new Pair({ client: { cipherSuites: SUITE } }).handshake();
    expect(bytesEqual(a.client.exportKeyingMaterial(16, 'EXPORTER-x'), b.client.exportKeyingMaterial(16, 'EXPORTER-x'))).toBe(false);
  });

  it('is refused before the handshake, after close, and for reserved labels', async () => {
    const p = new Pair({ client: { cipherSuites: SUITE } });
    expect(() => p.client.exportKeyingMaterial(16, 'EXPORTER-x')).toThrow(DtlsError);
    await p.handshake();
    expect(() => p.client.exportKeyingMaterial(16, 'master secret')).toThrow(TypeError);
    expect(() => p.client.exportKeyingMaterial(16, 'key expansion')).toThrow(TypeError);
    p.client.close();
    expect(() => p.client.exportKeyingMaterial(16, 'EXPORTER-x')).toThrow(DtlsError);
  });
});
