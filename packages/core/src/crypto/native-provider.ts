/**
 * The optional OpenSSL-EVP provider: AES-128-GCM, AES-256-GCM (RFC 5288) and ChaCha20-Poly1305
 * (RFC 7905) records through @dtls-kit/native-aead, an N-API addon (an optional dependency, built
 * at install by node-gyp against node's own headers) calling the EVP functions of the OpenSSL
 * inside the node binary; everything else (AES-CCM, hashes, HMAC, ECDHE, randomness) through
 * `nodeCryptoProvider`.
 *
 * Why: node:crypto makes a cipher object per record (Node 20 cannot give a Cipheriv a new IV),
 * ~3 µs of fixed cost per 1,200-byte record. The addon keys one EVP_CIPHER_CTX per key and
 * direction once and only sets the IV per record: ~0.4 µs for AES-GCM (AES-NI), the same OpenSSL
 * code node:crypto runs, without the per-record object.
 *
 * node:crypto stays the default: this provider is used only when asked for.
 */

import { aeadSelfCheck, type AeadKnownAnswer } from './aead-self-check.js';
import { aeadSpecForKey, checkSealNonce, sealToNewArray, type AeadSpec } from './aead-spec.js';
import { nodeCryptoProvider } from './node-provider.js';
import { hasNativeMask, nativeRecordNumberMasker, type NativeMaskBinding } from './native-record-number-mask.js';
import { loadOptionalModule, optionalProvider, type OptionalModuleOptions } from './optional-module.js';
import { ProviderUnavailableError } from './provider-unavailable-error.js';
import type { Aead, AeadAlgorithm, CryptoProvider } from './provider.js';
import type { RecordNumberCipher, RecordNumberMasker } from './record-number-mask.js';

/** `load`: how `@dtls-kit/native-aead` is loaded. Default: `require` from @dtls-kit/core's own location. */
export type NativeProviderOptions = OptionalModuleOptions;

const MODULE = '@dtls-kit/native-aead';

/** The AEADs the addon serves; CCM stays on node:crypto (OpenSSL's CCM needs the lengths up front, and few suites use it). */
type NativeAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

function isNativeAlgorithm(algorithm: AeadAlgorithm): algorithm is NativeAlgorithm {
  return algorithm === 'aes-128-gcm' || algorithm === 'aes-256-gcm' || algorithm === 'chacha20-poly1305';
}

/** What this provider calls in @dtls-kit/native-aead (its index.d.cts; repeated here: the package is optional). */
interface NativeAeadBinding {
  /** A keyed EVP context (an opaque, type-tagged external). */
  createContext(algorithm: NativeAlgorithm, key: Uint8Array, direction: 'seal' | 'open'): unknown;
  /** Writes ciphertext || tag into out at offset; throws RangeError on malformed arguments. */
  seal(context: unknown, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void;
  /** Verifies the tag and writes the plaintext into out (which may start where the ciphertext does); false for a wrong tag. */
  open(context: unknown, nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array, out: Uint8Array): boolean;
}

function isNativeAeadBinding(module: unknown): module is NativeAeadBinding {
  return (
    typeof module === 'object' &&
    module !== null &&
    typeof Reflect.get(module, 'createContext') === 'function' &&
    typeof Reflect.get(module, 'seal') === 'function' &&
    typeof Reflect.get(module, 'open') === 'function'
  );
}

class NativeAead implements Aead {
  readonly tagLength: number;
  readonly #spec: AeadSpec;
  /** Our own copy (the caller may wipe theirs), until both contexts are keyed from it. */
  #key: Uint8Array | undefined;
  /** Keyed on first use: the record layer seals with one Aead and opens with another. */
  #sealContext: unknown;
  #openContext: unknown;

  constructor(
    private readonly binding: NativeAeadBinding,
    readonly algorithm: NativeAlgorithm,
    key: Uint8Array,
  ) {
    this.#spec = aeadSpecForKey(algorithm, key);
    this.tagLength = this.#spec.tagLength;
    this.#key = Uint8Array.from(key);
  }

