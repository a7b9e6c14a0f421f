import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '@dtls-kit/core';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/options.js';

describe('handshakeTimeoutMs default', () => {
  it("is core's, 60 000 ms, the same in the engine and both runtimes (issue 14)", () => {
    expect(DEFAULTS.handshakeTimeoutMs).toBe(DEFAULT_HANDSHAKE_TIMEOUT_MS);
    expect(DEFAULT_HANDSHAKE_TIMEOUT_MS).toBe(60_000);
  });
});
