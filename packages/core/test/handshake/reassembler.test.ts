import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, DtlsError, IllegalParameterError } from '../../src/errors.js';
import { fragmentMessage } from '../../src/handshake/common/fragmenter.js';
import type { HandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { FRAGMENT_OVERHEAD, HandshakeReassembler } from '../../src/handshake/common/reassembler.js';

function frag(messageSeq: number, length: number, fragmentOffset: number, body: Uint8Array, msgType = 11): HandshakeFragment {
  return { msgType, length, messageSeq, fragmentOffset, body };
}

function range(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}

/** Bytes [from, to) of the message as one fragment. */
function piece(message: Uint8Array, seq: number, from: number, to: number, msgType = 11): HandshakeFragment {
  return frag(seq, message.length, from, message.slice(from, to), msgType);
}

describe('fragmentMessage', () => {
  it('splits into pieces of at most maxFragmentBody bytes that cover the body in order', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 700 }), (body, max) => {
        const fs = fragmentMessage(HandshakeType.certificate, 3, body, max);
        expect(fs.length).toBe(Math.max(1, Math.ceil(body.length / max)));
        let offset = 0;
        for (const f of fs) {
          expect(f.msgType).toBe(HandshakeType.certificate);
          expect(f.messageSeq).toBe(3);
          expect(f.length).toBe(body.length);
          expect(f.fragmentOffset).toBe(offset);
          expect(f.body.length).toBeLessThanOrEqual(max);
          offset += f.body.length;
        }
        expect(offset).toBe(body.length);
      }),
    );
  });
  it('gives one empty fragment for an empty body', () => {
    expect(fragmentMessage(HandshakeType.server_hello_done, 5, new Uint8Array(0), 100)).toEqual([
      frag(5, 0, 0, new Uint8Array(0), HandshakeType.server_hello_done),
    ]);
  });
  it('refuses a non-positive fragment size', () => {
    expect(() => fragmentMessage(1, 0, range(10), 0)).toThrow(RangeError);
  });
});

