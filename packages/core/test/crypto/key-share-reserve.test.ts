/**
 * KeyShareReserve: an ephemeral key pair made ahead of need is handed out once, never twice;
 * what a handshake takes is always a pair nobody else got.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes.js';
import { KeyShareReserve, ephemeralKeyShare } from '../../src/crypto/key-share-reserve.js';
import { recordingProvider } from '../support/recording-provider.js';

describe('KeyShareReserve', () => {
  it('hands out the pair made ahead once; the next take() makes a new one', () => {
    const { provider, made } = recordingProvider();
    const reserve = new KeyShareReserve(provider, 'x25519');
    reserve.fill();
    expect(made).toHaveLength(1);
    expect(reserve.held).toBe(true);
    const first = reserve.take('x25519');
    expect(first).toBe(made[0]);
    expect(reserve.held).toBe(false);
    const second = reserve.take('x25519');
    expect(made).toHaveLength(2);
    expect(second).toBe(made[1]);
    expect(toHex(second.publicKey)).not.toBe(toHex(first.publicKey));
  });

  it('fill() makes nothing while a pair waits', () => {
    const { provider, made } = recordingProvider();
    const reserve = new KeyShareReserve(provider, 'secp256r1');
    reserve.fill();
    reserve.fill();
    expect(made).toHaveLength(1);
    expect(made[0]?.group).toBe('secp256r1');
  });

  it('drops a waiting pair of another group, and fills with the group taken last', () => {
    const { provider, made } = recordingProvider();
    const reserve = new KeyShareReserve(provider, 'x25519');
    reserve.fill();
    const taken = reserve.take('secp256r1');
    expect(taken.group).toBe('secp256r1');
    expect(taken).not.toBe(made[0]);
    // The x25519 pair is gone: nothing waits, so nothing of it can be handed out later.
    expect(reserve.held).toBe(false);
    expect(reserve.take('x25519')).not.toBe(made[0]);
    reserve.take('secp256r1');
    reserve.fill();
    expect(made.at(-1)?.group).toBe('secp256r1');
  });

  it('clear() drops the waiting pair', () => {
    const { provider, made } = recordingProvider();
    const reserve = new KeyShareReserve(provider, 'x25519');
    reserve.fill();
    reserve.clear();
    expect(reserve.held).toBe(false);
    expect(reserve.take('x25519')).not.toBe(made[0]);
  });

  it('every pair taken over many handshakes is distinct', () => {
    const { provider } = recordingProvider();
    const reserve = new KeyShareReserve(provider, 'x25519');
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      // Spare time before some handshakes, not all.
      if (i % 3 !== 0) reserve.fill();
      const key = toHex(reserve.take('x25519').publicKey);
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
  });

  it('ephemeralKeyShare() takes from the reserve when there is one, else makes a pair', () => {
    const { provider, made } = recordingProvider();
    const keyShares = new KeyShareReserve(provider, 'x25519');
    keyShares.fill();
    expect(ephemeralKeyShare({ provider, keyShares }, 'x25519')).toBe(made[0]);
    const fresh = ephemeralKeyShare({ provider, keyShares: undefined }, 'x25519');
    expect(fresh).toBe(made[1]);
  });
});
