/**
 * Our side of the certificate interop tests (and of engine-negative.test.ts): the engine with
 * this package's credentials, run by the test kit's interop harness over UDP on 127.0.0.1.
 * - connectOurClient: our client, resolved once the handshake completed or the connection
 *   closed (a failed handshake is a result, so negative cases can look at the error).
 * - startOurServer: our server in echo mode, recording per connection what an application
 *   would see (suite, servername, peer certificates, authorized, error).
 */
import { DtlsConnection, ServerEndpoint, nobleCryptoProvider, nodeCryptoProvider, type DtlsError } from '@dtls-kit/core';
import { connectInteropClient, startInteropServer, type InteropClient, type InteropServer, type InteropSession } from '@dtls-kit/test-kit';
import type { X509ClientCredentials, X509ServerCredentials } from '../../src/index.js';
import type { KeyKind } from './pki.js';

/** Every certificate suite of the issue, by OpenSSL name, with the key its server needs. */
export const SUITES = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'ecdsa',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'ecdsa',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'ecdsa',
  'ECDHE-ECDSA-AES128-CCM': 'ecdsa',
  'ECDHE-ECDSA-AES128-CCM8': 'ecdsa',
  'ECDHE-RSA-AES128-GCM-SHA256': 'rsa',
  'ECDHE-RSA-AES256-GCM-SHA384': 'rsa',
  'ECDHE-RSA-CHACHA20-POLY1305': 'rsa',
} as const satisfies Record<string, KeyKind>;
export type Suite = keyof typeof SUITES;

export type ProviderName = 'node' | 'noble';
const PROVIDERS = { node: nodeCryptoProvider, noble: nobleCryptoProvider } as const;

export interface OurClientOptions {
  port: number;
  x509: X509ClientCredentials;
  /** The name the server's certificate must carry (also sent as server_name). */
  servername?: string;
  /** One suite, or a list (OpenSSL names, colon-separated). */
  suite: string;
  provider?: ProviderName;
  mtu?: number;
  timeoutMs?: number;
  /** Default: both DTLS 1.2 and 1.3 offered, 1.3 preferred. */
  maxVersion?: 'DTLSv1.2' | 'DTLSv1.3';
}

/** Our client, connected (or failed): look at it, then close(). */
export type OurClient = InteropClient<DtlsConnection, DtlsError>;

/** Connects our client to 127.0.0.1:port; see connectInteropClient. */
export function connectOurClient(options: OurClientOptions): Promise<OurClient> {
  const connection = DtlsConnection.client({
    x509: options.x509,
    servername: options.servername,
    cipherSuites: options.suite,
    provider: PROVIDERS[options.provider ?? 'node'],
    mtu: options.mtu,
    ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
  });
  return connectInteropClient(connection, { port: options.port, timeoutMs: options.timeoutMs });
}

export interface OurServerOptions {
  suite: string;
  x509: X509ServerCredentials;
  mtu?: number;
  provider?: ProviderName;
  /** Default: DTLS 1.2 and 1.3, 1.3 preferred. */
  maxVersion?: 'DTLSv1.2' | 'DTLSv1.3';
}

/** What the certificates let our server see of a connection. */
export interface CertificateDetails {
  servername: string | undefined;
  peerCertificates: readonly Uint8Array[];
  authorized: boolean;
  authorizationError: Error | undefined;
}

export type OurSession = InteropSession<DtlsError, CertificateDetails>;
export type OurServer = InteropServer<DtlsConnection, DtlsError, CertificateDetails>;

/** Our server on 127.0.0.1 (a free port), cookie exchange on, echoing every message. */
export function startOurServer(options: OurServerOptions): Promise<OurServer> {
  const endpoint = new ServerEndpoint({
    x509: options.x509,
    cipherSuites: options.suite,
    mtu: options.mtu,
    provider: PROVIDERS[options.provider ?? 'node'],
    ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
  });
  return startInteropServer(endpoint, {
    details: (c) => ({
      servername: c.servername,
      peerCertificates: c.peerCertificates,
      authorized: c.authorized,
      authorizationError: c.authorizationError,
    }),
  });
}
