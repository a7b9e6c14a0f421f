import { AlertDescription } from '../../alert.js';
import type { LabelledHkdf } from '../../crypto/hkdf-label.js';
import { nextApplicationTrafficSecret } from '../../crypto/traffic-keys-13.js';
import { DtlsError } from '../../errors.js';
import { dtls13ReadRecords } from '../../record/dtls13-record-mode.js';
import type { ReadRecord } from '../../record/record-layer.js';
import type { Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';
import type { HandshakeMessage } from '../common/handshake-engine.js';
import { HandshakeType } from '../handshake-type.js';
import { KeyUpdateRequest, decodeKeyUpdate, encodeKeyUpdate } from '../messages/key-update.js';
import { onNewSessionTicket13 } from './client-new-session-ticket-13.js';
import type { ClientContext, ClientState } from '../dtls12/client/client-state.js';
import { epochKeysFrom } from './client-handshake-secrets.js';
import { ConnectionIdUpdates13 } from './connection-id-updates-13.js';
import { clientCertificateAlertHint, type ClientCertificateOutcome } from '../common/client-certificate-alert-hint.js';

/** The application traffic secrets in force (RFC 8446 7.2: each KeyUpdate moves one of them on). */
export interface ApplicationSecrets13 {
  readonly kdf: LabelledHkdf;
  readonly suite: Tls13CipherSuite;
  readonly client: Uint8Array;
  readonly server: Uint8Array;
  /** RFC 8446 7.1: resumption_master_secret, what a NewSessionTicket's PSK comes from (4.6.1). */
  readonly resumptionMasterSecret?: Uint8Array;
}

/**
 * The DTLS 1.3 handshake is over (RFC 8446 4.6): a NewSessionTicket is acknowledged and becomes
 * the session of getSession() (client-new-session-ticket-13.ts); a KeyUpdate (RFC 9147 8) is acknowledged, moves the server's records
 * to the next read epoch, and when it asks for it we send our own, switching our write epoch once
 * the server acknowledges it ("the sender MUST NOT send records with the new keys until the
 * KeyUpdate has been acknowledged"); anything else is unexpected.
 */
export class Dtls13ClientEstablished implements ClientState {
  readonly name = 'established';

  constructor(
    private readonly secrets: ApplicationSecrets13,
    /** Our KeyUpdate is out, waiting for its ACK (the flight machinery tells us: onAck). */
    private readonly pending = false,
    /**
     * The CID state (RFC 9147 9), shared by the states that follow one another here, and what our
     * last flight answered to a CertificateRequest.
     */
    private readonly box: { cids?: ConnectionIdUpdates13; readonly certificate?: ClientCertificateOutcome } = {},
  ) {}

  /**
   * A fatal alert after our last flight: in DTLS 1.3 the client is connected once its Finished is
   * out (RFC 8446 4.4.4), so a server that refuses our certificate, or its absence
   * (certificate_required, RFC 8446 4.4.2.4), says so now.
   */
  peerAlertHint(description: AlertDescription): string | undefined {
    return clientCertificateAlertHint(this.box.certificate ?? 'not-requested', description);
  }

  /** ClientState.connectionIdUpdates: undefined when no CIDs were negotiated. */
  connectionIdUpdates(cx: ClientContext): ConnectionIdUpdates13 | undefined {
    const layer = cx.records.dtls13Records;
    if (this.box.cids === undefined && layer !== undefined && cx.negotiated.connectionId !== undefined) {
      this.box.cids = new ConnectionIdUpdates13(cx.config, cx.negotiated, layer);
    }
    return this.box.cids;
  }

  /** RFC 9147 9: the server's NewConnectionId or RequestConnectionId, acknowledged (RFC 9147 7); a request is answered. */
  private onConnectionIdMessage(m: HandshakeMessage, cx: ClientContext): ClientState {
    const cids = this.connectionIdUpdates(cx);
    if (cids === undefined || m.sources.length > 0) throw cx.unexpected(m);
    if (m.msgType === HandshakeType.new_connection_id) cids.onNewConnectionId(m.body);
    const answer = m.msgType === HandshakeType.request_connection_id ? cids.onRequestConnectionId(m.body) : undefined;
    // RFC 9147 7: acknowledged with every post-handshake record by the client's flights (client-flights-13.ts).
    if (answer !== undefined) cx.sendFlight([cx.message(HandshakeType.new_connection_id, answer)], true);
    return this;
  }

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType === HandshakeType.new_session_ticket) {
      onNewSessionTicket13(m, this.secrets, cx);
      return this;
    }
    if (m.msgType === HandshakeType.new_connection_id || m.msgType === HandshakeType.request_connection_id) return this.onConnectionIdMessage(m, cx);
    if (m.msgType !== HandshakeType.key_update) throw cx.unexpected(m);
    const request = decodeKeyUpdate(m.body);
    const layer = cx.records.dtls13Records;
    if (layer === undefined || m.sources.length > 0) throw new DtlsError(AlertDescription.unexpected_message, 'a KeyUpdate must come under the application keys (RFC 9147 8)');
    // RFC 9147 8: "the receiver MUST acknowledge" it: the client's flights (client-flights-13.ts)
    // acknowledge every post-handshake record at once.
    const server = nextApplicationTrafficSecret(this.secrets.kdf, this.secrets.server);
    cx.deliver(dtls13ReadRecords(layer.setReadKeys(layer.readEpoch + 1, epochKeysFrom(this.secrets, server))));
    const secrets = { ...this.secrets, server };
    // RFC 8446 4.6.3: update_requested is answered with our own KeyUpdate (update_not_requested), once.
    const next = new Dtls13ClientEstablished(secrets, this.pending, this.box);
    if (request !== KeyUpdateRequest.update_requested) return next;
    return next.updateKeys(cx);
  }

  /**
   * Our KeyUpdate (update_not_requested), unless one waits for its ACK already: asked for by the
   * server, or because our write key nears its AEAD limit (RFC 9147 4.5.3, Handshake.updateKeys).
   * RFC 9147 4.5.3: when too many of the server's records failed authentication, its key goes too
   * (update_requested).
   */
  updateKeys(cx: ClientContext): ClientState {
    const layer = cx.records.dtls13Records;
    if (this.pending || layer === undefined) return this;
    const requested = layer.peerKeyUpdateNeeded;
    if (requested) layer.peerKeyUpdateRequested();
    return this.sendKeyUpdate(cx, requested);
  }

  /**
   * Our own KeyUpdate (RFC 8446 4.6.3), retransmitted until the server acknowledges it; with
   * `requestPeer`, update_requested asks the server for one of its own. None while one is out.
   */
  initiate(cx: ClientContext, requestPeer: boolean): ClientState {
    if (this.pending) return this;
    return this.sendKeyUpdate(cx, requestPeer);
  }

  /** Retransmitted until the server acknowledges it (RFC 9147 5.8.1, 8); our write keys move on then (onAck). */
  private sendKeyUpdate(cx: ClientContext, requestPeer: boolean): ClientState {
    const request = requestPeer ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested;
    cx.sendFlight([cx.message(HandshakeType.key_update, encodeKeyUpdate(request))], true);
    return new Dtls13ClientEstablished(this.secrets, true, this.box);
  }

  /** The server acknowledged the whole of our last flight (called only then): our KeyUpdate, if one is out. */
  onAck(_record: ReadRecord, cx: ClientContext): ClientState {
    const layer = cx.records.dtls13Records;
    if (!this.pending || layer === undefined) return this;
    const client = nextApplicationTrafficSecret(this.secrets.kdf, this.secrets.client);
    layer.setWriteKeys(layer.writeEpoch + 1, epochKeysFrom(this.secrets, client));
    return new Dtls13ClientEstablished({ ...this.secrets, client }, false, this.box);
  }
}
