/**
 * Test-only raw public key credentials (RFC 7250) for the engine tests, on node:crypto (the real
 * ones are @dtls-kit/x509's rpkServer/rpkClient). The keys are the ECDSA P-256 keys that openssl
 * made for test-certificates.ts; the verifier accepts exactly the pinned SubjectPublicKeyInfos
 * (byte for byte) and verifies ecdsa_secp256r1_sha256 signatures with them.
 */
import { createPublicKey, type KeyObject, verify as cryptoVerify } from 'node:crypto';
import { AlertDescription } from '../../src/alert.js';
import { DtlsError } from '../../src/errors.js';
import { SignatureScheme } from '../../src/handshake/extensions/signature-scheme.js';
import type { CertificateClientCredentials, CertificateServerCredentials, CertificateVerifier } from '../../src/key-exchange/certificate-credentials.js';
import { certificateSigner, testPki } from './test-certificates.js';

/** SubjectPublicKeyInfo DER of a key. */
export function spkiOf(key: KeyObject): Uint8Array {
  return Uint8Array.from(createPublicKey(key).export({ type: 'spki', format: 'der' }));
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Accepts the pinned keys only (certificate_unknown otherwise), verifies their P-256 signatures. */
export function pinnedKeyVerifier(pinned: readonly Uint8Array[]): CertificateVerifier {
  const known = new Set(pinned.map(hex));
  return {
    signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256],
    authorities: [],
    verifyChain(chain, context) {
      const spki = chain[0];
      if (spki === undefined || chain.length !== 1) throw new DtlsError(AlertDescription.bad_certificate, 'not one raw public key');
      if (!known.has(hex(spki))) throw new DtlsError(AlertDescription.certificate_unknown, `the ${context.peerRole}'s raw public key is not pinned`);
    },
    verifySignature(spki, scheme, data, signature) {
      if (scheme !== SignatureScheme.ecdsa_secp256r1_sha256) return false;
      try {
        return cryptoVerify('sha256', data, { key: Buffer.from(spki), format: 'der', type: 'spki', dsaEncoding: 'der' }, signature);
      } catch {
        return false;
      }
    },
  };
}

export interface RpkTestOptions {
  /** Pin the peer's real key (default) or not (the other role's key: a wrong pin). */
  pinPeer?: boolean;
  /** Server: ask the client for its raw key. Client: have one to send. */
  clientKey?: boolean;
}

export function serverRpk(o: RpkTestOptions = {}): CertificateServerCredentials {
  const pki = testPki().ecdsa;
  const clientPin = spkiOf(o.pinPeer === false ? pki.serverKey : pki.clientKey);
  const wantsClient = o.clientKey ?? true;
  return {
    type: 'x509',
    signer: certificateSigner([], pki.serverKey),
    requestCert: wantsClient,
    rejectUnauthorized: true,
    verifier: undefined,
    rawPublicKey: { publicKey: spkiOf(pki.serverKey), verifier: wantsClient ? pinnedKeyVerifier([clientPin]) : undefined, acceptX509: false },
  };
}

export function clientRpk(o: RpkTestOptions = {}): CertificateClientCredentials {
  const pki = testPki().ecdsa;
  const serverPin = spkiOf(o.pinPeer === false ? pki.clientKey : pki.serverKey);
  const mine = o.clientKey ?? true;
  return {
    type: 'x509',
    signer: mine ? certificateSigner([], pki.clientKey) : undefined,
    // Never used: acceptX509 false refuses a certificate before any verifier would see it.
    verifier: pinnedKeyVerifier([]),
    rawPublicKey: { publicKey: mine ? spkiOf(pki.clientKey) : undefined, verifier: pinnedKeyVerifier([serverPin]), acceptX509: false },
  };
}
