/**
 * DTLS-SRTP in the structured fuzzer: the 'psk-srtp' scenario (use_srtp with an MKI in both hellos)
 * gets its own fixed-seed slice, and its invariant (srtp-agreement.ts) is shown to catch peers that
 * disagree on the SRTP profile or keys.
 */
import { describe, expect, it } from 'vitest';
import { FuzzPump } from './fuzz-pump.js';
import { formatReport, fuzz } from './handshake-fuzz.js';
import { checkSrtpAgreement } from './srtp-agreement.js';
import { clientPsk, serverPsk } from '../support/psk.js';

const SLICE_DATAGRAMS = 10_000;

function established(client: { srtpProfiles?: string }, server: { srtpProfiles?: string }): FuzzPump {
  const p = new FuzzPump({ psk: clientPsk(), ...client }, { psk: serverPsk(), ...server }, undefined);
  p.start();
  p.run();
  return p;
}

describe('use_srtp under the structured fuzzer', () => {
  it(`psk-srtp: ${SLICE_DATAGRAMS} mutated datagrams, nothing escapes or hangs, established peers share the SRTP keys`, () => {
    const report = fuzz(SLICE_DATAGRAMS, 0x5125, ['psk-srtp'], 20);
    console.log(formatReport(report));
    expect(report.datagrams).toBeGreaterThanOrEqual(SLICE_DATAGRAMS);
    expect(report.heapAfterMB - report.heapBeforeMB).toBeLessThan(8);
    expect(report.reached['client wait_server_hello'] ?? 0).toBeGreaterThan(100);
    expect(report.reached['server wait_client_key_exchange'] ?? 0).toBeGreaterThan(100);
  }, 120_000);

  it('the invariant holds for a clean SRTP pair and reports a pair without SRTP', () => {
    const good = established({ srtpProfiles: 'SRTP_AES128_CM_SHA1_80' }, { srtpProfiles: 'SRTP_AES128_CM_SHA1_80' });
    checkSrtpAgreement(good);
    expect(good.failures).toEqual([]);
    const none = established({ srtpProfiles: 'SRTP_AES128_CM_SHA1_80' }, {});
    checkSrtpAgreement(none);
    expect(none.failures).toEqual(['established without DTLS-SRTP although both ends offer a common profile']);
  });
});
