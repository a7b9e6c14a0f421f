/**
 * The optional native-aead provider (OpenSSL EVP through @dtls-kit/native-aead): what it takes from
 * the addon and what it leaves to node:crypto, and how it says it cannot be used (the loader is
 * injected to simulate a missing, foreign or broken addon). Its known answers, tampering and
 * sealInto tests run with every provider's (aead.test.ts, seal-into.test.ts).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes.js';
import { loadNativeCryptoProvider, nativeCryptoProvider } from '../../src/crypto/native-provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { ModuleLoader } from '../../src/crypto/optional-module.js';
import { ProviderUnavailableError } from '../../src/crypto/provider-unavailable-error.js';
import type { AeadAlgorithm } from '../../src/crypto/provider.js';

const MODULE = '@dtls-kit/native-aead';
const realAddon: unknown = createRequire(import.meta.url)(MODULE);

type Fn = (...args: unknown[]) => unknown;

/** A function of the real addon, by name. */
function realFunction(name: string): Fn {
  const f: unknown = typeof realAddon === 'object' && realAddon !== null ? Reflect.get(realAddon, name) : undefined;
  if (typeof f !== 'function') throw new Error(`${MODULE} has no ${name}`);
  return (...args: unknown[]): unknown => Reflect.apply(f, realAddon, args);
}

/**
 * A loader handing out an addon with these functions (the real ones by default), counting the
 * calls; `mask`: with the record number mask functions too (createMaskContext, mask).
 */
function fakeAddon(overrides: { createContext?: Fn; seal?: Fn; open?: Fn; createMaskContext?: Fn; mask?: Fn } = {}, { mask = false } = {}): { load: ModuleLoader; calls: string[] } {
  const calls: string[] = [];
  const wrap =
    (name: 'createContext' | 'seal' | 'open' | 'createMaskContext' | 'mask'): Fn =>
    (...args: unknown[]): unknown => {
      calls.push(name === 'createContext' ? `createContext ${String(args[0])} ${String(args[2])}` : name === 'createMaskContext' ? `createMaskContext ${String(args[0])}` : name);
      return (overrides[name] ?? realFunction(name))(...args);
    };
  const aead = { createContext: wrap('createContext'), seal: wrap('seal'), open: wrap('open') };
  const module = mask ? { ...aead, createMaskContext: wrap('createMaskContext'), mask: wrap('mask') } : aead;
  return {
    calls,
    load: (id: string): unknown => {
      if (id !== MODULE) throw new Error(`unexpected module ${id}`);
      return module;
    },
  };
}

function expectUnavailable(load: ModuleLoader, message: RegExp): void {
  let error: unknown;
  try {
    loadNativeCryptoProvider({ load });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ProviderUnavailableError);
  expect(error).toMatchObject({ name: 'ProviderUnavailableError', code: 'ERR_DTLS_PROVIDER_UNAVAILABLE' });
  expect(String(error)).toMatch(message);
  // The non-throwing form falls back: undefined, so that `?? nodeCryptoProvider` applies.
  expect(nativeCryptoProvider({ load })).toBeUndefined();
}

