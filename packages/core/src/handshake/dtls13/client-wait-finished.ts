import { dtls13ReadRecords } from '../../record/dtls13-record-mode.js';
import { AlertDescription } from '../../alert.js';
import { checkFinished13, finishedVerifyData13 } from '../../crypto/finished-13.js';
import { clientApplicationTrafficSecret, exporterMasterSecret, masterSecret, resumptionMasterSecret, serverApplicationTrafficSecret } from '../../crypto/key-schedule-13.js';
import { DtlsError } from '../../errors.js';
import type { FlightMessage } from '../common/flight.js';
import type { HandshakeMessage } from '../common/handshake-engine.js';
import { HandshakeType } from '../handshake-type.js';
import { encodeFinished13 } from '../messages/finished-13.js';
import { idle, type ClientContext, type ClientState } from '../dtls12/client/client-state.js';
import { type Dtls13ClientSecrets, epochKeysFrom } from './client-handshake-secrets.js';
import { clientCertificateOutcome13 } from './client-alert-hints-13.js';
import { Dtls13ClientEstablished } from './client-established.js';

/**
 * What our last flight carries before its Finished when the server asked for a certificate
 * (RFC 8446 4.4.2, 4.4.3): the messages, made once the server's Finished is in.
 */
export type ClientAuthentication13 = (cx: ClientContext, secrets: Dtls13ClientSecrets) => FlightMessage[] | Promise<FlightMessage[]>;

/**
 * The server's Finished (RFC 8446 4.4.4) ends its flight; then the application secrets (7.1), our
 * [Certificate, CertificateVerify,] Finished in epoch 2, and epoch 3 both ways (RFC 9147 6.1).
 */
export class WaitServerFinished13 implements ClientState {
  readonly name = 'wait_finished';

  constructor(
    private readonly secrets: Dtls13ClientSecrets,
    private readonly clientAuthentication: ClientAuthentication13 | undefined,
  ) {}

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType !== HandshakeType.finished) throw cx.unexpected(m);
    // The engine takes new messages only from the current read epoch (2); nothing of it in the clear.
    if (m.sources.length > 0) throw new DtlsError(AlertDescription.unexpected_message, 'a DTLS 1.3 Finished must come under the handshake keys');
    const { kdf, transcript, suite } = this.secrets;
    const provider = kdf.provider;
    checkFinished13(kdf, this.secrets.serverHandshakeTraffic, transcript.hash(provider, suite.hash), m.body, 'server');
    transcript.add(m.msgType, m.body);
    const serverFinishedHash = transcript.hash(provider, suite.hash);
    const master = masterSecret(kdf, this.secrets.handshakeSecret);
    const clientTraffic = clientApplicationTrafficSecret(kdf, master, serverFinishedHash);
    const serverTraffic = serverApplicationTrafficSecret(kdf, master, serverFinishedHash);
    // For a key log (tls13-key-log.ts): every secret of RFC 8446 7.1 that protects or exports.
    cx.negotiated.tls13KeyLog = {
      clientHandshakeTraffic: this.secrets.clientHandshakeTraffic,
      serverHandshakeTraffic: this.secrets.serverHandshakeTraffic,
      clientApplicationTraffic0: clientTraffic,
      serverApplicationTraffic0: serverTraffic,
      exporterMaster: exporterMasterSecret(kdf, master, serverFinishedHash),
    };
    const authentication = this.clientAuthentication?.(cx, this.secrets) ?? [];
    // Our CertificateVerify's signature may come later (an asynchronous signer): the handshake waits.
    return cx.wait(idle('wait_signature'))(authentication, 'signing our CertificateVerify', (flight) => this.lastFlight(cx, flight, master, clientTraffic, serverTraffic));
  }

  /** Our Finished after [Certificate, CertificateVerify], then epoch 3 both ways (RFC 9147 6.1). */
  private lastFlight(cx: ClientContext, flight: FlightMessage[], master: Uint8Array, clientTraffic: Uint8Array, serverTraffic: Uint8Array): ClientState {
    const { kdf, transcript, suite } = this.secrets;
    const provider = kdf.provider;
    const verifyData = finishedVerifyData13(kdf, this.secrets.clientHandshakeTraffic, transcript.hash(provider, suite.hash));
    const body = encodeFinished13(verifyData);
    transcript.add(HandshakeType.finished, body);
    flight.push(cx.message(HandshakeType.finished, body));
    // RFC 9147 5.8.1 / 4.2.4 of 6347: our last flight, kept to answer the server's retransmissions.
    cx.sendFlight(flight, true);
    // What a fatal alert to this flight means (the server's certificate_required, RFC 8446 4.4.2.4).
    const certificate = clientCertificateOutcome13(this.clientAuthentication !== undefined, flight, cx.config.x509?.signer !== undefined);
    const layer = cx.records.dtls13Records;
    if (layer === undefined) throw new DtlsError(AlertDescription.internal_error, 'no DTLS 1.3 record layer');
    layer.setWriteKeys(3, epochKeysFrom(this.secrets, clientTraffic));
    const released = layer.setReadKeys(3, epochKeysFrom(this.secrets, serverTraffic));
    cx.finish(true);
    cx.deliver(dtls13ReadRecords(released));
    // RFC 8446 7.1: resumption_master_secret hashes the transcript through our Finished.
    const resumption = resumptionMasterSecret(kdf, master, transcript.hash(provider, suite.hash));
    return new Dtls13ClientEstablished({ kdf, suite, client: clientTraffic, server: serverTraffic, resumptionMasterSecret: resumption }, false, { certificate });
  }
}