describe('HandshakeReassembler', () => {
  it('delivers an unfragmented message and advances nextSeq', () => {
    const r = new HandshakeReassembler();
    expect(r.add(frag(0, 5, 0, range(5)))).toBe('accepted');
    expect(r.poll()).toEqual({ msgType: 11, messageSeq: 0, body: range(5), sources: [] });
    expect(r.nextSeq).toBe(1);
    expect(r.poll()).toBeUndefined();
    expect(r.bufferedBytes).toBe(0);
  });

  it('delivers messages in message_seq order whatever order they arrive in', () => {
    const r = new HandshakeReassembler();
    expect(r.add(frag(2, 3, 0, range(3, 20)))).toBe('accepted');
    expect(r.add(frag(1, 0, 0, new Uint8Array(0), HandshakeType.server_hello_done))).toBe('accepted');
    expect(r.poll()).toBeUndefined();
    expect(r.add(frag(0, 4, 2, range(2, 2)))).toBe('accepted');
    expect(r.poll()).toBeUndefined();
    expect(r.add(frag(0, 4, 0, range(2)))).toBe('accepted');
    expect(r.poll()?.body).toEqual(range(4));
    expect(r.poll()).toEqual({ msgType: HandshakeType.server_hello_done, messageSeq: 1, body: new Uint8Array(0), sources: [] });
    expect(r.poll()?.body).toEqual(range(3, 20));
    expect(r.nextSeq).toBe(3);
  });

  it("reports 'old' for messages already delivered (a peer retransmission)", () => {
    const r = new HandshakeReassembler();
    r.add(frag(0, 2, 0, range(2)));
    r.poll();
    expect(r.add(frag(0, 2, 0, range(2)))).toBe('old');
    // Even a fragment that would contradict it: the message is gone, nothing to compare.
    expect(r.add(frag(0, 9, 0, range(9), 1))).toBe('old');
  });

  it("reports 'duplicate' for fragments that bring no new byte", () => {
    const r = new HandshakeReassembler();
    const m = range(100);
    expect(r.add(piece(m, 0, 0, 60))).toBe('accepted');
    expect(r.add(piece(m, 0, 10, 50))).toBe('duplicate');
    expect(r.add(piece(m, 0, 0, 60))).toBe('duplicate');
    expect(r.add(piece(m, 0, 50, 100))).toBe('accepted');
    expect(r.add(piece(m, 0, 0, 100))).toBe('duplicate');
    expect(r.add(frag(1, 0, 0, new Uint8Array(0)))).toBe('accepted');
    expect(r.add(frag(1, 0, 0, new Uint8Array(0)))).toBe('duplicate');
    expect(r.poll()?.body).toEqual(m);
  });

  it('is not fooled by overlaps: byte count alone would say complete', () => {
    const r = new HandshakeReassembler();
    const m = range(10);
    // 6 + 6 = 12 bytes received, but byte 9 is missing.
    r.add(piece(m, 0, 0, 6));
    r.add(piece(m, 0, 3, 9));
    r.add(piece(m, 0, 2, 8));
    expect(r.poll()).toBeUndefined();
    r.add(piece(m, 0, 9, 10));
    expect(r.poll()?.body).toEqual(m);
  });

  it('drops what is too far ahead (window) and accepts it once the window moves', () => {
    const r = new HandshakeReassembler({ window: 2 });
    expect(r.add(frag(3, 1, 0, range(1)))).toBe('dropped');
    expect(r.add(frag(2, 1, 0, range(1)))).toBe('accepted');
    expect(r.add(frag(0, 1, 0, range(1)))).toBe('accepted');
    r.poll();
    expect(r.add(frag(3, 1, 0, range(1)))).toBe('accepted');
  });

  it('drops a zero-length fragment of a non-empty message without allocating', () => {
    const r = new HandshakeReassembler();
    expect(r.add(frag(0, 1000, 0, new Uint8Array(0)))).toBe('dropped');
    expect(r.bufferedBytes).toBe(0);
  });

  it('rejects a claimed length over maxMessageLength before allocating anything', () => {
    const r = new HandshakeReassembler();
    const claim16MB = frag(0, 0xffffff, 0, range(10));
    expect(() => r.add(claim16MB)).toThrow(IllegalParameterError);
    expect(r.bufferedBytes).toBe(0);
    // A 16 MB claim, even just ahead of the window, still allocates nothing.
    expect(() => r.add(frag(5, 16 * 1024 * 1024, 0, range(1)))).toThrow(IllegalParameterError);
    const small = new HandshakeReassembler({ maxMessageLength: 100, maxBufferedBytes: 100 });
    expect(() => small.add(frag(0, 101, 0, range(1)))).toThrow(IllegalParameterError);
    expect(small.add(frag(0, 100, 0, range(1)))).toBe('accepted');
  });

  it('rejects a fragment that runs past its message length', () => {
    const r = new HandshakeReassembler();
    expect(() => r.add(frag(0, 10, 5, range(6)))).toThrow(DecodeError);
    expect(() => r.add(frag(0, 10, 11, new Uint8Array(0)))).toThrow(DecodeError);
  });

  it('rejects fragments that contradict earlier ones (length or msg_type)', () => {
    const r = new HandshakeReassembler();
    r.add(frag(0, 10, 0, range(4)));
    expect(() => r.add(frag(0, 12, 4, range(4)))).toThrow(IllegalParameterError);
    expect(() => r.add(frag(0, 10, 4, range(4), 12))).toThrow(IllegalParameterError);
    // Also once complete but not yet polled.
    r.add(frag(0, 10, 4, range(6, 4)));
    expect(() => r.add(frag(0, 11, 0, range(1)))).toThrow(IllegalParameterError);
    expect(r.poll()?.body).toEqual(range(10));
  });

  it('keeps within the byte budget, evicting later messages for earlier ones', () => {
    // The budget counts bytes held (+16 per fragment), not claimed lengths: 1000-byte fragments.
    const r = new HandshakeReassembler({ maxMessageLength: 2000, maxBufferedBytes: 2500, window: 8 });
    expect(r.add(frag(3, 2000, 0, range(1000)))).toBe('accepted');
    expect(r.add(frag(4, 2000, 0, range(1000)))).toBe('accepted');
    expect(r.bufferedBytes).toBe(2 * (1000 + FRAGMENT_OVERHEAD));
    // Message 5 does not fit, and nothing later than it can make room.
    expect(r.add(frag(5, 2000, 0, range(1000)))).toBe('dropped');
    expect(r.bufferedBytes).toBe(2 * (1000 + FRAGMENT_OVERHEAD));
    // The next expected message gets room: the furthest-ahead message (4) goes.
    expect(r.add(frag(0, 2000, 0, range(1000)))).toBe('accepted');
    expect(r.bufferedBytes).toBe(2 * (1000 + FRAGMENT_OVERHEAD));
    expect(r.add(frag(4, 2000, 1000, range(1000)))).toBe('dropped');
    // Message 3 is kept: its next fragment fits only once message 0 is delivered.
    expect(r.add(frag(3, 2000, 1000, range(1000)))).toBe('dropped');
    expect(r.add(frag(0, 2000, 1000, range(1000)))).toBe('accepted');
    expect(r.poll()?.body.length).toBe(2000);
    expect(r.add(frag(3, 2000, 1000, range(1000)))).toBe('accepted');
  });

  it('charges the bytes that arrived, not the length a fragment claims', () => {
    // RFC 6347 4.2.3: the length field is the sender's word; allocating it on a 1-byte fragment
    // let 0.2 MB of fragments pin 300 MB across 1,000 half-open handshakes.
    const r = new HandshakeReassembler();
    for (let seq = 0; seq <= 8; seq++) expect(r.add(frag(seq, 65_536, 100, range(1)))).toBe('accepted');
    expect(r.bufferedBytes).toBe(9 * (1 + FRAGMENT_OVERHEAD));
    // More 1-byte fragments at scattered offsets cost 17 bytes each; a repeat costs nothing.
    for (let i = 0; i < 100; i++) r.add(frag(0, 65_536, 1000 + 2 * i, range(1)));
    expect(r.add(frag(0, 65_536, 1000, range(1)))).toBe('duplicate');
    // Message 0 holds 101 bytes in an arena doubled to 128.
    expect(r.bufferedBytes).toBe(8 * (1 + FRAGMENT_OVERHEAD) + 128 + 101 * FRAGMENT_OVERHEAD);
  });

  it('charges at most twice the distinct bytes received plus 16 per accepted fragment, whatever the stream', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 400 })), { maxLength: 80 }),
        (length, stream) => {
          const r = new HandshakeReassembler({ maxMessageLength: 5000, window: 0 });
          const seen = new Uint8Array(length);
          let accepted = 0;
          for (const [at, size] of stream) {
            const offset = at % length;
            const end = Math.min(length, offset + size);
            const outcome = r.add(frag(0, length, offset, range(end - offset, offset)));
            if (outcome === 'accepted') accepted++;
            seen.fill(1, offset, end);
            const distinct = seen.reduce((n, b) => n + b, 0);
            if (distinct === length) break;
            expect(r.bufferedBytes).toBeLessThanOrEqual(Math.min(length, 2 * distinct) + accepted * FRAGMENT_OVERHEAD);
          }
        },
      ),
    );
  });

  it('holds a message sent in order as one run, allocating at most its length', () => {
    const r = new HandshakeReassembler();
    const m = range(65_536, 7);
    const fragments = fragmentMessage(11, 0, m, 1000);
    for (const f of fragments.slice(0, -1)) expect(r.add(f)).toBe('accepted');
    // The arena doubles up to the message length; each fragment adds 16 bytes of overhead.
    expect(r.bufferedBytes).toBeLessThanOrEqual(65_536 + (fragments.length - 1) * FRAGMENT_OVERHEAD);
    const last = fragments[fragments.length - 1];
    if (last) r.add(last);
    expect(r.poll()?.body).toEqual(m);
    expect(r.bufferedBytes).toBe(0);
  });

  it('reassembles 1-byte fragments in reverse order (each its own run) to the right bytes', () => {
    const r = new HandshakeReassembler({ maxMessageLength: 4096 });
    const m = range(4096, 3);
    for (let at = 4095; at >= 0; at--) expect(r.add(piece(m, 0, at, at + 1))).toBe('accepted');
    expect(r.poll()?.body).toEqual(m);
  });

  it('gives back the records whose fragments brought bytes, once per record', () => {
    const r = new HandshakeReassembler();
    const m = range(30);
    r.add(piece(m, 0, 0, 10), { epoch: 0, sequenceNumber: 5 });
    r.add(piece(m, 0, 10, 20), { epoch: 0, sequenceNumber: 5 });
    r.add(piece(m, 0, 0, 10), { epoch: 0, sequenceNumber: 6 }); // duplicate: not a source
    r.add(piece(m, 0, 20, 30), { epoch: 0, sequenceNumber: 7 });
    expect(r.poll()).toEqual({ msgType: 11, messageSeq: 0, body: m, sources: [{ epoch: 0, sequenceNumber: 5 }, { epoch: 0, sequenceNumber: 7 }] });
  });

  it('cannot be made to hold more than the budget by any fragment stream', () => {
    const budget = 5000;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            seq: fc.nat(20),
            length: fc.integer({ min: 0, max: 2000 }),
            offset: fc.nat(2000),
            size: fc.nat(300),
          }),
          { maxLength: 60 },
        ),
        (stream) => {
          const r = new HandshakeReassembler({ maxMessageLength: 2000, maxBufferedBytes: budget, window: 4 });
          for (const s of stream) {
            const offset = Math.min(s.offset, s.length);
            const size = Math.min(s.size, s.length - offset);
            try {
              r.add(frag(s.seq, s.length, offset, range(size)));
            } catch (e) {
              expect(e).toBeInstanceOf(DtlsError);
            }
            expect(r.bufferedBytes).toBeLessThanOrEqual(budget);
            while (r.poll() !== undefined);
          }
        },
      ),
    );
  });

  it('reset() forgets everything; setting nextSeq discards what falls behind', () => {
    const r = new HandshakeReassembler();
    r.add(frag(0, 10, 0, range(3)));
    r.add(frag(1, 10, 0, range(3)));
    r.add(frag(2, 1, 0, range(1)));
    r.nextSeq = 2;
    expect(r.bufferedBytes).toBe(1 + FRAGMENT_OVERHEAD);
    expect(r.poll()?.messageSeq).toBe(2);
    r.add(frag(3, 10, 0, range(3)));
    r.reset(7);
    expect(r.bufferedBytes).toBe(0);
    expect(r.nextSeq).toBe(7);
    expect(r.add(frag(3, 10, 0, range(3)))).toBe('old');
  });

  it('validates its options', () => {
    expect(() => new HandshakeReassembler({ window: -1 })).toThrow(RangeError);
    expect(() => new HandshakeReassembler({ maxMessageLength: 0 })).toThrow(RangeError);
    expect(() => new HandshakeReassembler({ maxMessageLength: 1000, maxBufferedBytes: 999 })).toThrow(RangeError);
    // The default budget grows to hold one message of the largest allowed length, fragmented.
    const big = new HandshakeReassembler({ maxMessageLength: 300_000 });
    const message = range(300_000);
    for (const f of fragmentMessage(11, 0, message, 1000).reverse()) expect(big.add(f)).toBe('accepted');
    expect(big.poll()?.body).toEqual(message);
  });

  it('reassembles any duplicated, reordered, overlapping cover of a message to the same bytes', () => {
    // A cover: random [from, to) pieces plus the pieces of a regular split, so every byte is
    // covered; then shuffled and partly duplicated.
    const cover = fc
      .record({
        message: fc.uint8Array({ minLength: 1, maxLength: 1500 }),
        split: fc.integer({ min: 1, max: 500 }),
        extra: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 10 }),
        seed: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
      })
      .map(({ message, split, extra, seed }) => {
        const n = message.length;
        const pieces: [number, number][] = [];
        for (let at = 0; at < n; at += split) pieces.push([at, Math.min(n, at + split)]);
        for (const [a, b] of extra) {
          const from = a % n;
          pieces.push([from, from + 1 + (b % (n - from))]);
        }
        // Duplicate some, then shuffle (Fisher-Yates driven by the seed).
        const all = [...pieces, ...pieces.filter((_, i) => (seed[i % seed.length] ?? 0) % 3 === 0)];
        for (let i = all.length - 1; i > 0; i--) {
          const j = (seed[i % seed.length] ?? 0) % (i + 1);
          const x = all[i];
          const y = all[j];
          if (x !== undefined && y !== undefined) [all[i], all[j]] = [y, x];
        }
        return { message, pieces: all };
      });
    fc.assert(
      fc.property(cover, ({ message, pieces }) => {
        const r = new HandshakeReassembler();
        r.nextSeq = 4;
        let delivered: Uint8Array | undefined;
        for (const [from, to] of pieces) {
          expect(delivered).toBeUndefined();
          const outcome = r.add(piece(message, 4, from, to));
          expect(['accepted', 'duplicate']).toContain(outcome);
          delivered = r.poll()?.body;
          if (delivered === undefined) continue;
          expect(delivered).toEqual(message);
          break;
        }
        expect(delivered).toEqual(message);
        // Once delivered, the rest of the cover is a retransmission.
        expect(r.add(piece(message, 4, 0, message.length))).toBe('old');
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips fragmentMessage through the reassembler for a whole flight, shuffled', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 800 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
        (bodies, mtu, seed) => {
          const fragments = bodies.flatMap((b, i) => fragmentMessage(HandshakeType.certificate, i, b, mtu));
          fragments.sort((a, b) => ((seed[a.fragmentOffset % 10] ?? 0) ^ a.messageSeq) - ((seed[b.fragmentOffset % 10] ?? 0) ^ b.messageSeq));
          const r = new HandshakeReassembler();
          const out: Uint8Array[] = [];
          for (const f of fragments) {
            r.add(f);
            for (let m = r.poll(); m !== undefined; m = r.poll()) out.push(m.body);
          }
          expect(out).toEqual(bodies);
        },
      ),
    );
  });
});
