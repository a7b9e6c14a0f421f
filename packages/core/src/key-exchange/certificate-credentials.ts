/**
 * What the engine needs for certificate authentication (RFC 5246 7.4.2–7.4.8, RFC 8422).
 * The engine runs the message flow and ECDHE; @dtls-kit/x509 builds these objects from PEM/DER
 * keys and certificates and does the chain and signature checks. Any call may return a Promise
 * (a key in an HSM, a chain check that fetches something): the handshake waits.
 */

/** Our own certificate chain and the key that signs with it. */
export interface CertificateSigner {
  /** DER certificates, leaf first (RFC 5246 7.4.2 certificate_list order). */
  readonly chain: readonly Uint8Array[];
  /** The SignatureScheme values this key can produce, in our preference order. */
  readonly signatureSchemes: readonly number[];
  /** Which ECDHE suites the key can serve: ecdhe_ecdsa (ECDSA, Ed25519) or ecdhe_rsa. */
  readonly keyExchange: 'ecdhe_ecdsa' | 'ecdhe_rsa';
  /** Signs `data` (the whole signed content; the scheme says how to hash it). */
  sign(scheme: number, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** What is known about a peer when its chain is checked. */
export interface PeerVerificationContext {
  /** Whose chain this is: 'server' when we are the client, 'client' when we are the server. */
  readonly peerRole: 'server' | 'client';
  /** The name the client expects the server to have (client side only). */
  readonly servername: string | undefined;
}

/** The outcome of a chain check that did not throw (node:tls `socket.authorized` / `authorizationError`). */
export interface PeerVerificationResult {
  /** True when the chain led to a trusted CA and passed every check (name included). */
  readonly authorized: boolean;
  /** Why it was not authorized (a DtlsError naming the alert it would have ended in). */
  readonly authorizationError?: Error | undefined;
}

/** Checks a peer's certificates and signatures. */
export interface CertificateVerifier {
  /** SignatureScheme values we accept from the peer, in preference order (signature_algorithms). */
  readonly signatureSchemes: readonly number[];
  /** DER distinguished names of the CAs we trust, for a CertificateRequest (may be empty). */
  readonly authorities: readonly Uint8Array[];
  /**
   * Validates the chain (leaf first; possibly empty when a client sent no certificate). Throws
   * or rejects with a DtlsError carrying the alert (bad_certificate, unknown_ca,
   * certificate_expired, ...) when it is not acceptable. A verifier that is told not to reject
   * (node:tls `rejectUnauthorized: false`) returns a PeerVerificationResult instead, which the
   * engine may expose on the connection; returning nothing means authorized.
   */
  verifyChain(
    chain: readonly Uint8Array[],
    context: PeerVerificationContext,
  ): void | PeerVerificationResult | Promise<void | PeerVerificationResult>;
  /** Verifies a signature by the leaf certificate's key. */
  verifySignature(leaf: Uint8Array, scheme: number, data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
}

export interface CertificateClientCredentials {
  readonly type: 'x509';
  /** Raw public keys (RFC 7250): offered with the certificate type extensions when set. */
  readonly rawPublicKey?: RawPublicKeyCredentials | undefined;
  /** Sent when the server asks for a client certificate (RFC 5246 7.4.6); none → an empty Certificate. */
  readonly signer: CertificateSigner | undefined;
  readonly verifier: CertificateVerifier;
}

export interface CertificateServerCredentials {
  readonly type: 'x509';
  /** Raw public keys (RFC 7250): answered in the certificate type extensions when set. */
  readonly rawPublicKey?: RawPublicKeyCredentials | undefined;
  readonly signer: CertificateSigner;
  /** Ask for a client certificate (RFC 5246 7.4.4), as node:tls `requestCert`. */
  readonly requestCert: boolean;
  /** With requestCert: refuse a client without a valid certificate (node:tls `rejectUnauthorized`, default true). */
  readonly rejectUnauthorized: boolean;
  /** Checks client certificates; required when requestCert is set. */
  readonly verifier: CertificateVerifier | undefined;
}

/**
 * Raw public keys (RFC 7250): a Certificate message that carries a bare SubjectPublicKeyInfo,
 * checked against keys known beforehand (pinned) instead of a chain to a CA. The signer of the
 * credentials signs with the same key as with a certificate (its chain may be empty when we have
 * no certificate to fall back to).
 */
export interface RawPublicKeyCredentials {
  /** Our key's SubjectPublicKeyInfo (DER), sent when the peer takes a raw key from us; undefined: we send certificates only. */
  readonly publicKey: Uint8Array | undefined;
  /**
   * Checks a peer's raw key: verifyChain is given `[spki]` and throws a DtlsError when the key is
   * not pinned; verifySignature is given the spki as its leaf. Undefined: we take no raw key.
   */
  readonly verifier: CertificateVerifier | undefined;
  /** Whether a peer may still authenticate with an X.509 certificate (the fallback for peers without RFC 7250). */
  readonly acceptX509: boolean;
}
