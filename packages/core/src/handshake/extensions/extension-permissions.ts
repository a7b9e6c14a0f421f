import { AlertDescription } from '../../alert.js';
import { DtlsError, IllegalParameterError } from '../../errors.js';
import type { Extension } from './extension.js';
import { ExtensionType } from './extension-type.js';

/** The TLS 1.3 messages that carry extensions (RFC 8446 4.2), named as its table abbreviates them. */
export type ExtensionMessage = 'CH' | 'SH' | 'HRR' | 'EE' | 'CT' | 'CR' | 'NST';

/**
 * Where each extension we know may appear in (D)TLS 1.3: the table of RFC 8446 4.2, with
 * record_size_limit (RFC 8449 4: CH, EE), connection_id (RFC 9146 / RFC 9147 9: CH, SH), and the
 * extensions that exist only for (D)TLS 1.2. Those last ones ride a ClientHello that offers 1.2 as
 * well, and a 1.3 server ignores them there; anywhere else in 1.3 they are misplaced.
 */
const PERMITTED: ReadonlyMap<number, readonly ExtensionMessage[]> = new Map<number, readonly ExtensionMessage[]>([
  [ExtensionType.server_name, ['CH', 'EE']],
  [ExtensionType.max_fragment_length, ['CH', 'EE']],
  [ExtensionType.status_request, ['CH', 'CR', 'CT']],
  [ExtensionType.supported_groups, ['CH', 'EE']],
  [ExtensionType.signature_algorithms, ['CH', 'CR']],
  [ExtensionType.use_srtp, ['CH', 'EE']],
  [ExtensionType.heartbeat, ['CH', 'EE']],
  [ExtensionType.application_layer_protocol_negotiation, ['CH', 'EE']],
  [ExtensionType.signed_certificate_timestamp, ['CH', 'CR', 'CT']],
  [ExtensionType.client_certificate_type, ['CH', 'EE']],
  [ExtensionType.server_certificate_type, ['CH', 'EE']],
  [ExtensionType.padding, ['CH']],
  [ExtensionType.record_size_limit, ['CH', 'EE']],
  [ExtensionType.pre_shared_key, ['CH', 'SH']],
  [ExtensionType.early_data, ['CH', 'EE', 'NST']],
  [ExtensionType.supported_versions, ['CH', 'SH', 'HRR']],
  [ExtensionType.cookie, ['CH', 'HRR']],
  [ExtensionType.psk_key_exchange_modes, ['CH']],
  [ExtensionType.certificate_authorities, ['CH', 'CR']],
  [ExtensionType.oid_filters, ['CR']],
  [ExtensionType.post_handshake_auth, ['CH']],
  [ExtensionType.signature_algorithms_cert, ['CH', 'CR']],
  [ExtensionType.key_share, ['CH', 'SH', 'HRR']],
  [ExtensionType.connection_id, ['CH', 'SH']],
  // (D)TLS 1.2 only.
  [ExtensionType.ec_point_formats, ['CH']],
  [ExtensionType.encrypt_then_mac, ['CH']],
  [ExtensionType.extended_master_secret, ['CH']],
  [ExtensionType.session_ticket, ['CH']],
  [ExtensionType.renegotiation_info, ['CH']],
]);

/**
 * Messages whose extensions answer the peer's: the hellos and EncryptedExtensions answer the
 * ClientHello; a Certificate answers the ClientHello (server) or the CertificateRequest (client),
 * RFC 8446 4.4.2.
 */
const RESPONSES: ReadonlySet<ExtensionMessage> = new Set<ExtensionMessage>(['SH', 'HRR', 'EE', 'CT']);

/**
 * The alert a received extension list earns in `message`, or undefined when it is acceptable.
 * RFC 8446 4.2:
 * - "If an implementation receives an extension which it recognizes and which is not specified for
 *   the message in which it appears, it MUST abort the handshake with an "illegal_parameter" alert."
 * - "Implementations MUST NOT send extension responses if the remote endpoint did not send the
 *   corresponding extension requests, with the exception of the "cookie" extension in the
 *   HelloRetryRequest. Upon receiving such an extension, an endpoint MUST abort the handshake with
 *   an "unsupported_extension" alert."
 * Unknown extensions in a ClientHello, CertificateRequest or NewSessionTicket are ignored (4.1.2,
 * 4.3.2, 4.6.1). `requested` is the extension types this side sent in the message being answered
 * (ClientHello, or CertificateRequest for a client's Certificate); required for SH, HRR, EE, CT.
 */
export function extensionPermissionError(
  message: ExtensionMessage,
  extensions: readonly Extension[],
  requested?: readonly number[],
): DtlsError | undefined {
  const response = RESPONSES.has(message);
  if (response && requested === undefined) throw new RangeError(`extension check for ${message} needs the requested extension types`);
  for (const { type } of extensions) {
    const where = PERMITTED.get(type);
    if (where !== undefined && !where.includes(message)) {
      return new IllegalParameterError(`extension ${extensionName(type)} is not allowed in ${message} (RFC 8446 4.2)`);
    }
    const exempt = message === 'HRR' && type === ExtensionType.cookie;
    if (response && !exempt && !(requested ?? []).includes(type)) {
      return new DtlsError(AlertDescription.unsupported_extension, `${message} carries extension ${extensionName(type)}, which we did not send`);
    }
  }
  return undefined;
}

/** Throws what extensionPermissionError returns. */
export function checkExtensionsPermitted(message: ExtensionMessage, extensions: readonly Extension[], requested?: readonly number[]): void {
  const err = extensionPermissionError(message, extensions, requested);
  if (err !== undefined) throw err;
}

function extensionName(type: number): string {
  const name: unknown = ExtensionType[type];
  return typeof name === 'string' ? name : `${type}`;
}
