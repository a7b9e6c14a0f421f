import { offersDtls13 } from '../handshake/messages/client-hello-13.js';
import type { ClientHello } from '../handshake/messages/client-hello.js';

/** The protocol versions by node:tls's names (TLSv1.2/TLSv1.3), as the minVersion/maxVersion options take them. */
export type DtlsVersionName = 'DTLSv1.2' | 'DTLSv1.3';

/**
 * The server's version choice for a ClientHello (RFC 8446 4.2.1): DTLS 1.3 when the client's
 * supported_versions lists it (0xfefc) and our maxVersion allows it; otherwise the DTLS 1.2 path,
 * which reads legacy_version as RFC 6347 does. A malformed supported_versions is a DecodeError.
 */
export function selectsDtls13(hello: ClientHello, maxVersion: DtlsVersionName): boolean {
  return maxVersion === 'DTLSv1.3' && offersDtls13(hello);
}
