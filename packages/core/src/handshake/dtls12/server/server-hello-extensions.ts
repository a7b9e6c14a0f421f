import type { CipherSuite } from '../../../suites/cipher-suite.js';
import { recordFormatForConnectionId } from '../../../record/tls12-cid-record-format.js';
import { newConnectionId } from '../../common/connection-id.js';
import { encodeAlpn } from '../../extensions/alpn.js';
import { decodeConnectionId, encodeConnectionId } from '../../extensions/connection-id.js';
import { EC_POINT_FORMAT_UNCOMPRESSED, encodeEcPointFormats } from '../../extensions/ec-point-formats.js';
import { encodeExtendedMasterSecret } from '../../extensions/extended-master-secret.js';
import { type Extension, findExtension } from '../../extensions/extension.js';
import { ExtensionType } from '../../extensions/extension-type.js';
import { encodeRenegotiationInfo } from '../../extensions/renegotiation-info.js';
import { decodeRrc, encodeRrc } from '../../extensions/rrc.js';
import { keyExchangeFor } from '../../key-exchange/registry.js';
import type { ClientHello } from '../../messages/client-hello.js';
import { answerSessionTicket } from '../../../session/session-ticket-answer.js';
import { answerUseSrtp } from '../../../srtp/use-srtp-negotiation.js';
import { answerRecordSizeLimit } from '../../common/record-size-negotiation.js';
import { answerEncryptThenMac } from '../../extensions/encrypt-then-mac.js';
import { answerCertificateTypes } from '../../common/certificate-types.js';
import type { ServerContext } from './server-state.js';

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 3.3). */
const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

/** What the server decided before answering the ClientHello's extensions. */
export interface ServerHelloChoices {
  readonly suite: CipherSuite;
  /** The client's server_name chose our credentials (RFC 6066 3). */
  readonly sniUsed: boolean;
  readonly alpnProtocol: string | undefined;
  /** An abbreviated handshake resumes a session (RFC 5246 7.3). */
  readonly resumed: boolean;
}

/**
 * The extensions of our ServerHello: the ONE place that answers the client's, for the full and the
 * abbreviated (resumed) handshake alike (RFC 5246 7.4.1.4: only extensions the client offered).
 * What an answer negotiates (CID, rrc) is recorded in `cx.negotiated` here too. Each extension's
 * answer is one line; a new extension adds its own.
 */
export function answerServerHelloExtensions(ch: ClientHello, cx: ServerContext, choices: ServerHelloChoices): Extension[] {
  const ext: Extension[] = [];
  // RFC 6066 3: a server that used the server_name to choose its certificate (its credentials)
  // SHALL include an empty server_name extension in its ServerHello (OpenSSL does when its
  // servername callback acknowledges the name; node's SNICallback answering a context does).
  // RFC 6066 3 also: "When resuming a session, the server MUST NOT include a server_name extension".
  if (choices.sniUsed && !choices.resumed) ext.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
  const reneg = findExtension(ch.extensions, ExtensionType.renegotiation_info);
  if (reneg !== undefined || ch.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV)) {
    ext.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(new Uint8Array(0)) });
  }
  if (findExtension(ch.extensions, ExtensionType.extended_master_secret)) {
    ext.push({ type: ExtensionType.extended_master_secret, data: encodeExtendedMasterSecret() });
  }
  // RFC 7250 4.2: certificate types are answered in a full handshake (a resumed one sends no Certificate).
  if (!choices.resumed) ext.push(...answerCertificateTypes(ch.extensions, cx.config, keyExchangeFor(choices.suite).certificates, cx.negotiated));
  // RFC 8422 5.2: for an ECC suite the client sent ec_point_formats for (a resumed session keeps its suite).
  if (keyExchangeFor(choices.suite).ecdhe && findExtension(ch.extensions, ExtensionType.ec_point_formats)) {
    ext.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([EC_POINT_FORMAT_UNCOMPRESSED]) });
  }
  if (choices.alpnProtocol !== undefined) {
    ext.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn([choices.alpnProtocol]) });
  }
  // RFC 7366 3: only with a CBC suite (a resumed session keeps its suite, and its EtM: resumableSuite()).
  const etm = answerEncryptThenMac(ch.extensions, choices.suite, cx.config);
  if (etm !== undefined) ext.push(etm);
  cx.negotiated.encryptThenMac = etm !== undefined;
  // RFC 5764 4.1.1: use_srtp is negotiated in every handshake, resumed ones included (keys are new).
  const useSrtp = answerUseSrtp(ch.extensions, cx.config, cx.negotiated);
  if (useSrtp !== undefined) ext.push(useSrtp);
  answerConnectionId(ch, cx, ext);
  // RFC 8449 4 / RFC 6066 4: the record limits hold for this connection, negotiated in each handshake.
  const recordSizeLimit = answerRecordSizeLimit(ch.extensions, cx.config.recordSizeLimit, cx.negotiated, cx.records);
  if (recordSizeLimit !== undefined) ext.push(recordSizeLimit);
  const ticket = answerSessionTicket(ch, cx.config, choices.resumed);
  if (ticket !== undefined) ext.push(ticket);
  return ext;
}

/** RFC 9146 3 / RFC 9853 3: connection_id (and rrc with it), negotiated anew in every handshake. */
function answerConnectionId(ch: ClientHello, cx: ServerContext, ext: Extension[]): void {
  const config = cx.config;
  const n = cx.negotiated;
  const cidExt = findExtension(ch.extensions, ExtensionType.connection_id);
  const offeredCid = cidExt ? decodeConnectionId(cidExt.data) : undefined;
  // Our CID is made only for a client that offered the extension (a custom generator may keep state).
  const receiveCid = offeredCid === undefined ? undefined : newConnectionId(config);
  if (offeredCid === undefined || receiveCid === undefined) return;
  // RFC 9146 3: answered only when the client offered it; ours carries the CID we want to receive.
  n.connectionId = { receive: receiveCid, send: offeredCid };
  ext.push({ type: ExtensionType.connection_id, data: encodeConnectionId(receiveCid) });
  // The client's epoch-1 records carry our CID: frame them so, even when they overtake its ChangeCipherSpec.
  cx.records.expectReadFormat(recordFormatForConnectionId(receiveCid));
  // RFC 9853 3: rrc is answered only with connection_id, and only when we want it too.
  const rrc = findExtension(ch.extensions, ExtensionType.rrc);
  if (rrc) decodeRrc(rrc.data);
  if (rrc && config.returnRoutabilityCheck) {
    n.returnRoutabilityCheck = true;
    ext.push({ type: ExtensionType.rrc, data: encodeRrc() });
  }
}
