import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/bytes.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { Transcript } from '../../src/handshake/common/transcript.js';
import { encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';

/** RFC 6347 4.2.6: each message as if sent in one fragment, header included. */
function entry(msgType: number, messageSeq: number, body: Uint8Array): Uint8Array {
  return encodeHandshakeFragment({ msgType, length: body.length, messageSeq, fragmentOffset: 0, body });
}

function body(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('Transcript', () => {
  it('is every message with its unfragmented DTLS header, back to back, as it grows past its first buffer', () => {
    const t = new Transcript();
    const messages = [
      { type: 1, seq: 1, body: body(150, 1) },
      { type: 2, seq: 1, body: body(70, 2) },
      { type: 14, seq: 2, body: new Uint8Array(0) },
      { type: 11, seq: 2, body: body(70_000, 3) }, // a length over 2^16 uses the third length byte
      { type: 16, seq: 3, body: body(33, 4) },
    ];
    const expected: Uint8Array[] = [];
    for (const m of messages) {
      t.add(m.type, m.seq, m.body);
      expected.push(entry(m.type, m.seq, m.body));
      expect(t.bytes()).toEqual(concatBytes(...expected));
      expect(t.hash(nodeCryptoProvider, 'sha256')).toEqual(nodeCryptoProvider.hash('sha256', concatBytes(...expected)));
    }
  });

  it('bytes() is a copy that later messages and a reset do not change; a reset starts over (RFC 6347 4.2.6)', () => {
    const t = new Transcript();
    t.add(1, 0, body(20, 5));
    const first = t.bytes();
    const copy = first.slice();
    t.reset();
    t.add(1, 1, body(20, 6));
    expect(first).toEqual(copy);
    expect(t.bytes()).toEqual(entry(1, 1, body(20, 6)));
  });

  it('hashes the same messages once (session_hash, then the client Finished: RFC 7627 4, RFC 5246 7.4.9); each digest is a copy', () => {
    let hashed = 0;
    const counting: CryptoProvider = { ...nodeCryptoProvider, hash: (algorithm, data) => (hashed++, nodeCryptoProvider.hash(algorithm, data)) };
    const t = new Transcript();
    t.add(1, 1, body(150, 1));
    t.add(16, 2, body(40, 2));
    const sessionHash = t.hash(counting, 'sha256');
    const finishedHash = t.hash(counting, 'sha256');
    expect(hashed).toBe(1);
    expect(finishedHash).toEqual(sessionHash);
    expect(finishedHash).not.toBe(sessionHash);
    // A caller that changes its digest does not change the next one.
    sessionHash.fill(0);
    expect(t.hash(counting, 'sha256')).toEqual(finishedHash);
    // Another algorithm, another message, a reset: each hashes anew.
    expect(t.hash(counting, 'sha384')).toEqual(nodeCryptoProvider.hash('sha384', t.bytes()));
    expect(hashed).toBe(2);
    t.add(20, 3, body(12, 3));
    expect(t.hash(counting, 'sha384')).toEqual(nodeCryptoProvider.hash('sha384', t.bytes()));
    expect(hashed).toBe(3);
    // Same length after a reset, different bytes: not the old digest.
    const before = t.hash(counting, 'sha384');
    const length = t.bytes().length;
    t.reset();
    t.add(1, 1, body(length - 12, 9));
    expect(t.bytes().length).toBe(length);
    expect(t.hash(counting, 'sha384')).not.toEqual(before);
    expect(t.hash(counting, 'sha384')).toEqual(nodeCryptoProvider.hash('sha384', t.bytes()));
    expect(hashed).toBe(4);
  });
});
