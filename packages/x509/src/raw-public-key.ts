/**
 * Raw public keys (RFC 7250): the peer sends a bare SubjectPublicKeyInfo instead of a
 * certificate, and we accept it only when it is one of the keys we were given beforehand
 * (pinned; RFC 7250 6: "the client needs to be configured out of band with the server's raw
 * public key"). There is no chain, no name and no validity date to check.
 */
import { createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { AlertDescription, DtlsError, type CertificateVerifier, type PeerVerificationContext, type PeerVerificationResult, type SignatureScheme } from '@dtls-kit/core';
import { decodePem } from './pem.js';
import { restrictSchemes } from './sigalgs.js';
import { describeKey, SUPPORTED_SIGNATURE_SCHEMES, signatureSchemesForKey, verifyWithScheme } from './signature.js';

/**
 * Public keys as given to pin them: PEM text (`PUBLIC KEY` blocks, or `CERTIFICATE` blocks whose
 * key is taken), SubjectPublicKeyInfo DER, a KeyObject (a private one gives its public half), or a list.
 */
export type PublicKeyInput = string | Uint8Array | KeyObject | readonly (string | Uint8Array | KeyObject)[];

/** The SubjectPublicKeyInfo DER of a key, in node's (canonical DER) encoding. */
export function subjectPublicKeyInfo(key: KeyObject): Uint8Array {
  const pub = key.type === 'public' ? key : createPublicKey(key);
  return new Uint8Array(pub.export({ type: 'spki', format: 'der' }));
}

function keysOf(item: string | Uint8Array | KeyObject, what: string): Uint8Array[] {
  if (item instanceof KeyObject) {
    if (item.type === 'secret') throw new TypeError(`${what}: a secret key is not a public key`);
    return [subjectPublicKeyInfo(item)];
  }
  if (typeof item !== 'string' && item.length > 1 && item[0] === 0x30) {
    try {
      return [subjectPublicKeyInfo(createPublicKey({ key: Buffer.from(item), format: 'der', type: 'spki' }))];
    } catch (err) {
      throw new TypeError(`${what}: DER bytes that are not a SubjectPublicKeyInfo`, { cause: err });
    }
  }
  const text = typeof item === 'string' ? item : Buffer.from(item).toString('latin1');
  const keys: Uint8Array[] = [];
  for (const block of decodePem(text)) {
    try {
      // RFC 7468 13: "PUBLIC KEY" is a SubjectPublicKeyInfo; a certificate's key may be pinned too.
      if (block.label === 'PUBLIC KEY') keys.push(subjectPublicKeyInfo(createPublicKey({ key: Buffer.from(block.der), format: 'der', type: 'spki' })));
      else if (block.label === 'CERTIFICATE') keys.push(subjectPublicKeyInfo(new X509Certificate(block.der).publicKey));
    } catch (err) {
      throw new TypeError(`${what}: a "${block.label}" block that cannot be read`, { cause: err });
    }
  }
  if (keys.length === 0) throw new TypeError(`${what}: no "-----BEGIN PUBLIC KEY-----" (or CERTIFICATE) block found`);
  return keys;
}

/** The SubjectPublicKeyInfo DER of every key in `input`. Throws a TypeError for anything that is not a public key. */
export function parsePublicKeys(input: PublicKeyInput, what = 'public key'): Uint8Array[] {
  const items: readonly (string | Uint8Array | KeyObject)[] =
    typeof input === 'string' || input instanceof Uint8Array || input instanceof KeyObject ? [input] : input;
  return items.flatMap((item) => keysOf(item, what));
}

export interface PinnedKeyVerifierOptions {
  /** The peer keys we accept (at least one, unless rejectUnauthorized is false). */
  readonly pinnedPublicKeys: PublicKeyInput;
  /**
   * Refuse a key that is not pinned (default true). False lets it in with `authorized` false
   * and the reason in `authorizationError` (node:tls semantics); its signatures are still checked.
   */
  readonly rejectUnauthorized?: boolean | undefined;
  /** Restricts and orders the schemes we accept (node:tls `sigalgs`). */
  readonly sigalgs?: string | undefined;
}

export interface PinnedKeyVerifier extends CertificateVerifier {
  /** The pinned keys, SubjectPublicKeyInfo DER. */
  readonly pinned: readonly Uint8Array[];
  /** Synchronous: `{ authorized: true }` for a pinned key (see createPinnedKeyVerifier). */
  verifyChain(chain: readonly Uint8Array[], context: PeerVerificationContext): PeerVerificationResult;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The peer's raw key as a KeyObject, or a bad_certificate / unsupported_certificate DtlsError. */
function peerKey(spki: Uint8Array, peerRole: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (err) {
    // RFC 5246 7.2.2: bad_certificate, "a certificate was corrupt".
    throw new DtlsError(AlertDescription.bad_certificate, `the ${peerRole}'s raw public key is not a readable SubjectPublicKeyInfo`, { cause: err });
  }
  if (signatureSchemesForKey(key).length === 0) {
    throw new DtlsError(AlertDescription.unsupported_certificate, `the ${peerRole}'s raw public key is of a kind we cannot use (${describeKey(key)})`);
  }
  return key;
}

/**
 * A verifier of raw public keys: verifyChain is given `[spki]` (RFC 7250 3) and accepts it only
 * when it is pinned; an unpinned key is a certificate_unknown alert (RFC 5246 7.2.2: the key is
 * well formed, it is just not one we know; there is no CA to be unknown_ca).
 */
export function createPinnedKeyVerifier(options: PinnedKeyVerifierOptions): PinnedKeyVerifier {
  const pinned = parsePublicKeys(options.pinnedPublicKeys, 'pinnedPublicKeys');
  const rejectUnauthorized = options.rejectUnauthorized ?? true;
  // No pin lets no key in; only rejectUnauthorized: false may go on without any (nothing authorized).
  if (pinned.length === 0 && rejectUnauthorized) throw new TypeError('pinnedPublicKeys: no key given');
  const known = new Set(pinned.map(hex));
  const signatureSchemes: SignatureScheme[] = restrictSchemes(SUPPORTED_SIGNATURE_SCHEMES, options.sigalgs);
  if (signatureSchemes.length === 0) throw new TypeError('sigalgs: no supported scheme listed');
  return {
    pinned,
    signatureSchemes,
    authorities: [],
    verifyChain(chain: readonly Uint8Array[], context: PeerVerificationContext): PeerVerificationResult {
      const spki = chain[0];
      if (spki === undefined || chain.length !== 1) {
        throw new DtlsError(AlertDescription.bad_certificate, `the ${context.peerRole} must send exactly one raw public key`);
      }
      const key = peerKey(spki, context.peerRole);
      if (known.has(hex(subjectPublicKeyInfo(key)))) return { authorized: true };
      const err = new DtlsError(AlertDescription.certificate_unknown, `the ${context.peerRole}'s raw public key (${describeKey(key)}) is not one of the pinned keys`);
      if (rejectUnauthorized) throw err;
      return { authorized: false, authorizationError: err };
    },
    verifySignature(spki: Uint8Array, scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
      // RFC 5246 7.4.1.4.1: the peer must sign with a scheme we offered.
      if (!signatureSchemes.some((s) => s === scheme)) return false;
      let key: KeyObject;
      try {
        key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      } catch {
        return false;
      }
      return verifyWithScheme(key, scheme, data, signature);
    },
  };
}