describe('native-aead provider', () => {
  it('loads here (@dtls-kit/native-aead is installed and built as an optional dependency) and is named', () => {
    expect(nativeCryptoProvider()?.name).toBe('native-aead');
    expect(nativeCryptoProvider()).toBe(nativeCryptoProvider());
    expect(loadNativeCryptoProvider().name).toBe('native-aead');
    // The default provider stays node:crypto's: nothing switches by itself.
    expect(nodeCryptoProvider.name).toBe('node:crypto');
  });

  it('seals and opens AES-GCM and ChaCha20-Poly1305 with the addon, one context per direction; CCM, hashes and key shares are node:crypto', () => {
    const fake = fakeAddon();
    const provider = loadNativeCryptoProvider({ load: fake.load });
    fake.calls.length = 0; // the load's self-checks
    const nonce = new Uint8Array(12).fill(7);
    const aad = new Uint8Array(13).fill(1);
    const plaintext = new Uint8Array(1200).fill(0x55);
    for (const algorithm of ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305'] as const) {
      const key = new Uint8Array(algorithm === 'aes-128-gcm' ? 16 : 32).fill(9);
      const aead = provider.aead(algorithm, key);
      const sealed = aead.seal(nonce, plaintext, aad);
      aead.seal(nonce, plaintext, aad);
      expect(toHex(sealed)).toBe(toHex(nodeCryptoProvider.aead(algorithm, key).seal(nonce, plaintext, aad)));
      expect(aead.open(nonce, sealed, aad)).toEqual(plaintext);
      expect(aead.openInPlace?.(nonce, sealed.slice(), aad)).toEqual(plaintext);
    }
    expect(fake.calls).toEqual(
      ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305'].flatMap((a) => [`createContext ${a} seal`, 'seal', 'seal', `createContext ${a} open`, 'open', 'open']),
    );
    fake.calls.length = 0;
    for (const algorithm of ['aes-128-ccm', 'aes-128-ccm-8'] satisfies AeadAlgorithm[]) {
      const key = new Uint8Array(16).fill(3);
      const aead = provider.aead(algorithm, key);
      expect(aead.algorithm).toBe(algorithm);
      const s = aead.seal(nonce, plaintext, aad);
      expect(toHex(s)).toBe(toHex(nodeCryptoProvider.aead(algorithm, key).seal(nonce, plaintext, aad)));
      expect(aead.open(nonce, s, aad)).toEqual(plaintext);
    }
    expect(fake.calls).toEqual([]);
    expect(provider.hash).toBe(nodeCryptoProvider.hash);
    expect(provider.hmac).toBe(nodeCryptoProvider.hmac);
    expect(provider.randomBytes).toBe(nodeCryptoProvider.randomBytes);
    expect(provider.generateKeyShare).toBe(nodeCryptoProvider.generateKeyShare);
  });

  it('keeps its own copy of the key: the caller wiping theirs changes nothing', () => {
    const provider = loadNativeCryptoProvider();
    const key = new Uint8Array(16).fill(5);
    const aead = provider.aead('aes-128-gcm', key);
    const expected = nodeCryptoProvider.aead('aes-128-gcm', key).seal(new Uint8Array(12), new Uint8Array(40), new Uint8Array(0));
    key.fill(0);
    expect(toHex(aead.seal(new Uint8Array(12), new Uint8Array(40), new Uint8Array(0)))).toBe(toHex(expected));
    expect(aead.open(new Uint8Array(12), expected, new Uint8Array(0))).toEqual(new Uint8Array(40));
  });

  it('a sealInto writes into the record at its offset, and a too-small record or a bad nonce is a RangeError', () => {
    const aead = loadNativeCryptoProvider().aead('aes-256-gcm', new Uint8Array(32).fill(2));
    const nonce = new Uint8Array(12);
    const plaintext = new Uint8Array(100).fill(1);
    const sealed = aead.seal(nonce, plaintext, new Uint8Array(0));
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
    const aead = loadNativeCryptoProvider().aead('aes-128-gcm', new Uint8Array(16).fill(2));
    const nonce = new Uint8Array(12).fill(9);
    const aad = new Uint8Array(13).fill(4);
    const plaintext = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const sealed = aead.seal(nonce, plaintext, aad);
    const datagram = new Uint8Array(21 + sealed.length + 5).fill(0xee);
    datagram.set(sealed, 21);
    const opened = aead.openInPlace?.(nonce, new Uint8Array(datagram.buffer, 21, sealed.length), aad);
    expect(opened?.buffer).toBe(datagram.buffer);
    expect(opened?.byteOffset).toBe(21);
    expect(toHex(opened ?? new Uint8Array(0))).toBe(toHex(plaintext));
    expect(datagram.subarray(0, 21).every((b) => b === 0xee)).toBe(true);
    expect(toHex(datagram.subarray(21 + plaintext.length, 21 + sealed.length))).toBe(toHex(sealed.subarray(plaintext.length)));
    expect(datagram.subarray(21 + sealed.length).every((b) => b === 0xee)).toBe(true);
    const forged = sealed.slice();
    forged[0] = (forged[0] ?? 0) ^ 1;
    expect(aead.openInPlace?.(nonce, forged, aad)).toBeNull();
    expect(aead.openInPlace?.(new Uint8Array(8), sealed.slice(), aad)).toBeNull();
    expect(aead.openInPlace?.(nonce, new Uint8Array(15), aad)).toBeNull();
    expect(aead.open(nonce, new Uint8Array(15), aad)).toBeNull();
  });

  it('says so when @dtls-kit/native-aead is not installed or its addon was not built', () => {
    const missing: ModuleLoader = (id) => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    expectUnavailable(missing, /@dtls-kit\/native-aead could not be loaded \(Cannot find module '@dtls-kit\/native-aead'\).*optional dependency/);
    const unbuilt: ModuleLoader = () => {
      throw new Error('@dtls-kit/native-aead: the addon is not built or does not load here');
    };
    expectUnavailable(unbuilt, /not built/);
  });

  it('masks DTLS 1.3 record numbers with the addon (RFC 9147 4.2.3), as node:crypto does; an addon without the mask leaves it to node:crypto', () => {
    const fake = fakeAddon({}, { mask: true });
    const load = fake.load;
    const calls = fake.calls;
    const provider = loadNativeCryptoProvider({ load });
    expect(provider.recordNumberMasker).not.toBe(nodeCryptoProvider.recordNumberMasker);
    calls.length = 0; // the load's known answers
    for (const cipher of ['aes-128', 'aes-256', 'chacha20'] as const) {
      const key = nodeCryptoProvider.randomBytes(cipher === 'aes-128' ? 16 : 32);
      const masker = provider.recordNumberMasker?.(cipher, key);
      const reference = nodeCryptoProvider.recordNumberMasker?.(cipher, key);
      expect(masker?.cipher).toBe(cipher);
      for (let i = 0; i < 50; i++) {
        const sample = nodeCryptoProvider.randomBytes(16);
        expect(toHex(masker?.mask(sample) ?? new Uint8Array(0))).toBe(toHex(reference?.mask(sample) ?? new Uint8Array(1)));
      }
      expect(() => masker?.mask(new Uint8Array(15))).toThrow(RangeError);
      expect(() => provider.recordNumberMasker?.(cipher, new Uint8Array(8))).toThrow(RangeError);
    }
    expect(calls).toEqual(['aes-128', 'aes-256', 'chacha20'].flatMap((c) => [`createMaskContext ${c}`, ...Array<string>(50).fill('mask')]));
    // An addon built before the mask existed: its AEADs, node:crypto's mask.
    expect(loadNativeCryptoProvider({ load: fakeAddon().load }).recordNumberMasker).toBe(nodeCryptoProvider.recordNumberMasker);
  });

  it('refuses an addon whose record number mask gives a wrong known answer or throws (the load-time check, per cipher)', () => {
    const mask = realFunction('mask');
    const withMask = (maskFn: Fn): ModuleLoader => fakeAddon({ mask: maskFn }, { mask: true }).load;
    // Only ChaCha20's mask wrong (an AES context is keyed with 16 or 32 bytes; ChaCha20's sample is an IV).
    const chachaWrong: Fn = (context, sample, out) => {
      mask(context, sample, out);
      if (sample instanceof Uint8Array && sample[0] === 1 && out instanceof Uint8Array) out[15] = (out[15] ?? 0) ^ 1;
      return undefined;
    };
    expectUnavailable(withMask(chachaWrong), /chacha20 record number mask self-check \(RFC 8439 2\.3\.2\): a wrong mask/);
    expectUnavailable(withMask(() => undefined), /aes-128 record number mask self-check \(FIPS-197 C\.1\): a wrong mask/);
    expectUnavailable(
      withMask(() => {
        throw new Error('addon crashed');
      }),
      /aes-128 record number mask self-check.*threw \(Error: addon crashed\)/,
    );
  });

  it('says so when the module loaded is not the addon', () => {
    expectUnavailable(() => ({ seal: () => undefined }), /has no createContext \/ seal \/ open/);
    expectUnavailable(() => undefined, /has no createContext/);
  });

  it('refuses an addon that seals wrong, cannot open, opens a forgery or throws (the load-time check, per cipher)', () => {
    const seal = realFunction('seal');
    const open = realFunction('open');
    const flipFirstByte: Fn = (...args) => {
      seal(...args);
      const out = args[4];
      const offset = args[5];
      if (out instanceof Uint8Array && typeof offset === 'number') out[offset] = (out[offset] ?? 0) ^ 1;
      return undefined;
    };
    expectUnavailable(fakeAddon({ seal: flipFirstByte }).load, /aes-128-gcm self-check \(GCM test case 4\): sealed bytes differ from GCM test case 4/);
    expectUnavailable(fakeAddon({ open: () => false }).load, /aes-128-gcm self-check.*does not open what it sealed/);
    // An open that ignores the tag: decrypts with the tag of the genuine record it was checked against.
    const unchecked: Fn = (context, nonce, aad, sealed, out) => {
      if (open(context, nonce, aad, sealed, out) === true) return true;
      const restored = sealed instanceof Uint8Array ? sealed.slice() : new Uint8Array(0);
      restored[restored.length - 1] = (restored[restored.length - 1] ?? 0) ^ 1;
      return open(context, nonce, aad, restored, out);
    };
    expectUnavailable(fakeAddon({ open: unchecked }).load, /self-check.*opens a record with a wrong tag/);
    // Only ChaCha20-Poly1305 broken: the provider is refused as a whole, naming the cipher.
    const createContext = realFunction('createContext');
    const wrongChaChaKey: Fn = (algorithm, key, direction) =>
      createContext(algorithm, algorithm === 'chacha20-poly1305' ? new Uint8Array(32) : key, direction);
    expectUnavailable(fakeAddon({ createContext: wrongChaChaKey }).load, /chacha20-poly1305 self-check \(RFC 8439 2\.8\.2\): sealed bytes differ/);
    const throwing: Fn = () => {
      throw new Error('addon crashed');
    };
    expectUnavailable(fakeAddon({ seal: throwing }).load, /self-check.*seal failed \(Error: addon crashed\)/);
    expectUnavailable(fakeAddon({ open: throwing }).load, /self-check.*open failed \(Error: addon crashed\)/);
  });

  it('takes the module from the loader given (a bundler, an application with its own copy)', () => {
    const fake = fakeAddon();
    expect(nativeCryptoProvider({ load: fake.load })?.name).toBe('native-aead');
    expect(fake.calls.length).toBeGreaterThan(0);
  });
});