  #context(direction: 'seal' | 'open'): unknown {
    const key = this.#key;
    if (key === undefined) throw new Error('native-aead: the key is gone before both contexts were keyed');
    const context = this.binding.createContext(this.algorithm, key, direction);
    if (this.#sealContext !== undefined || this.#openContext !== undefined) {
      // The second context: the key lives on only inside OpenSSL's contexts now.
      key.fill(0);
      this.#key = undefined;
    }
    return context;
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    return sealToNewArray(this, nonce, plaintext, aad);
  }

  sealInto(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    checkSealNonce(this.algorithm, this.#spec, nonce);
    if (!Number.isInteger(offset) || offset < 0 || offset + plaintext.length + this.tagLength > out.length) throw new RangeError('sealInto: the output is too small');
    // RFC 5288 3 / RFC 7905 2: ciphertext || tag, written by OpenSSL straight into the record.
    this.binding.seal((this.#sealContext ??= this.#context('seal')), nonce, aad, plaintext, out, offset);
  }

  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== this.#spec.nonceLength || ciphertextAndTag.length < this.tagLength) return null;
    // The plaintext gets memory of its own, exactly its size: it goes on to the application.
    const plaintext = new Uint8Array(ciphertextAndTag.length - this.tagLength);
    return this.binding.open((this.#openContext ??= this.#context('open')), nonce, aad, ciphertextAndTag, plaintext) ? plaintext : null;
  }

  openInPlace(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== this.#spec.nonceLength || ciphertextAndTag.length < this.tagLength) return null;
    // The plaintext takes the ciphertext's place exactly (same start): GCM and ChaCha20 are
    // stream modes, OpenSSL decrypts in == out; the tag is read from after it and zeroed on failure.
    const plaintext = new Uint8Array(ciphertextAndTag.buffer, ciphertextAndTag.byteOffset, ciphertextAndTag.length - this.tagLength);
    return this.binding.open((this.#openContext ??= this.#context('open')), nonce, aad, ciphertextAndTag, plaintext) ? plaintext : null;
  }
}

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));

/**
 * The load-time known answers, one per cipher: McGrew & Viega's GCM test cases 4 and 16 (the
 * vectors NIST SP 800-38D points to) and RFC 8439 2.8.2.
 */
const GCM_P60 = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39';
const GCM_A = 'feedfacedeadbeeffeedfacedeadbeefabaddad2';
const KNOWN_ANSWERS: readonly { readonly algorithm: NativeAlgorithm; readonly key: string; readonly answer: AeadKnownAnswer }[] = [
  {
    algorithm: 'aes-128-gcm',
    key: 'feffe9928665731c6d6a8f9467308308',
    answer: {
      source: 'GCM test case 4',
      nonce: hex('cafebabefacedbaddecaf888'),
      aad: hex(GCM_A),
      plaintext: hex(GCM_P60),
      sealed: hex(
        '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091' +
          '5bc94fbc3221a5db94fae95ae7121a47',
      ),
    },
  },
  {
    algorithm: 'aes-256-gcm',
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    answer: {
      source: 'GCM test case 16',
      nonce: hex('cafebabefacedbaddecaf888'),
      aad: hex(GCM_A),
      plaintext: hex(GCM_P60),
      sealed: hex(
        '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
          '76fc6ece0f4e1768cddf8853bb2d551b',
      ),
    },
  },
  {
    algorithm: 'chacha20-poly1305',
    key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
    answer: {
      source: 'RFC 8439 2.8.2',
      nonce: hex('070000004041424344454647'),
      aad: hex('50515253c0c1c2c3c4c5c6c7'),
      plaintext: new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."),
      sealed: hex(
        'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
          '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116' +
          '1ae10b594f09e26a7e902ecbd0600691',
      ),
    },
  },
];

/**
 * The load-time known answers of the record number mask (RFC 9147 4.2.3), one per cipher: FIPS-197
 * C.1 and C.3 (AES-128 and AES-256 of one block), RFC 8439 2.3.2 (the ChaCha20 block function:
 * counter 1 little-endian || nonce as the sample, the first 16 bytes of the key stream).
 */
const KEY_00_1F = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const MASK_KNOWN_ANSWERS: readonly { readonly cipher: RecordNumberCipher; readonly source: string; readonly key: string; readonly sample: string; readonly mask: string }[] = [
  { cipher: 'aes-128', source: 'FIPS-197 C.1', key: KEY_00_1F.slice(0, 32), sample: '00112233445566778899aabbccddeeff', mask: '69c4e0d86a7b0430d8cdb78070b4c55a' },
  { cipher: 'aes-256', source: 'FIPS-197 C.3', key: KEY_00_1F, sample: '00112233445566778899aabbccddeeff', mask: '8ea2b7ca516745bfeafc49904b496089' },
  { cipher: 'chacha20', source: 'RFC 8439 2.3.2', key: KEY_00_1F, sample: '01000000000000090000004a00000000', mask: '10f1e7e4d13b5915500fdd1fa32071c4' },
];

/**
 * The addon's record number mask when it has one (else node:crypto's: an addon built before it);
 * a mask that fails its known answer makes the whole provider unavailable, as a failing AEAD does.
 */
function recordNumberMaskerOf(module: object): CryptoProvider['recordNumberMasker'] {
  if (!hasNativeMask(module)) return nodeCryptoProvider.recordNumberMasker;
  const binding: NativeMaskBinding = module;
  for (const { cipher, source, key, sample, mask } of MASK_KNOWN_ANSWERS) {
    let failure: string | undefined;
    try {
      const got = nativeRecordNumberMasker(binding, cipher, hex(key)).mask(hex(sample));
      const want = hex(mask);
      if (got.length !== want.length || got.some((b, i) => b !== want[i])) failure = 'a wrong mask';
    } catch (cause) {
      failure = `threw (${String(cause)})`;
    }
    if (failure !== undefined) throw new ProviderUnavailableError(`${MODULE} failed its ${cipher} record number mask self-check (${source}): ${failure}`);
  }
  return (cipher: RecordNumberCipher, key: Uint8Array): RecordNumberMasker => nativeRecordNumberMasker(binding, cipher, key);
}

/**
 * The native-aead provider, or a ProviderUnavailableError that says why not: @dtls-kit/native-aead
 * is not installed (an optional dependency: a platform where its build failed skips it), its
 * addon was not built or does not load, or a cipher fails its known answer or accepts a forgery in
 * the check run here once per cipher.
 */
export function loadNativeCryptoProvider(options: NativeProviderOptions = {}): CryptoProvider {
  const module = loadOptionalModule(MODULE, options);
  if (!isNativeAeadBinding(module)) throw new ProviderUnavailableError(`the loaded ${MODULE} has no createContext / seal / open`);
  const binding = module;
  for (const { algorithm, key, answer } of KNOWN_ANSWERS) {
    let failure: string | undefined;
    try {
      failure = aeadSelfCheck(new NativeAead(binding, algorithm, hex(key)), answer);
    } catch (cause) {
      failure = `threw (${String(cause)})`;
    }
    if (failure !== undefined) throw new ProviderUnavailableError(`${MODULE} failed its ${algorithm} self-check (${answer.source}): ${failure}`);
  }
  const recordNumberMasker = recordNumberMaskerOf(module);

  return Object.freeze({
    name: 'native-aead',
    randomBytes: nodeCryptoProvider.randomBytes,
    hash: nodeCryptoProvider.hash,
    hmac: nodeCryptoProvider.hmac,
    aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
      return isNativeAlgorithm(algorithm) ? new NativeAead(binding, algorithm, key) : nodeCryptoProvider.aead(algorithm, key);
    },
    // CBC suites (RFC 5246 6.2.3.2): node:crypto's AES-CBC, as the sodium provider does.
    cbc: nodeCryptoProvider.cbc,
    generateKeyShare: nodeCryptoProvider.generateKeyShare,
    // DTLS 1.3 record number encryption (RFC 9147 4.2.3): the addon's AES-ECB and ChaCha20 (node:crypto's with an older addon).
    recordNumberMasker,
  });
}

/**
 * The native-aead provider when it can be used here, else undefined — so that
 * `nativeCryptoProvider() ?? nodeCryptoProvider` falls back cleanly. loadNativeCryptoProvider()
 * says why it is unavailable.
 */
export const nativeCryptoProvider: (options?: NativeProviderOptions) => CryptoProvider | undefined = optionalProvider(loadNativeCryptoProvider);
