import { AlertDescription } from '../../alert.js';
import { bytesEqual } from '../../bytes.js';
import { DtlsError } from '../../errors.js';
import type { ResolvedOptions } from '../../options.js';
import type { Dtls13RecordLayer } from '../../record/dtls13-record-layer.js';
import { newConnectionId } from '../common/connection-id.js';
import type { NegotiatedParameters } from '../common/negotiated-parameters.js';
import { ConnectionIdUsage, decodeNewConnectionId, encodeNewConnectionId } from '../messages/new-connection-id.js';
import { decodeRequestConnectionId, encodeRequestConnectionId } from '../messages/request-connection-id.js';

/** CIDs of ours the peer may use at once (the negotiated one included): each is a routing entry. */
export const MAX_ISSUED_CONNECTION_IDS = 8;
/** Spare CIDs of the peer's we keep ("Implementations which receive more spare CIDs than they wish to maintain MAY simply discard any extra CIDs"). */
export const MAX_SPARE_CONNECTION_IDS = 4;
/** RequestConnectionId messages we answer; past this, too_many_cids_requested (RFC 9147 9 allows it). */
export const MAX_CONNECTION_ID_REQUESTS = 16;

function unexpected(message: string): DtlsError {
  return new DtlsError(AlertDescription.unexpected_message, message);
}

/**
 * RFC 9147 9 after the handshake: the CIDs each side may use, and the NewConnectionId and
 * RequestConnectionId messages that change them (both sides; each message its own flight, and
 * acknowledged, RFC 9147 7). State of one connection, shared by the client's and the server's
 * established handshake.
 *
 * - A RequestConnectionId is answered with a NewConnectionId (usage cid_spare) of fresh CIDs of
 *   ours ("Endpoints SHOULD respond to RequestConnectionId by sending a NewConnectionId with usage
 *   "cid_spare" containing num_cids CIDs as soon as possible"), fewer when we hold
 *   MAX_ISSUED_CONNECTION_IDS already ("MAY ... respond with ... fewer than num_cids CIDs,
 *   including no CIDs at all"), and too_many_cids_requested past MAX_CONNECTION_ID_REQUESTS. Every
 *   CID we issued frames and authenticates the peer's records from then on.
 * - A NewConnectionId's CIDs are the peer's: cid_immediate switches our records to its first one
 *   at once ("one of the new CIDs MUST be used immediately for all future records"), cid_spare
 *   keeps them, in the order given, at most MAX_SPARE_CONNECTION_IDS, for the next path change
 *   ("Implementations SHOULD use a new CID whenever sending on a new path").
 * - "Implementations which either did not negotiate the "connection_id" extension or which have
 *   negotiated receiving an empty CID MUST NOT send NewConnectionId. Implementations MUST NOT send
 *   RequestConnectionId when sending an empty Connection ID. Implementations which detect a
 *   violation of these rules MUST terminate the connection with an "unexpected_message" alert."
 */
export class ConnectionIdUpdates13 {
  /** Our CIDs the peer may write (the negotiated one first). */
  private readonly issued: Uint8Array[];
  /** The peer's CIDs we have not used yet, oldest first. */
  private readonly spares: Uint8Array[] = [];
  private requests = 0;
  /** Our RequestConnectionId waits for its NewConnectionId ("MUST NOT send a RequestConnectionId message when an existing request is still unfulfilled"). */
  private requestPending = false;

  constructor(
    private readonly config: ResolvedOptions,
    private readonly negotiated: NegotiatedParameters,
    private readonly layer: Dtls13RecordLayer,
  ) {
    const receive = negotiated.connectionId?.receive;
    this.issued = receive === undefined || receive.length === 0 ? [] : [receive];
  }

  /** Our CIDs the peer may put in its records (a router binds each to the connection). */
  get receiveConnectionIds(): readonly Uint8Array[] {
    return this.issued;
  }

  /** The peer's spare CIDs we hold. */
  get spareCount(): number {
    return this.spares.length;
  }

  /** The peer's RequestConnectionId: the body of our NewConnectionId answer. */
  onRequestConnectionId(body: Uint8Array): Uint8Array {
    const wanted = decodeRequestConnectionId(body);
    // The requester sends an empty CID when we receive none (or none was negotiated).
    if (this.issued.length === 0) throw unexpected('RequestConnectionId from a peer that sends no connection ID (RFC 9147 9)');
    this.requests++;
    if (this.requests > MAX_CONNECTION_ID_REQUESTS) {
      throw new DtlsError(AlertDescription.too_many_cids_requested, `more than ${MAX_CONNECTION_ID_REQUESTS} RequestConnectionId messages (RFC 9147 9)`);
    }
    const fresh: Uint8Array[] = [];
    const length = this.issued[0]?.length ?? 0;
    for (let attempts = 0; fresh.length < wanted && this.issued.length < MAX_ISSUED_CONNECTION_IDS && attempts < 4 * wanted; attempts++) {
      const cid = newConnectionId(this.config);
      // One length for all (the receiver frames records with it, RFC 9147 9), never one in use.
      if (cid === undefined || cid.length !== length || this.issued.some((c) => bytesEqual(c, cid))) continue;
      this.issued.push(cid);
      fresh.push(cid);
    }
    this.layer.setReceiveConnectionIds(this.issued);
    return encodeNewConnectionId({ cids: fresh, usage: ConnectionIdUsage.cid_spare });
  }

  /** The peer's NewConnectionId. */
  onNewConnectionId(body: Uint8Array): void {
    const m = decodeNewConnectionId(body);
    const send = this.negotiated.connectionId?.send;
    // The sender receives an empty CID (or none was negotiated): it may not send this.
    if (send === undefined || send.length === 0) throw unexpected('NewConnectionId from a peer that receives no connection ID (RFC 9147 9)');
    this.requestPending = false;
    const [first, ...rest] = m.cids;
    if (m.usage === ConnectionIdUsage.cid_immediate && first !== undefined) {
      this.use(first);
      this.keep(rest);
      return;
    }
    this.keep(m.cids);
  }

  private keep(cids: readonly Uint8Array[]): void {
    for (const cid of cids) {
      if (this.spares.length >= MAX_SPARE_CONNECTION_IDS) return;
      if (this.spares.some((c) => bytesEqual(c, cid))) continue;
      this.spares.push(cid.slice());
    }
  }

  private use(cid: Uint8Array): void {
    const current = this.negotiated.connectionId;
    if (current === undefined) return;
    this.negotiated.connectionId = { receive: current.receive, send: cid.slice() };
    this.layer.setWriteConnectionId(cid);
  }

  /** Switches our records to the peer's next spare CID (a new path); false when none is left. */
  useNextConnectionId(): boolean {
    const next = this.spares.shift();
    if (next === undefined) return false;
    this.use(next);
    return true;
  }

  /**
   * The body of a RequestConnectionId for `count` CIDs of the peer's, or undefined when we may not
   * send one now: we write no CID, or an earlier request is unanswered.
   */
  requestConnectionIds(count: number): Uint8Array | undefined {
    const send = this.negotiated.connectionId?.send;
    if (send === undefined || send.length === 0 || this.requestPending) return undefined;
    const body = encodeRequestConnectionId(count);
    this.requestPending = true;
    return body;
  }
}
