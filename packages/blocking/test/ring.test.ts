import { describe, expect, it } from 'vitest';
import { C, Link, allocateLink } from '../src/ring.js';
import { HostLink } from '../src/host.js';

describe('shared-memory rings', () => {
  it('keep datagram boundaries and order across many wrap-arounds', () => {
    const link = new Link(allocateLink(4096));
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 2000; round++) {
      const n = (round * 37) % 700;
      const d = new Uint8Array(n).fill(next & 0xff);
      if (link.inbound.push(d)) next++;
      if (round % 3 !== 0) {
        const got = link.inbound.pop();
        if (got) {
          expect(got.every((b) => b === (expected & 0xff))).toBe(true);
          expected++;
        }
      }
    }
    for (let got = link.inbound.pop(); got; got = link.inbound.pop()) expected++;
    expect(expected).toBe(next);
    expect(Atomics.load(link.ctrl, C.IN_USED)).toBe(0);
  });

  it('a full ring drops the datagram and counts it', () => {
    const host = new HostLink(4096);
    let accepted = 0;
    for (let i = 0; i < 10; i++) if (host.deliver(new Uint8Array(1000))) accepted++;
    expect(accepted).toBe(4); // 4 x (4 + 1000) bytes fit in 4096
    expect(host.inDropped).toBe(6);
    expect(Atomics.load(host.ctrl, C.IN_SEQ)).toBe(4); // the worker was woken once per datagram queued
  });
});
