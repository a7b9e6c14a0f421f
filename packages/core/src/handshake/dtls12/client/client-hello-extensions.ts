import type { ResolvedClientOptions } from '../../../options.js';
import { encodeAlpn } from '../../extensions/alpn.js';
import { encodeConnectionId } from '../../extensions/connection-id.js';
import { EC_POINT_FORMAT_UNCOMPRESSED, encodeEcPointFormats } from '../../extensions/ec-point-formats.js';
import { offerEncryptThenMac } from '../../extensions/encrypt-then-mac.js';
import { encodeExtendedMasterSecret } from '../../extensions/extended-master-secret.js';
import type { Extension } from '../../extensions/extension.js';
import { ExtensionType } from '../../extensions/extension-type.js';
import { namedGroupId } from '../../extensions/named-group.js';
import { encodeRenegotiationInfo } from '../../extensions/renegotiation-info.js';
import { encodeRrc } from '../../extensions/rrc.js';
import { encodeServerName, serverNameToSend } from '../../extensions/server-name.js';
import { encodeSignatureAlgorithms } from '../../extensions/signature-algorithms.js';
import { encodeSupportedGroups } from '../../extensions/supported-groups.js';
import { keyExchangeFor } from '../../key-exchange/registry.js';
import { sessionTicketToOffer } from '../../../session/client-resumption.js';
import { offerUseSrtp } from '../../../srtp/use-srtp-negotiation.js';
import { recordSizeLimitOffer } from '../../common/record-size-negotiation.js';
import { certificateTypeOffers } from '../../common/certificate-types.js';

/**
 * The extensions of our ClientHello, from what we offer. `receiveConnectionId` is the CID we ask
 * the server to put in its records (RFC 9146 3), when CIDs are on.
 */
export function clientHelloExtensions(c: ResolvedClientOptions, receiveConnectionId?: Uint8Array): Extension[] {
  const ext: Extension[] = [];
  const servername = serverNameToSend(c.servername);
  if (servername !== undefined) ext.push({ type: ExtensionType.server_name, data: encodeServerName(servername) });
  if (c.suites.some((s) => keyExchangeFor(s).ecdhe)) {
    // RFC 8422 5.1: the curves we can do ECDHE over, uncompressed points only.
    ext.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(c.groups.map(namedGroupId)) });
    ext.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([EC_POINT_FORMAT_UNCOMPRESSED]) });
  }
  if (c.x509 && c.suites.some((s) => keyExchangeFor(s).certificates)) {
    // RFC 5246 7.4.1.4.1: the signatures we accept, in our order of preference.
    ext.push({ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(c.x509.verifier.signatureSchemes) });
  }
  if (c.suites.some((s) => keyExchangeFor(s).certificates)) ext.push(...certificateTypeOffers(c)); // RFC 7250 4.1
  if (c.alpnProtocols.length > 0) {
    ext.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn(c.alpnProtocols) });
  }
  const useSrtp = offerUseSrtp(c); // RFC 5764 4.1.1
  if (useSrtp !== undefined) ext.push(useSrtp);
  if (receiveConnectionId !== undefined) {
    ext.push({ type: ExtensionType.connection_id, data: encodeConnectionId(receiveConnectionId) }); // RFC 9146 3
    // RFC 9853 3: offered only with connection_id.
    if (c.returnRoutabilityCheck) ext.push({ type: ExtensionType.rrc, data: encodeRrc() });
  }
  const ticket = sessionTicketToOffer(c); // RFC 5077 3.2
  if (ticket !== undefined) ext.push(ticket);
  ext.push(...recordSizeLimitOffer(c)); // RFC 8449 4, RFC 6066 4: only when asked for
  const etm = offerEncryptThenMac(c); // RFC 7366 2: only with CBC suites offered
  if (etm) ext.push(etm);
  ext.push({ type: ExtensionType.extended_master_secret, data: encodeExtendedMasterSecret() }); // RFC 7627 5.1
  ext.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(new Uint8Array(0)) }); // RFC 5746 3.4
  return ext;
}
