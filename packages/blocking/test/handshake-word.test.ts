/**
 * The handshake word shared by a connection's worker and the main thread: an eviction and the
 * handshake's progress or end cannot cross (issue 12, point 4).
 */
import { describe, expect, it } from 'vitest';
import { evictIfUnchanged, markEstablished, Phase, phaseOf, reportHandshake, stepsOf, waitsOnPeer } from '../src/handshake-word.js';
import { HostLink } from '../src/host.js';
import { C } from '../src/ring.js';

const word = (link: HostLink): number => Atomics.load(link.ctrl, C.HANDSHAKE);

describe('the handshake word', () => {
  it('counts steps and tells whether the worker waits on its peer', () => {
    const link = new HostLink(4096);
    expect(reportHandshake(link.ctrl, true, true)).toBe(true);
    expect(stepsOf(word(link))).toBe(1);
    expect(waitsOnPeer(word(link))).toBe(true);
    expect(reportHandshake(link.ctrl, false, false)).toBe(true); // waiting on our own lookup now
    expect(stepsOf(word(link))).toBe(1);
    expect(waitsOnPeer(word(link))).toBe(false);
    expect(phaseOf(word(link))).toBe(Phase.HANDSHAKING);
  });

  it('an eviction fails once the handshake moved or finished since it was judged', () => {
    const link = new HostLink(4096, 0);
    reportHandshake(link.ctrl, true, true);
    const seen = link.observe(10);
    expect(link.lastStepAt).toBe(10);
    reportHandshake(link.ctrl, true, true); // the peer answered meanwhile
    expect(link.evict(seen)).toBe(false);
    expect(phaseOf(word(link))).toBe(Phase.HANDSHAKING);
    const again = link.observe(20);
    expect(link.lastStepAt).toBe(20);
    expect(markEstablished(link.ctrl)).toBe(true);
    expect(link.evict(again)).toBe(false);
    expect(link.established).toBe(true);
    expect(evictIfUnchanged(link.ctrl, word(link))).toBe(false); // an established connection is never evicted
  });

  it('once evicted, the worker can neither report a step nor finish the handshake', () => {
    const link = new HostLink(4096);
    reportHandshake(link.ctrl, true, true);
    const seq = Atomics.load(link.ctrl, C.IN_SEQ);
    expect(link.evict(link.observe())).toBe(true);
    expect(Atomics.load(link.ctrl, C.IN_SEQ)).toBe(seq + 1); // the worker was woken
    expect(reportHandshake(link.ctrl, true, true)).toBe(false);
    expect(markEstablished(link.ctrl)).toBe(false);
    expect(phaseOf(word(link))).toBe(Phase.EVICTED);
    expect(link.established).toBe(false);
  });
});
