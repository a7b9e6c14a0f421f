/**
 * The optional native provider: ChaCha20-Poly1305 (RFC 7905 suites) through libsodium, by the
 * `sodium-native` package (an optional dependency: prebuilt N-API binaries in the npm package, no
 * install script), everything else through `nodeCryptoProvider`.
 *
 * Why: node:crypto makes a cipher object per record (there is no way to give a Cipheriv a new IV
 * in Node 20), ~3-6 µs of fixed cost before a byte is encrypted; libsodium's one-shot AEAD takes
 * the key, nonce and buffers and writes the sealed record in one call (~1.5 µs for 1,200 bytes).
 * libsodium has no AES-128-GCM nor CCM, and sodium-native does not expose its AES-256-GCM, so the
 * AES suites stay on node:crypto (AES-NI through OpenSSL).
 *
 * node:crypto stays the default: this provider is used only when asked for.
 */

import { aeadSelfCheck } from './aead-self-check.js';
import { aeadSpecForKey, checkSealNonce, sealToNewArray, type AeadSpec } from './aead-spec.js';
import { nodeCryptoProvider } from './node-provider.js';
import { loadOptionalModule, optionalProvider, type OptionalModuleOptions } from './optional-module.js';
import { ProviderUnavailableError } from './provider-unavailable-error.js';
import type { Aead, AeadAlgorithm, CryptoProvider } from './provider.js';

export type { ModuleLoader } from './optional-module.js';

/** `load`: how `sodium-native` is loaded. Default: `require` from @dtls-kit/core's own location. */
export type SodiumProviderOptions = OptionalModuleOptions;

/** The two sodium-native functions this provider calls (its RFC 8439 "IETF" AEAD, 12-byte nonce). */
interface SodiumChaChaBinding {
  /** Writes ciphertext || tag into c (exactly m.length + 16 bytes); returns the bytes written. */
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  /** Verifies the tag, then writes the plaintext into m (exactly c.length - 16 bytes); throws when the tag does not verify. */
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array, npub: Uint8Array, k: Uint8Array): number;
}

const ENCRYPT = 'crypto_aead_chacha20poly1305_ietf_encrypt';
const DECRYPT = 'crypto_aead_chacha20poly1305_ietf_decrypt';

function isSodiumChaChaBinding(module: unknown): module is SodiumChaChaBinding {
  return (
    typeof module === 'object' &&
    module !== null &&
    typeof Reflect.get(module, ENCRYPT) === 'function' &&
    typeof Reflect.get(module, DECRYPT) === 'function'
  );
}

class SodiumChaCha20Poly1305 implements Aead {
  readonly algorithm = 'chacha20-poly1305' as const;
  readonly tagLength: number;
  readonly #spec: AeadSpec;
  /** Our own copy: the caller may wipe theirs. It moves off the V8 heap once, at the first call. */
  readonly #key: Uint8Array;

  constructor(
    private readonly sodium: SodiumChaChaBinding,
    key: Uint8Array,
  ) {
    this.#spec = aeadSpecForKey(this.algorithm, key);
    this.tagLength = this.#spec.tagLength;
    this.#key = Uint8Array.from(key);
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    return sealToNewArray(this, nonce, plaintext, aad);
  }

  sealInto(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    checkSealNonce(this.algorithm, this.#spec, nonce);
    const length = plaintext.length + this.tagLength;
    if (!Number.isInteger(offset) || offset < 0 || offset + length > out.length) throw new RangeError('sealInto: the output is too small');
    // libsodium writes ciphertext || tag (RFC 8439 2.8) straight into the record being built: a
    // view of its bytes, no intermediate buffer and no copy.
    this.sodium.crypto_aead_chacha20poly1305_ietf_encrypt(
      new Uint8Array(out.buffer, out.byteOffset + offset, length),
      plaintext,
      aad,
      null,
      nonce,
      this.#key,
    );
  }

  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== this.#spec.nonceLength || ciphertextAndTag.length < this.tagLength) return null;
    // The ciphertext is read where it arrived (a view of the datagram); the plaintext gets memory
    // of its own, exactly its size, since it goes on to the application.
    const plaintext = new Uint8Array(ciphertextAndTag.length - this.tagLength);
    try {
      // libsodium checks the tag before it decrypts anything, and throws when it does not verify.
      this.sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plaintext, null, ciphertextAndTag, aad, nonce, this.#key);
    } catch {
      return null;
    }
    return plaintext;
  }

