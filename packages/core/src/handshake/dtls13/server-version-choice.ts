import { AlertDescription } from '../../alert.js';
import { DtlsError } from '../../errors.js';
import type { DtlsVersionName } from '../../protocol-versions.js';
import { findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { checkSelectedVersion, decodeSupportedVersionsServerHello } from '../extensions/supported-versions.js';
import { checkDowngradeSentinel } from '../messages/downgrade-sentinel.js';
import type { ServerHello } from '../messages/server-hello.js';
import { DTLS_1_2 } from '../protocol-version.js';
import type { Dtls13Offer } from './client-hello-offer.js';

/**
 * The version a ServerHello (or HelloRetryRequest) chose, checked as a client must (the shared
 * hello phase: what follows is the chosen version's handshake):
 * - supported_versions present: RFC 8446 4.2.1, it selects DTLS 1.3, which we offered, or the
 *   handshake ends with illegal_parameter; without our 1.3 offer it is an extension we did not
 *   send (RFC 8446 4.2: unsupported_extension);
 * - absent: the legacy version decides (RFC 8446 4.1.3: "the server_version ... selects 1.2");
 *   under minVersion 'DTLSv1.3' that is protocol_version (RFC 8446 4.2.1), and a client that
 *   offered 1.3 checks the random for the downgrade sentinel (RFC 8446 4.1.3: illegal_parameter).
 * Versions below 1.2 are refused by the 1.2 path as before (protocol_version).
 */
export function serverVersionChoice(sh: ServerHello, offer: Dtls13Offer | undefined, minVersion: DtlsVersionName): DtlsVersionName {
  const ext = findExtension(sh.extensions, ExtensionType.supported_versions);
  if (ext !== undefined) {
    if (offer === undefined) throw new DtlsError(AlertDescription.unsupported_extension, 'server sent supported_versions, which we did not offer (RFC 8446 4.2)');
    checkSelectedVersion(decodeSupportedVersionsServerHello(ext.data), offer.versions);
    return 'DTLSv1.3';
  }
  if (sh.serverVersion === DTLS_1_2 && minVersion === 'DTLSv1.3') {
    throw new DtlsError(AlertDescription.protocol_version, 'server chose DTLS 1.2; minVersion is DTLSv1.3 (RFC 8446 4.2.1)');
  }
  if (sh.serverVersion === DTLS_1_2) checkDowngradeSentinel(sh.random, DTLS_1_2, offer !== undefined);
  return 'DTLSv1.2';
}
