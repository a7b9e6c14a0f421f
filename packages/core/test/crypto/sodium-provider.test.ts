/**
 * The optional sodium-native provider: what it takes from libsodium and what it leaves to
 * node:crypto, and how it says it cannot be used (the loader is injected to simulate a missing,
 * foreign or broken sodium-native). Its known answers, tampering and sealInto tests run with
 * every provider's (aead.test.ts, seal-into.test.ts).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { ProviderUnavailableError } from '../../src/crypto/provider-unavailable-error.js';
import type { AeadAlgorithm } from '../../src/crypto/provider.js';
import { loadSodiumCryptoProvider, sodiumCryptoProvider, type ModuleLoader } from '../../src/crypto/sodium-provider.js';

const realSodium: unknown = createRequire(import.meta.url)('sodium-native');

const ENCRYPT = 'crypto_aead_chacha20poly1305_ietf_encrypt';
const DECRYPT = 'crypto_aead_chacha20poly1305_ietf_decrypt';

/** A function of the real sodium-native, by name. */
function realFunction(name: string): (...args: unknown[]) => unknown {
  const f: unknown = typeof realSodium === 'object' && realSodium !== null ? Reflect.get(realSodium, name) : undefined;
  if (typeof f !== 'function') throw new Error(`sodium-native has no ${name}`);
  return (...args: unknown[]): unknown => Reflect.apply(f, realSodium, args);
}

/** A loader handing out a module with these two functions (and counting the calls to them). */
function fakeSodium(encrypt: (...args: unknown[]) => unknown, decrypt: (...args: unknown[]) => unknown): { load: ModuleLoader; calls: string[] } {
  const calls: string[] = [];
  const module = {
    [ENCRYPT]: (...args: unknown[]): unknown => {
      calls.push('encrypt');
      return encrypt(...args);
    },
    [DECRYPT]: (...args: unknown[]): unknown => {
      calls.push('decrypt');
      return decrypt(...args);
    },
  };
  return {
    calls,
    load: (id: string): unknown => {
      if (id !== 'sodium-native') throw new Error(`unexpected module ${id}`);
      return module;
    },
  };
}

function expectUnavailable(load: ModuleLoader, message: RegExp): void {
  let error: unknown;
  try {
    loadSodiumCryptoProvider({ load });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ProviderUnavailableError);
  expect(error).toMatchObject({ name: 'ProviderUnavailableError', code: 'ERR_DTLS_PROVIDER_UNAVAILABLE' });
  expect(String(error)).toMatch(message);
  // The non-throwing form falls back: undefined, so that `?? nodeCryptoProvider` applies.
  expect(sodiumCryptoProvider({ load })).toBeUndefined();
}

