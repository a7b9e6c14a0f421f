import { AlertDescription } from '../../alert.js';
import type { LabelledHkdf } from '../../crypto/hkdf-label.js';
import { nextApplicationTrafficSecret } from '../../crypto/traffic-keys-13.js';
import { DtlsError } from '../../errors.js';
import { ACK_CONTENT_TYPE, decodeAck, encodeAck, type RecordNumber } from '../../record/ack.js';
import { dtls13ReadRecords } from '../../record/dtls13-record-mode.js';
import type { ReadRecord } from '../../record/record-layer.js';
import type { Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';
import type { HandshakeMessage } from '../common/handshake-engine.js';
import { HandshakeType } from '../handshake-type.js';
import { KeyUpdateRequest, decodeKeyUpdate, encodeKeyUpdate } from '../messages/key-update.js';
import { onNewSessionTicket13 } from './client-ticket-ack-13.js';
import type { ClientContext, ClientState } from '../dtls12/client/client-state.js';
import { epochKeysFrom } from './client-handshake-secrets.js';

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
 * the session of getSession() (client-ticket-ack-13.ts); a KeyUpdate (RFC 9147 8) is acknowledged, moves the server's records
 * to the next read epoch, and when it asks for it we send our own, switching our write epoch once
 * the server acknowledges it ("the sender MUST NOT send records with the new keys until the
 * KeyUpdate has been acknowledged"); anything else is unexpected.
 */
export class Dtls13ClientEstablished implements ClientState {
  readonly name = 'established';

  constructor(
    private readonly secrets: ApplicationSecrets13,
    /** Our KeyUpdate waiting for its ACK: the record that carried it. */
    private readonly pending: RecordNumber | undefined = undefined,
  ) {}

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType === HandshakeType.new_session_ticket) {
      onNewSessionTicket13(m, this.secrets, cx);
      return this;
    }
    if (m.msgType !== HandshakeType.key_update) throw cx.unexpected(m);
    const request = decodeKeyUpdate(m.body);
    const layer = cx.records.dtls13Records;
    if (layer === undefined || m.sources.length > 0) throw new DtlsError(AlertDescription.unexpected_message, 'a KeyUpdate must come under the application keys (RFC 9147 8)');
    // RFC 9147 8: "the receiver MUST acknowledge" it; the ACK names the record that carried it.
    const received = cx.lastRecordNumber;
    if (received !== undefined) cx.sendRecord(ACK_CONTENT_TYPE, encodeAck([received]));
    const server = nextApplicationTrafficSecret(this.secrets.kdf, this.secrets.server);
    cx.deliver(dtls13ReadRecords(layer.setReadKeys(layer.readEpoch + 1, epochKeysFrom(this.secrets, server))));
    const secrets = { ...this.secrets, server };
    // RFC 8446 4.6.3: update_requested is answered with our own KeyUpdate (update_not_requested), once.
    if (request !== KeyUpdateRequest.update_requested || this.pending !== undefined) return new Dtls13ClientEstablished(secrets, this.pending);
    const epoch = layer.writeEpoch;
    const sent = { epoch, sequenceNumber: layer.nextWriteSequence(epoch) };
    cx.sendFlight([cx.message(HandshakeType.key_update, encodeKeyUpdate(KeyUpdateRequest.update_not_requested))], true);
    return new Dtls13ClientEstablished(secrets, sent);
  }

  onAck(record: ReadRecord, cx: ClientContext): ClientState {
    const pending = this.pending;
    if (pending === undefined) return this;
    const acked = decodeAck(record.payload).some((n) => n.epoch === pending.epoch && n.sequenceNumber === pending.sequenceNumber);
    const layer = cx.records.dtls13Records;
    if (!acked || layer === undefined) return this;
    const client = nextApplicationTrafficSecret(this.secrets.kdf, this.secrets.client);
    layer.setWriteKeys(layer.writeEpoch + 1, epochKeysFrom(this.secrets, client));
    return new Dtls13ClientEstablished({ ...this.secrets, client });
  }
}
