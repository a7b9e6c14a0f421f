/**
 * DTLS-SRTP handshakes on the hostile simulated network of sim-lossy.test.ts (25% loss each way,
 * duplication, reordering, MTU 200): the use_srtp offer and answer ride in flights that are lost,
 * duplicated and retransmitted, and every seed still ends with both sides on the same SRTP
 * profile, MKI and keying material (RFC 5764 4.1.1, 4.2).
 */
import { describe, expect, it } from 'vitest';
import { PROVIDERS, SimPair } from '../engine/sim-harness.js';
import { expectFaultsBit, expectSeedsOk, runSeed, sweep } from '../engine/sim-sweep.js';

const SEEDS = Number(process.env.SIM_SEEDS ?? 200);
const MTU = 200;
const HOSTILE = { loss: 0.25, duplicate: 0.1, reorder: 0.25, reorderDelay: 80 } as const;
const PATIENT = { handshakeTimeoutMs: 3_600_000 } as const;
const MKI = Uint8Array.of(0xfe, 0xed);

describe(`DTLS-SRTP under 25% loss, duplication, reordering, MTU ${MTU}`, () => {
  it.each(['TLS_PSK_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256'])(`%s, ${SEEDS} seeds: both ends on the same SRTP keys`, async (suite) => {
    const outcomes = await sweep(`${suite} srtp`, SEEDS, (seed) => {
      const pair = new SimPair({
        suite,
        seed,
        mtu: MTU,
        link: HOSTILE,
        clientProvider: PROVIDERS.node,
        serverProvider: PROVIDERS.node,
        client: { ...PATIENT, srtpProfiles: 'SRTP_AES128_CM_SHA1_32:SRTP_AEAD_AES_256_GCM', srtpMki: MKI },
        server: { ...PATIENT, srtpProfiles: 'SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80' },
      });
      return runSeed(pair, seed, {
        budgetMs: PATIENT.handshakeTimeoutMs + 1_000,
        measure: () => ({}),
        check: {
          what: 'SRTP agreement',
          run: () => {
            const c = pair.client.getSrtpKeyingMaterial();
            const s = pair.serverConn?.getSrtpKeyingMaterial();
            expect(c?.profile.name).toBe('SRTP_AEAD_AES_256_GCM');
            expect(s?.profile).toBe(c?.profile);
            expect(s?.material).toEqual(c?.material);
            expect(s?.mki).toEqual(MKI);
            expect(c?.mki).toEqual(MKI);
          },
        },
      });
    });
    expectSeedsOk(outcomes, MTU);
    expectFaultsBit(outcomes);
  }, 300_000);
});