describe('sodium-native provider', () => {
  it('loads here (sodium-native is installed as an optional dependency) and is named', () => {
    const provider = sodiumCryptoProvider();
    expect(provider?.name).toBe('sodium-native');
    expect(loadSodiumCryptoProvider().name).toBe('sodium-native');
    // The default provider stays node:crypto's: nothing switches by itself.
    expect(nodeCryptoProvider.name).toBe('node:crypto');
  });

  it('seals and opens ChaCha20-Poly1305 with libsodium, and leaves every other AEAD to node:crypto', () => {
    const fake = fakeSodium(realFunction(ENCRYPT), realFunction(DECRYPT));
    const provider = loadSodiumCryptoProvider({ load: fake.load });
    fake.calls.length = 0; // the load's self-check
    const nonce = new Uint8Array(12).fill(7);
    const aad = new Uint8Array(13).fill(1);
    const plaintext = new Uint8Array(1200).fill(0x55);

    const chacha = provider.aead('chacha20-poly1305', new Uint8Array(32).fill(9));
    const sealed = chacha.seal(nonce, plaintext, aad);
    expect(toHex(sealed)).toBe(toHex(nodeCryptoProvider.aead('chacha20-poly1305', new Uint8Array(32).fill(9)).seal(nonce, plaintext, aad)));
    expect(chacha.open(nonce, sealed, aad)).toEqual(plaintext);
    expect(fake.calls).toEqual(['encrypt', 'decrypt']);

    const others: readonly AeadAlgorithm[] = ['aes-128-gcm', 'aes-256-gcm', 'aes-128-ccm', 'aes-128-ccm-8'];
    for (const algorithm of others) {
      const key = new Uint8Array(algorithm === 'aes-256-gcm' ? 32 : 16).fill(3);
      const aead = provider.aead(algorithm, key);
      expect(aead.algorithm).toBe(algorithm);
      const s = aead.seal(nonce, plaintext, aad);
      expect(toHex(s)).toBe(toHex(nodeCryptoProvider.aead(algorithm, key).seal(nonce, plaintext, aad)));
      expect(aead.open(nonce, s, aad)).toEqual(plaintext);
    }
    expect(fake.calls).toEqual(['encrypt', 'decrypt']);
    // Hashes, HMAC, randomness and key shares are node:crypto's.
    expect(provider.hash).toBe(nodeCryptoProvider.hash);
    expect(provider.hmac).toBe(nodeCryptoProvider.hmac);
    expect(provider.randomBytes).toBe(nodeCryptoProvider.randomBytes);
    expect(provider.generateKeyShare).toBe(nodeCryptoProvider.generateKeyShare);
  });

  it('a sealInto writes into the record at its offset, and a too-small record is a RangeError', () => {
    const aead = loadSodiumCryptoProvider().aead('chacha20-poly1305', new Uint8Array(32).fill(2));
    const nonce = new Uint8Array(12);
    const plaintext = new Uint8Array(100).fill(1);
    const sealed = aead.seal(nonce, plaintext, new Uint8Array(0));
    // A record that is itself a view into a larger slab, as the record layer's are.
    const slab = new Uint8Array(400).fill(0xee);
    const record = new Uint8Array(slab.buffer, 50, 13 + sealed.length + 3);
    aead.sealInto?.(nonce, plaintext, new Uint8Array(0), record, 13);
    expect(toHex(slab.subarray(63, 63 + sealed.length))).toBe(toHex(sealed));
    expect(slab.subarray(0, 63).every((b) => b === 0xee)).toBe(true);
    expect(slab.subarray(63 + sealed.length).every((b) => b === 0xee)).toBe(true);
    expect(() => aead.sealInto?.(nonce, plaintext, new Uint8Array(0), record, 17)).toThrow(RangeError);
    expect(() => aead.sealInto?.(nonce, plaintext, new Uint8Array(0), record, -1)).toThrow(RangeError);
    expect(() => aead.sealInto?.(new Uint8Array(8), plaintext, new Uint8Array(0), record, 0)).toThrow(RangeError);
  });

  it('opens in place: the plaintext over the ciphertext, in the same memory; a forgery or a bad nonce is null', () => {
    const aead = loadSodiumCryptoProvider().aead('chacha20-poly1305', new Uint8Array(32).fill(2));
    const nonce = new Uint8Array(12).fill(9);
    const aad = new Uint8Array(13).fill(4);
    const plaintext = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const sealed = aead.seal(nonce, plaintext, aad);
    // The sealed bytes at an offset of a larger datagram, as a record's are.
    const datagram = new Uint8Array(21 + sealed.length + 5).fill(0xee);
    datagram.set(sealed, 21);
    const opened = aead.openInPlace?.(nonce, new Uint8Array(datagram.buffer, 21, sealed.length), aad);
    expect(opened).toBeInstanceOf(Uint8Array);
    expect(opened?.buffer).toBe(datagram.buffer);
    expect(opened?.byteOffset).toBe(21);
    expect(toHex(opened ?? new Uint8Array(0))).toBe(toHex(plaintext));
    // Nothing outside the record was written; its tag is still there.
    expect(datagram.subarray(0, 21).every((b) => b === 0xee)).toBe(true);
    expect(toHex(datagram.subarray(21 + plaintext.length, 21 + sealed.length))).toBe(toHex(sealed.subarray(plaintext.length)));
    expect(datagram.subarray(21 + sealed.length).every((b) => b === 0xee)).toBe(true);
    const forged = sealed.slice();
    forged[0] = (forged[0] ?? 0) ^ 1;
    expect(aead.openInPlace?.(nonce, forged, aad)).toBeNull();
    expect(aead.openInPlace?.(new Uint8Array(8), sealed.slice(), aad)).toBeNull();
    expect(aead.openInPlace?.(nonce, new Uint8Array(15), aad)).toBeNull();
  });

  it('refuses a binding that cannot decrypt in place (the load-time check)', () => {
    const encrypt = realFunction(ENCRYPT);
    const decrypt = realFunction(DECRYPT);
    // Clears its output before it reads its input: right when they are apart, wrong in place.
    const clobbering = (...args: unknown[]): unknown => {
      const m = args[0];
      if (m instanceof Uint8Array) m.fill(0);
      return decrypt(...args);
    };
    expectUnavailable(fakeSodium(encrypt, clobbering).load, /self-check: does not open in place what it sealed/);
  });

  it('says so when sodium-native is not installed', () => {
    const missing: ModuleLoader = (id) => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    expectUnavailable(missing, /sodium-native could not be loaded \(Cannot find module 'sodium-native'\).*optional dependency/);
    try {
      loadSodiumCryptoProvider({ load: missing });
    } catch (error) {
      expect(error).toBeInstanceOf(Error);
      expect(error instanceof Error ? error.cause : undefined).toMatchObject({ code: 'MODULE_NOT_FOUND' });
    }
  });

  it('says so when the module loaded is not a sodium-native with the IETF ChaCha20-Poly1305', () => {
    expectUnavailable(() => ({ crypto_secretbox_easy: () => 0 }), /has no crypto_aead_chacha20poly1305_ietf_encrypt/);
    expectUnavailable(() => undefined, /has no crypto_aead_chacha20poly1305_ietf_encrypt/);
    expectUnavailable(() => 'sodium', /has no/);
  });

  it('refuses a binding that seals wrong, cannot open, or opens a forgery (the load-time check)', () => {
    const encrypt = realFunction(ENCRYPT);
    const decrypt = realFunction(DECRYPT);
    const flipFirstByte = (...args: unknown[]): unknown => {
      const r = encrypt(...args);
      const c = args[0];
      if (c instanceof Uint8Array) c[0] = (c[0] ?? 0) ^ 1;
      return r;
    };
    expectUnavailable(fakeSodium(flipFirstByte, decrypt).load, /self-check: sealed bytes differ from node:crypto/);
    const throwing = (): unknown => {
      throw new Error('addon crashed');
    };
    expectUnavailable(fakeSodium(throwing, decrypt).load, /self-check: seal failed \(Error: addon crashed\)/);
    expectUnavailable(fakeSodium(encrypt, throwing).load, /self-check: does not open what it sealed/);
    // A decrypt that does not check the tag. Simulated: the self-check's forgery has the last bit
    // of its tag flipped, so flipping it back opens it as a binding ignoring tags would.
    const unchecked = (...args: unknown[]): unknown => {
      try {
        return decrypt(...args);
      } catch {
        const [m, nsec, c, ...rest] = args;
        const restored = c instanceof Uint8Array ? c.slice() : new Uint8Array(0);
        restored[restored.length - 1] = (restored[restored.length - 1] ?? 0) ^ 1;
        return decrypt(m, nsec, restored, ...rest);
      }
    };
    expectUnavailable(fakeSodium(encrypt, unchecked).load, /self-check: opens a record with a wrong tag/);
  });

  it('takes the module from the loader given (a bundler, an application with its own copy)', () => {
    const fake = fakeSodium(realFunction(ENCRYPT), realFunction(DECRYPT));
    const provider = sodiumCryptoProvider({ load: fake.load });
    expect(provider?.name).toBe('sodium-native');
    expect(fake.calls.length).toBeGreaterThan(0);
  });
});
