/**
 * Bug class 6: hostile handshake fragments (RFC 6347 4.2.3) reaching a live connection —
 * overlapping, zero-length, running past their message, claiming a huge length. Malformed ones
 * are dropped (RFC 6347 4.1.2.7: invalid input is discarded, not fatal) and the real handshake
 * completes afterwards; one claiming more than maxHandshakeMessageLength (default 64 KB) ends the
 * handshake with illegal_parameter (RFC 5246 7.2.2) rather than leaving it to time out. None
 * allocates what it claims.
 *
 * The reassembler itself (overlaps counted once, contradictions, the byte budget under any
 * fragment stream) is tested in ../handshake/reassembler.test.ts; the endpoint's table of
 * ClientHello fragments in ../endpoint/client-hello-fragments.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/bytes.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { fragmentMessage } from '../../src/handshake/common/fragmenter.js';
import { encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { ContentType } from '../../src/record/content-type.js';
import { AlertDescription, AlertLevel } from '../../src/alert.js';
import { expectLocalFailure, expectPeerFailure, Pair, plainRecord } from '../engine/harness.js';
import { handshakeTypes, plainAlerts, records } from '../support/wire.js';
import { datagram, forgedHandshake, type ForgedFragment, forgedRecord, rawFragment, reassemblerOf, renumberPlaintext } from './inject.js';

/** A pair whose server gets `forge(next)` (next = the message_seq it expects) just before flight 5. */
async function forgeBeforeFlight5(forge: (next: number) => ForgedFragment[], maxHandshakeMessageLength?: number): Promise<{ p: Pair; buffered: number[] }> {
  const p = new Pair({ server: maxHandshakeMessageLength === undefined ? {} : { maxHandshakeMessageLength } });
  const buffered: number[] = [];
  p.tap = (d, dir) => {
    if (dir !== 'c2s' || !handshakeTypes(d).includes(HandshakeType.client_key_exchange) || buffered.length > 0) return [d];
    const server = p.s;
    for (const f of forge(reassemblerOf(server).nextSeq)) {
      server.receive(datagram(forgedHandshake(f)), p.now);
      buffered.push(reassemblerOf(server).bufferedBytes);
    }
    expect(server.datagramsToSend()).toEqual([]);
    expect(server.state).toBe('handshaking');
    return [renumberPlaintext(d)];
  };
  await p.handshake();
  return { p, buffered };
}

/**
 * A pair whose server gets one forged fragment claiming more than its limit just before flight 5:
 * it ends the handshake at once with a plaintext fatal illegal_parameter alert, which the client
 * receives, and allocates nothing for the claim.
 */
async function forgeOversized(forge: (next: number) => ForgedFragment, maxHandshakeMessageLength?: number): Promise<Pair> {
  const p = new Pair({ server: maxHandshakeMessageLength === undefined ? {} : { maxHandshakeMessageLength } });
  let forged = false;
  p.tap = (d, dir) => {
    if (dir !== 'c2s' || forged || !handshakeTypes(d).includes(HandshakeType.client_key_exchange)) return [d];
    forged = true;
    const server = p.s;
    server.receive(datagram(forgedHandshake(forge(reassemblerOf(server).nextSeq))), p.now);
    expect(reassemblerOf(server).bufferedBytes).toBe(0);
    expect(server.state).toBe('closed');
    const answer = server.datagramsToSend();
    expect(answer.flatMap(plainAlerts)).toEqual([[AlertLevel.fatal, AlertDescription.illegal_parameter]]);
    for (const a of answer) p.client.receive(a, p.now);
    return [];
  };
  p.start();
  await p.run(0);
  p.drainEvents();
  expect(forged).toBe(true);
  expectLocalFailure(p.s, p.serverEvents, AlertDescription.illegal_parameter);
  expectPeerFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
  return p;
}

const MB16 = 16 * 1024 * 1024 - 1;

