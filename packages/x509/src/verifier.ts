/**
 * Checking the peer: its chain (chain.ts) and its signatures on ServerKeyExchange or
 * CertificateVerify, made with its leaf certificate's key.
 *
 * With `rejectUnauthorized: false` (node:tls semantics) a chain that fails validation does not
 * end the handshake: verifyChain returns `{ authorized: false, authorizationError }`, which the
 * engine can expose on the connection like node's `socket.authorized`/`authorizationError`.
 * Some failures end it all the same, since the handshake cannot go on without them: a leaf
 * that cannot be decoded (bad_certificate) or whose key we cannot verify with
 * (unsupported_certificate), and a server that sent no certificate (handshake_failure).
 * Signatures are always verified: rejectUnauthorized never skips verifySignature.
 */
import type { KeyObject } from 'node:crypto';
import { AlertDescription, DtlsError, type CertificateVerifier, type PeerVerificationContext, type PeerVerificationResult, type SignatureScheme } from '@dtls-kit/core';
import { checkChain, type CheckServerIdentity } from './chain.js';
import type { ParsedCertificate } from './certificate.js';
import { parsedCertificate } from './parsed-certificates.js';
import { restrictSchemes } from './sigalgs.js';
import { securityLevelOption } from './security-level.js';
import { describeKey, SUPPORTED_SIGNATURE_SCHEMES, signatureSchemesForKey, verifyWithScheme } from './signature.js';
import { TrustStore } from './trust-store.js';

export interface X509VerifierOptions {
  /** The trusted CA certificates (DER), or a TrustStore made from them. */
  readonly ca: TrustStore | readonly Uint8Array[];
  /** Refuse a peer whose chain does not validate (node:tls `rejectUnauthorized`, default true). */
  readonly rejectUnauthorized?: boolean | undefined;
  /** The server name to check when the engine gives none (client side). */
  readonly servername?: string | undefined;
  /** Replaces the default host name check (node:tls `checkServerIdentity`). */
  readonly checkServerIdentity?: CheckServerIdentity | undefined;
  /** Restricts and orders the schemes we accept (node:tls `sigalgs`). */
  readonly sigalgs?: string | undefined;
  /** The clock for validity dates (default: the system clock). */
  readonly now?: (() => Date) | undefined;
  /**
   * OpenSSL security level (0 to 5, default 2; SSL_CTX_set_security_level, `@SECLEVEL=N`) for every
   * key and signature of the peer's path, the trust anchor's key included (see chain.ts).
   */
  readonly securityLevel?: number | undefined;
}

export interface X509Verifier extends CertificateVerifier {
  readonly rejectUnauthorized: boolean;
  readonly trustStore: TrustStore;
  verifyChain(chain: readonly Uint8Array[], context: PeerVerificationContext): PeerVerificationResult;
}

/**
 * Throws what no rejectUnauthorized setting can let through (see the module comment); returns
 * the decoded leaf (undefined without a leaf).
 */
function assertUsableLeaf(chain: readonly Uint8Array[], context: PeerVerificationContext): ParsedCertificate | undefined {
  const leaf = chain[0];
  if (leaf === undefined) {
    if (context.peerRole === 'server') {
      // RFC 5246 7.4.2: the server's Certificate is not optional in certificate suites.
      throw new DtlsError(AlertDescription.handshake_failure, 'the server sent no certificate');
    }
    return undefined;
  }
  let parsed: ParsedCertificate;
  let key: KeyObject;
  try {
    parsed = parsedCertificate(leaf);
    key = parsed.node.publicKey;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new DtlsError(AlertDescription.bad_certificate, `the ${context.peerRole}'s certificate cannot be decoded: ${detail}`, { cause: err });
  }
  if (signatureSchemesForKey(key).length === 0) {
    throw new DtlsError(AlertDescription.unsupported_certificate, `the ${context.peerRole}'s certificate has a key we cannot use (${describeKey(key)})`);
  }
  return parsed;
}

export function createVerifier(options: X509VerifierOptions): X509Verifier {
  const trustStore = options.ca instanceof TrustStore ? options.ca : new TrustStore(options.ca);
  const rejectUnauthorized = options.rejectUnauthorized ?? true;
  const securityLevel = securityLevelOption(options.securityLevel);
  const signatureSchemes: SignatureScheme[] = restrictSchemes(SUPPORTED_SIGNATURE_SCHEMES, options.sigalgs);
  if (signatureSchemes.length === 0) throw new TypeError('sigalgs: no supported scheme listed');
  return {
    signatureSchemes,
    authorities: trustStore.authorities,
    rejectUnauthorized,
    trustStore,
    verifyChain(chain: readonly Uint8Array[], context: PeerVerificationContext): PeerVerificationResult {
      const leaf = assertUsableLeaf(chain, context);
      try {
        checkChain(chain, {
          ca: trustStore,
          peerRole: context.peerRole,
          hostname: context.peerRole === 'server' ? (context.servername ?? options.servername) : undefined,
          checkServerIdentity: options.checkServerIdentity,
          now: options.now?.(),
          securityLevel,
        }, leaf === undefined ? [] : [leaf]);
        return { authorized: true };
      } catch (err) {
        if (rejectUnauthorized || !(err instanceof DtlsError)) throw err;
        return { authorized: false, authorizationError: err };
      }
    },
    verifySignature(leaf: Uint8Array, scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
      // RFC 5246 7.4.1.4.1: the peer must sign with a scheme we offered.
      if (!signatureSchemes.some((s) => s === scheme)) return false;
      // verifyChain of the same handshake decoded this leaf: the memo has it (parsed-certificates.ts).
      let key: KeyObject;
      try {
        key = parsedCertificate(leaf).node.publicKey;
      } catch {
        return false;
      }
      return verifyWithScheme(key, scheme, data, signature);
    },
  };
}
