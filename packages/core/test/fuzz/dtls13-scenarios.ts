/**
 * Fuzz scenarios of DTLS 1.3 (RFC 9147), both sides ours: every handshake goes through the
 * stateless endpoint's HelloRetryRequest with a cookie (RFC 9147 5.1), so the mutations reach the
 * DTLSPlaintext ClientHello (both of them), the HelloRetryRequest and the ServerHello, the
 * unified-header records of epochs 2 and 3 with their encrypted record numbers (4.2.3), the
 * EncryptedExtensions / [CertificateRequest] / Certificate / CertificateVerify / Finished of the
 * server, the client's [Certificate] / Finished, ACKs (7), KeyUpdate (8), application data and
 * close_notify.
 *
 * 'tls13-psk': external PSK with psk_dhe_ke (X25519), TLS_AES_128_GCM_SHA256.
 * 'tls13-psk-hrr': PSK with a P-384 key share (a larger ClientHello, fragmented at MTU 256 and
 *   reassembled by the stateless endpoint before its HelloRetryRequest) and ChaCha20-Poly1305 (the
 *   record-number mask of RFC 9147 4.2.3 for ChaCha20). Every scenario's HelloRetryRequest is the
 *   cookie one: the server runs all three groups, so a group-selecting HelloRetryRequest (RFC 8446
 *   4.1.4) cannot be asked for with options yet.
 * 'tls13-ecdsa': an ECDSA P-256 server certificate chain (ecdsa_secp256r1_sha256).
 * 'tls13-rsa-pss': an RSA-2048 chain (rsa_pss_rsae_sha256), a Certificate fragmented at every MTU.
 * 'tls13-client-auth': the server asks for a client certificate (CertificateRequest, RFC 8446 4.3.2).
 * 'tls13-key-update': PSK, and once established the client sends a KeyUpdate with
 *   update_requested (RFC 8446 4.6.3): both sides move to epoch 4, each KeyUpdate acknowledged.
 */
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import type { DtlsConnection } from '../../src/connection.js';
import { Dtls13RecordLayer } from '../../src/record/dtls13-record-layer.js';
import { RecordLayer } from '../../src/record/record-layer.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';

export type Dtls13Scenario = 'tls13-psk' | 'tls13-psk-hrr' | 'tls13-ecdsa' | 'tls13-rsa-pss' | 'tls13-client-auth' | 'tls13-key-update';
export const DTLS13_SCENARIOS: readonly Dtls13Scenario[] = ['tls13-psk', 'tls13-psk-hrr', 'tls13-ecdsa', 'tls13-rsa-pss', 'tls13-client-auth', 'tls13-key-update'];

export function isDtls13Scenario(s: string): s is Dtls13Scenario {
  return DTLS13_SCENARIOS.some((x) => x === s);
}

const V13 = { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } as const;

export function dtls13Options(
  scenario: Dtls13Scenario,
  common: Pick<ClientOptions, 'handshakeTimeoutMs' | 'retransmit' | 'mtu'>,
  psk: { key: Uint8Array; identity: Uint8Array },
): { client: ClientOptions; server: ServerOptions } {
  const { key, identity } = psk;
  const clientPsk = { type: 'psk', resolve: () => ({ identity, key }) } as const;
  const serverPsk = { type: 'psk', identityHint: undefined, lookup: (id: Uint8Array) => (id.length === identity.length ? key : undefined) } as const;
  switch (scenario) {
    case 'tls13-psk':
    case 'tls13-key-update':
      return { client: { ...common, ...V13, psk: clientPsk }, server: { ...common, ...V13, psk: serverPsk } };
    case 'tls13-psk-hrr':
      return {
        client: { ...common, ...V13, psk: clientPsk, groups: ['secp384r1', 'x25519'], cipherSuites: 'TLS_CHACHA20_POLY1305_SHA256' },
        server: { ...common, ...V13, psk: serverPsk, cipherSuites: 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256' },
      };
    case 'tls13-ecdsa':
      return {
        client: { ...common, ...V13, x509: clientX509(), servername: 'localhost' },
        server: { ...common, ...V13, x509: serverX509('ecdsa') },
      };
    case 'tls13-rsa-pss':
      return {
        client: { ...common, ...V13, x509: clientX509(), servername: 'localhost', cipherSuites: 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256' },
        server: { ...common, ...V13, x509: serverX509('rsa'), cipherSuites: 'TLS_AES_256_GCM_SHA384' },
      };
    case 'tls13-client-auth':
      return {
        client: { ...common, ...V13, x509: clientX509({ cert: 'ecdsa' }), servername: 'localhost' },
        // Our 1.3 client answers a CertificateRequest (an empty Certificate until it sends its own):
        // the server goes on without client authentication rather than ending the handshake.
        server: { ...common, ...V13, x509: serverX509('ecdsa', { requestCert: true, rejectUnauthorized: false }) },
      };
  }
}

/**
 * The client's KeyUpdate with update_requested (RFC 8446 4.6.3) through DtlsConnection.keyUpdate:
 * a flight of its own under the application keys, the client's write keys moving on once the
 * server acknowledges it (RFC 9147 8); none while one is unacknowledged.
 */
export function clientKeyUpdate(conn: DtlsConnection): void {
  // Not (or no longer) an established 1.3 connection: nothing to update (a server's call throws).
  if (conn.state !== 'established' || dtls13LayerOf(conn) === undefined) return;
  conn.keyUpdate(true);
}

/** A connection's DTLS 1.3 record layer, once the handshake chose 1.3 (read only here). */
export function dtls13LayerOf(conn: DtlsConnection): Dtls13RecordLayer | undefined {
  const records: unknown = Reflect.get(conn, 'records');
  return records instanceof RecordLayer ? records.dtls13Records : undefined;
}
