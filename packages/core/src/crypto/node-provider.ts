/**
 * The default crypto provider, over node:crypto (OpenSSL): the fast path for every record.
 * Outputs are plain Uint8Arrays with their own memory (never views into Node's Buffer pool),
 * so callers may keep, slice and hand them on freely.
 */

import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type CipherChaCha20Poly1305,
  type CipherGCM,
  type DecipherChaCha20Poly1305,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto';
import { concatBytes, viewOf } from '../bytes.js';
import { aeadSpecForKey, checkSealNonce, sealToNewArray, type AeadSpec } from './aead-spec.js';
import { nodeAesCbc } from './node-aes-cbc.js';
import { nodeRecordNumberMasker } from './node-record-number-mask.js';
import { nodeHash, nodeHmac } from './node-digest.js';
import { nodeRandomBytes } from './node-random.js';
import { checkNonZeroSecret, checkPeerPublicKey, invalidPeerPoint } from './peer-key.js';
import type { Aead, AeadAlgorithm, CryptoProvider, KeyShare, NamedGroupName } from './provider.js';

/**
 * Copies Node output into a fresh, exactly-sized Uint8Array: not a Buffer, and never a view
 * into Node's shared Buffer pool.
 */
const own = concatBytes;

/**
 * The output of a cipher's update() as an owned Uint8Array: Node gives it an ArrayBuffer of its
 * own, exactly its size, so the bytes are kept without a copy; anything else is copied.
 */
function owned(body: Buffer, rest: Buffer): Uint8Array {
  if (rest.length === 0 && body.byteOffset === 0 && body.buffer instanceof ArrayBuffer && body.buffer.byteLength === body.length) {
    return new Uint8Array(body.buffer);
  }
  return own(body, rest);
}

/** Copies body || rest || tag into out at offset (the record being built). */
function writeSealed(out: Uint8Array, offset: number, body: Uint8Array, rest: Uint8Array, tag: Uint8Array): void {
  if (offset + body.length + rest.length + tag.length > out.length) throw new RangeError('sealInto: the output is too small');
  out.set(body, offset);
  if (rest.length > 0) out.set(rest, offset + body.length);
  out.set(tag, offset + body.length + rest.length);
}

// ---------------------------------------------------------------------------------------------
// AEADs: GCM (RFC 5288), ChaCha20-Poly1305 (RFC 7905), CCM and CCM_8 (RFC 6655)
// ---------------------------------------------------------------------------------------------

type GcmOrChaChaName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** Separate calls per mode so that each meets its own node:crypto overload. */
function gcmOrChaChaCipher(name: GcmOrChaChaName, key: Uint8Array, nonce: Uint8Array, authTagLength: number): CipherGCM | CipherChaCha20Poly1305 {
  return name === 'chacha20-poly1305'
    ? createCipheriv(name, key, nonce, { authTagLength })
    : createCipheriv(name, key, nonce, { authTagLength });
}

function gcmOrChaChaDecipher(name: GcmOrChaChaName, key: Uint8Array, nonce: Uint8Array, authTagLength: number): DecipherGCM | DecipherChaCha20Poly1305 {
  return name === 'chacha20-poly1305'
    ? createDecipheriv(name, key, nonce, { authTagLength })
    : createDecipheriv(name, key, nonce, { authTagLength });
}

class NodeGcmOrChaCha implements Aead {
  readonly tagLength: number;
  readonly #key: Uint8Array;
  readonly #spec: AeadSpec;

  constructor(
    readonly algorithm: GcmOrChaChaName,
    key: Uint8Array,
  ) {
    this.#spec = aeadSpecForKey(algorithm, key);
    this.tagLength = this.#spec.tagLength;
    this.#key = own(key);
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    return sealToNewArray(this, nonce, plaintext, aad);
  }

