/**
 * Fuzz scenarios with record size limits: the mutations then reach the record_size_limit
 * (RFC 8449) and max_fragment_length (RFC 6066 4) extensions of both hellos, flights fragmented
 * into many small records, and the record_overflow check of both sides.
 */
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';

/**
 * 'ecdsa-rsl': ECDHE-ECDSA with a client certificate, record_size_limit 96 (client) and 128
 * (server): the Certificates go in a dozen fragments each. 'psk-mfl': PSK asking for
 * max_fragment_length 512 and offering record_size_limit 200 (RFC 8449 5: the server answers the
 * latter and ignores the former), with an identity hint (a ServerKeyExchange).
 */
export type RecordLimitScenario = 'ecdsa-rsl' | 'psk-mfl';
export const RECORD_LIMIT_SCENARIOS: readonly RecordLimitScenario[] = ['ecdsa-rsl', 'psk-mfl'];

export function recordLimitOptions(
  scenario: RecordLimitScenario,
  common: Pick<ClientOptions, 'handshakeTimeoutMs' | 'retransmit' | 'mtu'>,
  psk: { key: Uint8Array; identity: Uint8Array },
): { client: ClientOptions; server: ServerOptions } {
  if (scenario === 'ecdsa-rsl') {
    const suite = 'ECDHE-ECDSA-AES128-GCM-SHA256';
    return {
      client: { ...common, cipherSuites: suite, x509: clientX509({ cert: 'ecdsa' }), servername: 'localhost', recordSizeLimit: 96 },
      server: { ...common, cipherSuites: suite, x509: serverX509('ecdsa', { requestCert: true }), recordSizeLimit: 128 },
    };
  }
  const { key, identity } = psk;
  return {
    client: { ...common, cipherSuites: 'PSK-AES128-GCM-SHA256', maxFragmentLength: 512, recordSizeLimit: 200, psk: { type: 'psk', resolve: () => ({ identity, key }) } },
    server: {
      ...common,
      psk: { type: 'psk', identityHint: new TextEncoder().encode('hint'), lookup: (id) => (id.length === identity.length ? key : undefined) },
    },
  };
}
