/**
 * The fixed-seed slice of the structured fuzzer (handshake-fuzz.ts) that runs with every
 * `test`: mutated real handshakes into the client at each state, the stateless endpoint, the
 * accepted server connection and the established connections. `pnpm fuzz` runs the long one.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, fuzz } from './handshake-fuzz.js';

const SLICE_DATAGRAMS = 50_000;

describe('structured fuzz (fixed-seed slice)', () => {
  it(`${SLICE_DATAGRAMS} mutated datagrams: nothing escapes, nothing hangs, nothing forged, no heap growth`, () => {
    const report = fuzz(SLICE_DATAGRAMS, 0x0d7150, undefined, 20);
    console.log(formatReport(report));
    expect(report.datagrams).toBeGreaterThanOrEqual(SLICE_DATAGRAMS);
    expect(report.heapAfterMB - report.heapBeforeMB).toBeLessThan(8);
    // Every state of both sides got mutated input.
    for (const state of ['wait_server_hello', 'wait_certificate', 'wait_server_key_exchange', 'wait_server_hello_done', 'wait_finished', 'established']) {
      expect(report.reached[`client ${state}`] ?? 0).toBeGreaterThan(100);
    }
    for (const state of ['wait_client_certificate', 'wait_client_key_exchange', 'wait_finished', 'established']) {
      expect(report.reached[`server ${state}`] ?? 0).toBeGreaterThan(100);
    }
    expect(report.reached.endpoint ?? 0).toBeGreaterThan(1000);
    // The resumed (abbreviated) handshakes' own states, both sides (resumed-scenarios.ts).
    expect(report.reached['client wait_resumed_finished'] ?? 0).toBeGreaterThan(100);
    expect(report.reached['server wait_resumed_finished'] ?? 0).toBeGreaterThan(100);
  }, 180_000);
});