  openInPlace(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== this.#spec.nonceLength || ciphertextAndTag.length < this.tagLength) return null;
    // The plaintext takes the ciphertext's place exactly (same start): libsodium checks the tag
    // over the ciphertext first, then XORs the key stream over it (RFC 8439 2.8), so the output
    // may be the input. Nothing is allocated but the view.
    const plaintext = new Uint8Array(ciphertextAndTag.buffer, ciphertextAndTag.byteOffset, ciphertextAndTag.length - this.tagLength);
    try {
      this.sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plaintext, null, ciphertextAndTag, aad, nonce, this.#key);
    } catch {
      return null;
    }
    return plaintext;
  }
}

/**
 * The sodium-native provider, or a ProviderUnavailableError that says why not: sodium-native is
 * not installed (it is an optional dependency: a platform without a prebuilt binary skips it),
 * does not load, lacks the ChaCha20-Poly1305 functions, or fails the known-answer check against
 * node:crypto run here once.
 */
export function loadSodiumCryptoProvider(options: SodiumProviderOptions = {}): CryptoProvider {
  const module = loadOptionalModule('sodium-native', options);
  if (!isSodiumChaChaBinding(module)) {
    throw new ProviderUnavailableError(`the loaded sodium-native has no ${ENCRYPT} / ${DECRYPT}: use sodium-native 5 or later`);
  }
  const sodium = module;
  // Checked once at load against node:crypto (OpenSSL): same sealed bytes, opens, refuses a forgery.
  const key = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
  const nonce = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);
  const aad = Uint8Array.from({ length: 13 }, (_, i) => i);
  const plaintext = Uint8Array.from({ length: 67 }, (_, i) => (i * 7) & 0xff);
  const sealed = nodeCryptoProvider.aead('chacha20-poly1305', key).seal(nonce, plaintext, aad);
  const failure = aeadSelfCheck(new SodiumChaCha20Poly1305(sodium, key), { nonce, aad, plaintext, sealed, source: 'node:crypto' });
  if (failure !== undefined) throw new ProviderUnavailableError(`sodium-native failed its ChaCha20-Poly1305 self-check: ${failure}`);

  return Object.freeze({
    name: 'sodium-native',
    randomBytes: nodeCryptoProvider.randomBytes,
    hash: nodeCryptoProvider.hash,
    hmac: nodeCryptoProvider.hmac,
    aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
      return algorithm === 'chacha20-poly1305' ? new SodiumChaCha20Poly1305(sodium, key) : nodeCryptoProvider.aead(algorithm, key);
    },
    // sodium-native has no AES-CBC: node:crypto's serves the CBC suites.
    cbc: nodeCryptoProvider.cbc,
    generateKeyShare: nodeCryptoProvider.generateKeyShare,
    // DTLS 1.3 record number encryption (RFC 9147 4.2.3): node:crypto's AES-ECB and ChaCha20, as for CBC.
    recordNumberMasker: nodeCryptoProvider.recordNumberMasker,
  });
}

/**
 * The sodium-native provider when it can be used here, else undefined — so that
 * `sodiumCryptoProvider() ?? nodeCryptoProvider` falls back cleanly. loadSodiumCryptoProvider()
 * says why it is unavailable.
 */
export const sodiumCryptoProvider: (options?: SodiumProviderOptions) => CryptoProvider | undefined = optionalProvider(loadSodiumCryptoProvider);
