/**
 * A fixed-seed slice of the structured fuzzer on the CBC scenarios alone (encrypt-then-MAC and
 * MAC-then-encrypt records, RFC 5246 6.2.3.2 / RFC 7366): mutated datagrams into every state of
 * both sides and into established connections; nothing escapes, hangs, is forged or leaks.
 */
import { describe, expect, it } from 'vitest';
import { CBC_SCENARIOS, formatReport, fuzz } from './handshake-fuzz.js';

const SLICE_DATAGRAMS = 15_000;

describe('structured fuzz, CBC scenarios (fixed-seed slice)', () => {
  it(`${SLICE_DATAGRAMS} mutated datagrams: nothing escapes, nothing hangs, nothing forged, no heap growth`, () => {
    const report = fuzz(SLICE_DATAGRAMS, 0xcbc7366, CBC_SCENARIOS, 20);
    console.log(formatReport(report));
    expect(report.datagrams).toBeGreaterThanOrEqual(SLICE_DATAGRAMS);
    expect(report.heapAfterMB - report.heapBeforeMB).toBeLessThan(8);
    for (const state of ['wait_server_hello', 'wait_server_key_exchange', 'wait_server_hello_done', 'wait_finished', 'established']) {
      expect(report.reached[`client ${state}`] ?? 0).toBeGreaterThan(20);
    }
    for (const state of ['wait_client_key_exchange', 'wait_finished', 'established']) {
      expect(report.reached[`server ${state}`] ?? 0).toBeGreaterThan(20);
    }
  }, 180_000);
});
