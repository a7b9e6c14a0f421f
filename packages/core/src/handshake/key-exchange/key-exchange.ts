import type { NamedGroupName } from '../../crypto/provider.js';
import type { ResolvedClientOptions, ResolvedServerOptions } from '../../options.js';
import type { CipherSuite } from '../../suites/cipher-suite.js';
import type { CertificateType } from '../extensions/certificate-type.js';

/**
 * Runs `then` with a value that may still be pending (a credential lookup, a signature, a chain
 * check): at once for a plain value, after the Promise settles otherwise (the handshake pauses
 * meanwhile; a rejection ends it with `what failed: ...`). R is what a step of the handshake
 * returns: its next state, or nothing. While the value is pending, it returns the state that waits.
 */
export type AwaitValue<R = void> = <T>(value: T | Promise<T>, what: string, then: (value: T) => R) => R;

/** What a client key exchange sees of the handshake so far. */
export interface ClientKeyExchangeContext {
  readonly config: ResolvedClientOptions;
  readonly suite: CipherSuite;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  /** The server's leaf certificate, in certificate suites (checked before the ServerKeyExchange). */
  readonly serverLeaf: Uint8Array | undefined;
  /** What serverLeaf is: a certificate, or a raw public key (RFC 7250). */
  readonly serverCertificateType: CertificateType;
}

/** The client's ClientKeyExchange and the premaster secret it agrees (RFC 5246 7.4.7, 8.1). */
export interface ClientKeyExchangeOutput {
  readonly body: Uint8Array;
  readonly premaster: Uint8Array;
  /** The PSK identity sent, in PSK key exchanges (RFC 4279 2). */
  readonly pskIdentity: Uint8Array | undefined;
}

/** What the client learned from the server's ServerKeyExchange: enough to write its ClientKeyExchange. */
export interface ClientKeyAgreement {
  /**
   * Builds the ClientKeyExchange, after a PSK lookup when the key exchange uses one (the lookup
   * goes through `wait`, so the handshake pauses while it is pending).
   */
  clientKeyExchange<R>(context: ClientKeyExchangeContext, wait: AwaitValue<R>, then: (output: ClientKeyExchangeOutput) => R): R;
}

/** The key exchange as the client runs it (RFC 5246 7.4.3, 7.4.7). */
export interface ClientKeyExchange {
  /**
   * Reads the ServerKeyExchange: checks what can be checked at once, then calls `record` (the
   * message enters the transcript), then hands the agreement to `then` — after the signature
   * over it verifies, in signed key exchanges.
   */
  readServerKeyExchange<R>(
    body: Uint8Array,
    context: ClientKeyExchangeContext,
    record: () => void,
    wait: AwaitValue<R>,
    then: (agreement: ClientKeyAgreement) => R,
  ): R;
  /** The agreement when the server sent no ServerKeyExchange, or undefined when it must send one (RFC 4279 2). */
  withoutServerKeyExchange(): ClientKeyAgreement | undefined;
}

/** What the server knows of the client's ClientHello when it picks a suite (RFC 5246 7.4.1.2, RFC 8422 5.1). */
export interface ClientOffer {
  /** Our preferred group that the client supports, if any. */
  readonly group: NamedGroupName | undefined;
  /** Whether the client accepts uncompressed points (RFC 8422 5.1.2). */
  readonly uncompressedPoints: boolean;
  /** The client's signature_algorithms, or undefined when it sent none. */
  readonly signatureSchemes: readonly number[] | undefined;
}

/** The client's ClientKeyExchange, read by the server: the premaster secret and the PSK identity. */
export interface ServerKeyAgreement {
  readonly premaster: Uint8Array;
  readonly pskIdentity: Uint8Array | undefined;
}

/** The server's half of the exchange once its ServerKeyExchange is out: it reads the ClientKeyExchange. */
export interface ClientKeyExchangeReader {
  /**
   * Reads the ClientKeyExchange: checks it, calls `record` (the message enters the transcript),
   * then hands the agreement to `then` — after a PSK lookup when the key exchange uses one.
   */
  readClientKeyExchange<R>(body: Uint8Array, record: () => void, wait: AwaitValue<R>, then: (agreement: ServerKeyAgreement) => R): R;
}

/** The key exchange as the server runs it for one chosen suite (RFC 5246 7.4.3, 7.4.7). */
export interface ServerKeyExchanger {
  /** The server authenticates with a certificate (Certificate and CertificateRequest in flight 4, RFC 5246 7.3). */
  readonly certificates: boolean;
  /**
   * The ServerKeyExchange body (undefined: omitted, RFC 4279 2), possibly after signing it, and
   * the reader of the ClientKeyExchange that answers it (it holds our ephemeral key, if any).
   */
  serverKeyExchange<R>(
    clientRandom: Uint8Array,
    serverRandom: Uint8Array,
    wait: AwaitValue<R>,
    then: (body: Uint8Array | undefined, reader: ClientKeyExchangeReader) => R,
  ): R;
}

/**
 * One key exchange (RFC 4279 PSK, RFC 5489 ECDHE_PSK, RFC 8422 ECDHE signed by a certificate)
 * for both roles. A new key exchange is a new implementation of this interface, registered in
 * keyExchangeFor.
 */
export interface KeyExchange {
  readonly name: string;
  /** The server proves itself with a certificate chain (Certificate before ServerKeyExchange, RFC 5246 7.3). */
  readonly certificates: boolean;
  /** Needs an ECDHE group: supported_groups and ec_point_formats apply (RFC 8422 5.1). */
  readonly ecdhe: boolean;
  client(): ClientKeyExchange;
  /** The server's side for `suite`, or undefined when this ClientHello cannot do it. */
  server(suite: CipherSuite, offer: ClientOffer, config: ResolvedServerOptions): ServerKeyExchanger | undefined;
}
