/**
 * DtlsConnection.stats: exactly its documented counters, as numbers that follow the traffic
 * (the record layer's own `sealed` is reported as recordsOut, not beside it).
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { Pair } from './harness.js';

const KEYS = [
  'dropped',
  'replayed',
  'badMac',
  'held',
  'retransmissions',
  'retransmittedBytes',
  'retransmittedDatagrams',
  'acksSent',
  'acksReceived',
  'unvalidatedHeldBytes',
  'unvalidatedDropped',
  'pathChallenges',
  'pathValidations',
  'recordsIn',
  'applicationRecordsIn',
  'applicationBytesIn',
  'applicationRecordsOut',
  'applicationBytesOut',
  'recordsOut',
].sort();

describe('DtlsConnection.stats', () => {
  it('has exactly the documented counters, and they follow the traffic', async () => {
    const p = await new Pair().handshake();
    expect(Object.keys(p.client.stats).sort()).toEqual(KEYS);
    expect(Object.keys(p.s.stats).sort()).toEqual(KEYS);
    const before = p.client.stats;
    p.client.send(utf8('hello'));
    await p.run();
    const after = p.client.stats;
    expect(after.applicationRecordsOut - before.applicationRecordsOut).toBe(1);
    expect(after.applicationBytesOut - before.applicationBytesOut).toBe(5);
    expect(after.recordsOut - before.recordsOut).toBe(1);
    expect(p.s.stats.applicationRecordsIn).toBe(1);
    expect(p.s.stats.applicationBytesIn).toBe(5);
    // A stats object is a snapshot: reading it again gives a new one.
    expect(before.recordsOut).toBeLessThan(after.recordsOut);
  });
});