  sealInto(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    checkSealNonce(this.algorithm, this.#spec, nonce);
    const c = gcmOrChaChaCipher(this.algorithm, this.#key, nonce, this.tagLength);
    // plaintextLength is only needed by CCM; the ChaCha20-Poly1305 typing asks for it anyway.
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const body = c.update(plaintext);
    const rest = c.final();
    writeSealed(out, offset, body, rest, c.getAuthTag());
  }

  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== this.#spec.nonceLength || ciphertextAndTag.length < this.tagLength) return null;
    const ctLength = ciphertextAndTag.length - this.tagLength;
    try {
      const d = gcmOrChaChaDecipher(this.algorithm, this.#key, nonce, this.tagLength);
      d.setAuthTag(viewOf(ciphertextAndTag, ctLength));
      d.setAAD(aad, { plaintextLength: ctLength });
      const body = d.update(viewOf(ciphertextAndTag, 0, ctLength));
      const rest = d.final(); // throws when the tag does not verify
      return owned(body, rest);
    } catch {
      return null;
    }
  }
}

class NodeCcm implements Aead {
  readonly tagLength: number;
  readonly #key: Uint8Array;
  readonly #spec: AeadSpec;

  constructor(
    readonly algorithm: 'aes-128-ccm' | 'aes-128-ccm-8',
    key: Uint8Array,
  ) {
    this.#spec = aeadSpecForKey(algorithm, key);
    this.tagLength = this.#spec.tagLength;
    this.#key = own(key);
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    return sealToNewArray(this, nonce, plaintext, aad);
  }

  sealInto(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
    checkSealNonce(this.algorithm, this.#spec, nonce);
    const c = createCipheriv('aes-128-ccm', this.#key, nonce, { authTagLength: this.tagLength });
    // CCM authenticates the message length in B0, so OpenSSL needs it before the AAD.
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const body = c.update(plaintext);
    const rest = c.final();
    writeSealed(out, offset, body, rest, c.getAuthTag());
  }

  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== this.#spec.nonceLength || ciphertextAndTag.length < this.tagLength) return null;
    const ctLength = ciphertextAndTag.length - this.tagLength;
    try {
      const d = createDecipheriv('aes-128-ccm', this.#key, nonce, { authTagLength: this.tagLength });
      d.setAuthTag(viewOf(ciphertextAndTag, ctLength));
      d.setAAD(aad, { plaintextLength: ctLength });
      // With a bad tag, update() yields nothing and final() throws.
      const body = d.update(viewOf(ciphertextAndTag, 0, ctLength));
      const rest = d.final();
      if (body.length + rest.length !== ctLength) return null;
      return owned(body, rest);
    } catch {
      return null;
    }
  }
}

function nodeAead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
  switch (algorithm) {
    case 'aes-128-gcm':
    case 'aes-256-gcm':
    case 'chacha20-poly1305':
      return new NodeGcmOrChaCha(algorithm, key);
    case 'aes-128-ccm':
    case 'aes-128-ccm-8':
      return new NodeCcm(algorithm, key);
    default:
      throw new RangeError(`unknown AEAD algorithm: ${String(algorithm)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// ECDHE: secp256r1 / secp384r1 (RFC 8422) and X25519 (RFC 7748, RFC 8422 5.11)
// ---------------------------------------------------------------------------------------------

const OPENSSL_CURVE = { secp256r1: 'prime256v1', secp384r1: 'secp384r1' } as const;

/** PKCS#8 prefix of an X25519 private key (RFC 8410 7): SEQUENCE { 0, id-X25519, OCTET STRING { OCTET STRING(32) } }. */
const X25519_PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);

function base64urlToBytes(text: string): Uint8Array {
  return own(Buffer.from(text, 'base64url'));
}

function bytesToBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function nistKeyShare(group: 'secp256r1' | 'secp384r1', privateKey: Uint8Array | undefined): KeyShare {
  const ecdh = createECDH(OPENSSL_CURVE[group]);
  if (privateKey === undefined) ecdh.generateKeys();
  else ecdh.setPrivateKey(privateKey);
  const publicKey = own(ecdh.getPublicKey(null, 'uncompressed'));
  return {
    group,
    publicKey,
    deriveSecret(peerPublicKey: Uint8Array): Uint8Array {
      checkPeerPublicKey(group, peerPublicKey);
      let secret: Buffer;
      try {
        // OpenSSL checks that the point is on the curve (ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY).
        secret = ecdh.computeSecret(peerPublicKey);
      } catch (cause) {
        throw invalidPeerPoint(group, cause);
      }
      // RFC 8422 5.10: the premaster secret is the X coordinate, full field length.
      return own(secret);
    },
  };
}

/**
 * generateKeyPairSync() with the public half encoded as a JWK inside the generation job. The
 * overloads of @types/node 20 do not list this combination (JWK public key, KeyObject private
 * key), so the function is given the type of what Node returns for it; the JWK is checked at
 * run time in x25519PublicFromJwk().
 */
const generateX25519WithJwkPublicKey: (type: 'x25519', options: { publicKeyEncoding: { format: 'jwk' } }) => { publicKey: unknown; privateKey: KeyObject } =
  generateKeyPairSync;

/** The 32 raw bytes of an X25519 public key from its JWK (RFC 8037 2: x is base64url). */
function x25519PublicFromJwk(jwk: unknown): Uint8Array {
  const x = typeof jwk === 'object' && jwk !== null && 'x' in jwk ? jwk.x : undefined;
  if (typeof x !== 'string') throw new Error('node:crypto did not export an X25519 public key');
  const raw = base64urlToBytes(x);
  if (raw.length !== 32) throw new Error(`node:crypto exported a ${raw.length}-byte X25519 public key`);
  return raw;
}

function x25519KeyShare(privateKey: Uint8Array | undefined): KeyShare {
  let priv: KeyObject;
  let publicKey: Uint8Array;
  if (privateKey === undefined) {
    // The public key leaves the generation job already encoded. Exporting a KeyObject that
    // generateKeyPairSync() made (`.export({ format: 'jwk' })`, on either half) deadlocks Node 20
    // when a garbage collection during the export finalizes that generation job: the job's
    // destructor takes the key's mutex, which the export holds (seen on 20.20 within a few
    // thousand handshakes with a small young generation).
    const pair = generateX25519WithJwkPublicKey('x25519', { publicKeyEncoding: { format: 'jwk' } });
    priv = pair.privateKey;
    publicKey = x25519PublicFromJwk(pair.publicKey);
  } else {
    if (privateKey.length !== 32) throw new RangeError('an X25519 private key is 32 bytes');
    // Test vectors only (see _nodeKeyShareFromPrivate): no generation job, so the export is safe.
    priv = createPrivateKey({ key: Buffer.from(own(X25519_PKCS8_PREFIX, privateKey)), format: 'der', type: 'pkcs8' });
    publicKey = x25519PublicFromJwk(createPublicKey(priv).export({ format: 'jwk' }));
  }
  return {
    group: 'x25519',
    publicKey,
    deriveSecret(peerPublicKey: Uint8Array): Uint8Array {
      checkPeerPublicKey('x25519', peerPublicKey);
      let secret: Buffer;
      try {
        // A JWK is node's raw-key import for X25519 (EVP_PKEY_new_raw_public_key): ~10x cheaper
        // than the same key as DER SPKI, which goes through OpenSSL 3's decoder framework.
        const peer = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: bytesToBase64url(peerPublicKey) }, format: 'jwk' });
        secret = diffieHellman({ privateKey: priv, publicKey: peer });
      } catch (cause) {
        // OpenSSL refuses to return the all-zero output of a low-order point (RFC 7748 6.1).
        throw invalidPeerPoint('x25519', cause);
      }
      const out = own(secret);
      checkNonZeroSecret('x25519', out);
      return out;
    },
  };
}

/**
 * Test-only: a key share with a fixed private key, so that published ECDH vectors (RFC 5903,
 * RFC 7748) can be checked. Never use it in a handshake: ECDHE keys must be ephemeral.
 * @internal
 */
export function _nodeKeyShareFromPrivate(group: NamedGroupName, privateKey: Uint8Array): KeyShare {
  return group === 'x25519' ? x25519KeyShare(privateKey) : nistKeyShare(group, privateKey);
}

function nodeGenerateKeyShare(group: NamedGroupName): KeyShare {
  switch (group) {
    case 'x25519':
      return x25519KeyShare(undefined);
    case 'secp256r1':
    case 'secp384r1':
      return nistKeyShare(group, undefined);
    default:
      throw new RangeError(`unknown named group: ${String(group)}`);
  }
}

// ---------------------------------------------------------------------------------------------

export const nodeCryptoProvider: CryptoProvider = Object.freeze({
  name: 'node:crypto',
  randomBytes: nodeRandomBytes,
  hash: nodeHash,
  hmac: nodeHmac,
  aead: nodeAead,
  cbc: nodeAesCbc,
  generateKeyShare: nodeGenerateKeyShare,
  recordNumberMasker: nodeRecordNumberMasker,
});