describe('hostile fragments into a server mid-handshake', () => {
  it('a claimed length of 16 MB: the handshake ends with illegal_parameter (RFC 5246 7.2.2), nothing allocated', async () => {
    const heapBefore = process.memoryUsage().arrayBuffers;
    const p = await forgeOversized((next) => ({ msgType: HandshakeType.client_key_exchange, messageSeq: next, length: MB16, fragmentOffset: 100, body: new Uint8Array(100) }));
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(16 * 1024 * 1024);
    expect(p.s.error?.message).toContain(`${MB16} bytes exceeds maxHandshakeMessageLength (65536)`);
  });

  it('a length over maxHandshakeMessageLength (configured 4096): illegal_parameter; exactly 4096 is taken', async () => {
    await forgeOversized((next) => ({ msgType: HandshakeType.client_key_exchange, messageSeq: next, length: 4097, body: new Uint8Array(200) }), 4096);
    const { buffered } = await forgeBeforeFlight5(
      (next) => [{ msgType: HandshakeType.certificate, messageSeq: next + 5, length: 4096, body: new Uint8Array(200) }],
      4096,
    );
    expect(buffered[0]).toBeGreaterThan(0);
  });

  it('fragment_offset + fragment_length > length: dropped', async () => {
    const p = new Pair();
    const buffered: number[] = [];
    p.tap = (d, dir) => {
      if (dir !== 'c2s' || !handshakeTypes(d).includes(HandshakeType.client_key_exchange) || buffered.length > 0) return [d];
      const server = p.s;
      const next = reassemblerOf(server).nextSeq;
      const type = HandshakeType.client_key_exchange;
      for (const bytes of [
        rawFragment(type, 10, next, 5, 6, new Uint8Array(6)),
        rawFragment(type, 0, next, 0, 1, new Uint8Array(1)),
        rawFragment(type, 100, next, 0xffffff, 1, new Uint8Array(1)),
        // fragment_length larger than the bytes that follow: a malformed record.
        rawFragment(type, 100, next, 0, 90, new Uint8Array(10)),
      ]) {
        server.receive(forgedRecord(bytes), p.now);
        buffered.push(reassemblerOf(server).bufferedBytes);
      }
      expect(server.datagramsToSend()).toEqual([]);
      return [renumberPlaintext(d)];
    };
    await p.handshake();
    expect(buffered).toEqual([0, 0, 0, 0]);
  });

  it('zero-length fragments of a non-empty message: dropped (RFC 5246 6.2.1), nothing allocated', async () => {
    const { buffered } = await forgeBeforeFlight5((next) =>
      Array.from({ length: 20 }, (_, i) => ({ msgType: HandshakeType.client_key_exchange, messageSeq: next + (i % 4), length: 60_000, fragmentOffset: i, body: new Uint8Array(0) })),
    );
    expect(buffered.every((b) => b === 0)).toBe(true);
  });

  it('a forged fragment that would start the next message with another type or length: the real one wins or the forgery is refused; never a completed handshake on forged bytes', async () => {
    // The attacker gets in first with a fragment of the message_seq the server expects; its real
    // ClientKeyExchange then contradicts it (another length) and is dropped; the server's
    // reassembly never completes with forged bytes: the client's retransmission finds the slot
    // still blocked, so the handshake ends at its deadline — a denial of service an off-path
    // attacker can do anyway in epoch 0 (a plaintext fatal alert), never a wrong handshake.
    const p = new Pair({ client: { handshakeTimeoutMs: 10_000 }, server: { handshakeTimeoutMs: 10_000 } });
    let forged = false;
    p.tap = (d, dir) => {
      if (dir === 'c2s' && handshakeTypes(d).includes(HandshakeType.client_key_exchange) && !forged) {
        forged = true;
        const next = reassemblerOf(p.s).nextSeq;
        p.s.receive(datagram(forgedHandshake({ msgType: HandshakeType.client_key_exchange, messageSeq: next, length: 500, body: new Uint8Array(10) })), p.now);
        return [renumberPlaintext(d)];
      }
      return [d];
    };
    p.start();
    await p.run(30_000);
    expect(p.s.state === 'established' && p.client.state === 'established').toBe(false);
    expect(p.s.error?.name).toBe('HandshakeTimeoutError');
  });
});

describe('overlapping and duplicated real fragments', () => {
  it('flight 5 re-cut into overlapping, duplicated, out-of-order fragments still completes the handshake', async () => {
    const p = new Pair();
    p.tap = (d, dir) => {
      if (dir !== 'c2s' || !handshakeTypes(d).includes(HandshakeType.client_key_exchange)) return [d];
      const out: Uint8Array[] = [];
      for (const r of records(d)) {
        if (r.header.type !== ContentType.handshake || r.header.epoch !== 0) {
          out.push(plainRecordLike(r.header, r.fragment));
          continue;
        }
        const f = { type: r.fragment[0] ?? 0, seq: ((r.fragment[4] ?? 0) << 8) | (r.fragment[5] ?? 0), body: r.fragment.subarray(12) };
        // Fragments of 7 bytes, each sent twice, in reverse; plus one overlapping the middle.
        const pieces = fragmentMessage(f.type, f.seq, f.body, 7).reverse();
        const overlap = { msgType: f.type, length: f.body.length, messageSeq: f.seq, fragmentOffset: 3, body: f.body.subarray(3, 20) };
        const fragments = [...pieces, overlap, ...pieces].map(encodeHandshakeFragment);
        out.push(plainRecord(ContentType.handshake, concatBytes(...fragments), 0));
      }
      return [renumberPlaintext(concatBytes(...out))];
    };
    await p.handshake();
  });
});

function plainRecordLike(header: { type: number; epoch: number; sequenceNumber: number; version: number }, fragment: Uint8Array): Uint8Array {
  return plainRecord(header.type, fragment, header.sequenceNumber, header.epoch, header.version);
}
