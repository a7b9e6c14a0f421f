/**
 * The HANDOVER frame's codec (handover-frame.ts): bytes that are not a snapshot of this layout
 * come back as undefined (the worker then fails that connection's setup), never as an exception
 * out of the worker's loop. (A real connection through it: handshakes-main.test.ts, and core's
 * established-snapshot.test.ts for the codec itself.)
 */
import { ESTABLISHED_SNAPSHOT_FORMAT } from '@dtls-kit/core';
import { describe, expect, it } from 'vitest';
import { decodeHandover } from '../src/handover-frame.js';

const text = (s: string): number[] => [0x60 + s.length, ...Buffer.from(s)];
/** CBOR (RFC 8949) of { format: tag }: a map of one entry, two short text strings. */
const withTag = (tag: string): Uint8Array => Uint8Array.from([0xa1, ...text('format'), ...text(tag)]);

describe('HANDOVER frame', () => {
  it('reads the layout tag, and gives undefined for bytes that are no snapshot of this layout', () => {
    expect(decodeHandover(withTag(ESTABLISHED_SNAPSHOT_FORMAT))).toEqual({ format: ESTABLISHED_SNAPSHOT_FORMAT });
    expect(decodeHandover(withTag('dtls-kit/established/2'))).toBeUndefined();
    const good = withTag(ESTABLISHED_SNAPSHOT_FORMAT);
    for (let n = 0; n < good.length; n++) expect(decodeHandover(good.subarray(0, n))).toBeUndefined();
    expect(decodeHandover(Uint8Array.from([...good, 0]))).toBeUndefined();
    // node:v8's serialization of the same object (the frame's former encoding) is not read as one.
    expect(decodeHandover(Uint8Array.from([0xff, 0x0f, 0x6f, 0x22, 0x06, ...Buffer.from('format')]))).toBeUndefined();
  });
});
