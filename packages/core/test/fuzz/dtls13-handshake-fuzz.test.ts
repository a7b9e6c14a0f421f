/**
 * The fixed-seed slice of the structured fuzzer's DTLS 1.3 scenarios (dtls13-scenarios.ts,
 * dtls13-fuzz.ts) that runs with every `test`: mutated 1.3 sessions on the wire and inside the
 * keys, into every state of our 1.3 client, the stateless endpoint and our 1.3 server.
 * `FUZZ_SCENARIOS=tls13-psk,... pnpm fuzz` runs the long one.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, fuzz } from './handshake-fuzz.js';
import { type FuzzCase13, runCase13 } from './dtls13-fuzz.js';
import { DTLS13_SCENARIOS } from './dtls13-scenarios.js';

/**
 * Cases the fuzzer shrank to when it found a bug, kept as they were printed: each failed before
 * its fix (internal_error from a cookie ClientHello at message_seq 65535 or at record sequence
 * number 2^48 - 2; application data under the handshake keys delivered once the handshake ended).
 */
const FOUND: readonly FuzzCase13[] = [
  {
    scenario: 'tls13-ecdsa',
    mtu: 1200,
    injections: [
      // Position 1169 as found (mod the 135-byte body: the first byte of the X25519 key share);
      // 107 since the 1.3-only ClientHello carries server_name (18 bytes before it).
      { index: 0, mutants: [[{ kind: 'body-flip', record: 0, position: 107, bit: 0 }]], keepOriginal: false, mutantsFirst: false },
      {
        index: 6,
        mutants: [[{ kind: 'handshake-field', record: 0, field: 'messageSeq', value: 65535 }], [{ kind: 'plaintext-handshake-field', record: 0, field: 'msgType', value: 0 }]],
        keepOriginal: false,
        mutantsFirst: false,
      },
    ],
    seals: [],
    appMessages: 0,
    closeFrom: 'client',
  },
  {
    scenario: 'tls13-psk',
    mtu: 1200,
    injections: [{ index: 2, mutants: [[{ kind: 'record-field', record: 0, field: 'sequence', value: 281474976710654 }]], keepOriginal: true, mutantsFirst: false }],
    seals: [],
    appMessages: 0,
    closeFrom: 'client',
  },
  { scenario: 'tls13-psk', mtu: 1200, injections: [], seals: [{ side: 'client', index: 0, mutations: [{ kind: 'content-type', type: 23 }] }], appMessages: 0, closeFrom: 'client' },
];

const SLICE_DATAGRAMS = 20_000;

describe('structured fuzz, DTLS 1.3 (fixed-seed slice)', () => {
  it(`${SLICE_DATAGRAMS} mutated datagrams: nothing escapes, nothing hangs, nothing forged, no internal_error, no heap growth`, () => {
    const report = fuzz(SLICE_DATAGRAMS, 0x9147, DTLS13_SCENARIOS, 20);
    console.log(formatReport(report));
    expect(report.datagrams).toBeGreaterThanOrEqual(SLICE_DATAGRAMS);
    expect(report.heapAfterMB - report.heapBeforeMB).toBeLessThan(8);
    // Every state of both 1.3 sides got mutated input.
    for (const state of ['wait_server_hello', 'wait_encrypted_extensions', 'wait_certificate_or_request', 'established']) {
      expect(report.reached[`client ${state}`] ?? 0, state).toBeGreaterThan(100);
    }
    for (const state of ['wait_certificate_verify', 'wait_finished']) expect(report.reached[`client ${state}`] ?? 0, state).toBeGreaterThan(20);
    for (const state of ['wait_client_certificate', 'wait_finished', 'established']) expect(report.reached[`server ${state}`] ?? 0, state).toBeGreaterThan(100);
    expect(report.reached.endpoint ?? 0).toBeGreaterThan(1000);
  }, 180_000);

  it.each(FOUND.map((c, i) => [i, c] as const))('found case %i stays fixed', (_i, c) => {
    const r = runCase13(c);
    expect(r.failures).toEqual([]);
    expect(r.datagrams).toBeGreaterThan(5);
  });
});
