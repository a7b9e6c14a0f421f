import type { CipherSuite } from './suites/cipher-suite.js';

/**
 * A negotiated cipher suite as node:tls `getCipher()` describes it, so that code written for
 * node:tls reads a DTLS connection the same way; both runtimes return this one shape.
 */
export interface CipherInfo {
  /** The OpenSSL name ('ECDHE-ECDSA-AES128-GCM-SHA256'), what node:tls calls `name`. */
  readonly name: string;
  /** The IANA name (RFC 8447 registry: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'). */
  readonly standardName: string;
  /** The protocol version the suite was negotiated in, as node:tls names it: 'DTLSv1.2'. */
  readonly version: string;
}

/** The CipherInfo of a suite negotiated in `version`. */
export function cipherInfo(suite: CipherSuite, version: string): CipherInfo {
  return { name: suite.opensslName, standardName: suite.name, version };
}
