import { AlertDescription } from '../../alert.js';
import { trafficKeys13 } from '../../crypto/traffic-keys-13.js';
import type { VerifiedClientHello } from '../../endpoint/cookie-check.js';
import { asDtlsError, DtlsError, HandshakeTimeoutError, IllegalParameterError } from '../../errors.js';
import type { ResolvedServerOptions } from '../../options.js';
import { ACK_CONTENT_TYPE, decodeAck, encodeAck } from '../../record/ack.js';
import { ContentType } from '../../record/content-type.js';
import { dtls13EpochKeys } from '../../record/dtls13-epoch-keys.js';
import type { Dtls13RecordLayer } from '../../record/dtls13-record-layer.js';
import type { ReadRecord } from '../../record/record-layer.js';
import { AckScheduler, ackEntriesFitting } from '../common/ack-scheduler.js';
import { AckedFlightTransmitter } from '../common/acked-flight-transmitter.js';
import { NO_CONNECTION_IDS, type Handshake } from '../common/handshake.js';
import type { FinishedHandshakeState } from '../common/finished-handshake-state.js';
import type { HandshakeHost } from '../common/handshake-engine.js';
import { emptyNegotiation, packNegotiatedBytes, type NegotiatedParameters } from '../common/negotiated-parameters.js';
import { HandshakeReassembler } from '../common/reassembler.js';
import { decodeHandshakeFragments } from '../handshake-header.js';
import { HandshakeType } from '../handshake-type.js';
import { readClientHello2, type ClientHello2 } from './server-client-hello-2.js';
import { dtls13PolicyGroups } from '../../endpoint/dtls13-default-policy.js';
import { completeServerFlight13, draftServerFlight13, type ServerAuth13, type ServerFlightDraft13 } from './server-flight-13.js';
import { checkExternalPskBinder, pskOffer13, type PskOffer13 } from './server-psk-13.js';
import type { PskServerCredentials } from '../../key-exchange/psk-credentials.js';
import type { ServerCredentials } from '../../config.js';
import { askSni, sniCredentials } from '../common/sni-answer.js';
import { acceptTicket13, clientServername13, resumedFromTicket13 } from './server-resumption-13.js';
import { newSessionTicket13 } from './server-session-ticket-13.js';
import { ServerWaitFinished13 } from './server-wait-finished-13.js';
import { ApplicationTraffic13 } from './application-traffic-13.js';
import { decodeKeyUpdate, encodeKeyUpdate, KeyUpdateRequest } from '../messages/key-update.js';
import type { Dtls13ReadRecord } from '../../record/dtls13-record-layer.js';
import { serverEncryptedExtensions13 } from './server-encrypted-extensions.js';
import { answerConnectionId13 } from './connection-id-13.js';
import { ConnectionIdUpdates13 } from './connection-id-updates-13.js';
import { dtls13KeyUpdateRecordOptions } from '../../record/dtls13-key-update-options.js';
import { readClientCertificate13, readClientCertificateVerify13, requestedClientSchemes13 } from './server-client-auth-13.js';
import type { LabelledHkdf } from '../../crypto/hkdf-label.js';
import type { Transcript13 } from '../../crypto/transcript-13.js';
import type { CertificateVerifier } from '../../key-exchange/certificate-credentials.js';

/** External PSK identities looked up at most per ClientHello (each lookup may be a database query). */
const MAX_EXTERNAL_PSK_LOOKUPS = 4;

/** RFC 9147 6.1: epoch 2 protects the handshake messages, epoch 3 the first application data. */
const HANDSHAKE_EPOCH = 2;
const APPLICATION_EPOCH = 3;
/** RFC 793 3.3's MSL, two minutes: RFC 9147 4.2.1's bound on keeping an older epoch's keys. */
const MAX_SEGMENT_LIFETIME_MS = 120_000;

type State13 =
  | { readonly name: 'wait_client_hello' }
  /** A PSK lookup or a signature is pending (the credentials may answer asynchronously). */
  | { readonly name: 'wait_sni' | 'wait_psk' | 'wait_signature' }
  /** RFC 8446 4.4.2: our CertificateRequest went out; the client's Certificate comes first. */
  | { readonly name: 'wait_client_certificate'; readonly auth: ClientAuth13; readonly finished: FinishedSecrets13 }
  /** RFC 8446 4.4.3: the client's CertificateVerify, by the key of `leaf`. */
  | { readonly name: 'wait_client_certificate_verify'; readonly auth: ClientAuth13; readonly leaf: Uint8Array; readonly finished: FinishedSecrets13 }
  /** The verifier is checking the client's chain or signature (it may answer asynchronously). */
  | { readonly name: 'wait_verification' }
  | { readonly name: 'wait_finished'; readonly step: ServerWaitFinished13 }
  | { readonly name: 'established' }
  | { readonly name: 'failed' };

/**
 * What checking the client's Finished needs besides the transcript, kept while its Certificate and
 * CertificateVerify come first (RFC 8446 4.4.4: its Finished hashes them too): the
 * ServerWaitFinished13 is made once they are in the transcript.
 */
interface FinishedSecrets13 {
  readonly clientHandshakeSecret: Uint8Array;
  readonly master: Uint8Array;
}

/** What checking the client's certificate needs (RFC 8446 4.3.2, 4.4.2, 4.4.3). */
interface ClientAuth13 {
  readonly kdf: LabelledHkdf;
  readonly transcript: Transcript13;
  readonly verifier: CertificateVerifier;
  readonly rejectUnauthorized: boolean;
  readonly schemes: readonly number[];
}

/** One of our post-handshake messages waiting for its turn (RFC 9147 5.8.4). */
interface PostHandshakeMessage {
  readonly msgType: HandshakeType;
  readonly body: Uint8Array;
}

/** No post-handshake message waiting: shared by every idle connection. */
const NO_POST_HANDSHAKE: readonly PostHandshakeMessage[] = [];

/** States in which the client's flight (under the handshake keys) is read. */
const CLIENT_FLIGHT_STATES: ReadonlySet<string> = new Set(['wait_client_certificate', 'wait_client_certificate_verify', 'wait_verification', 'wait_finished']);
/** States waiting for an asynchronous answer: queued messages wait for it. */
const PAUSED_STATES: ReadonlySet<string> = new Set(['wait_sni', 'wait_psk', 'wait_signature', 'wait_verification']);

/**
 * The server's side of the DTLS 1.3 handshake (RFC 9147 5, figure 6) after the stateless cookie
 * exchange (the endpoint sent the HelloRetryRequest): the second ClientHello is read against the
 * cookie's state, the whole server flight goes out (ServerHello in epoch 0, the rest under the
 * handshake keys of epoch 2) through the ACK-driven transmitter of RFC 9147 5.8, and the client's
 * Finished, verified, moves both directions to epoch 3 and is acknowledged at once (7.1: the
 * client's last flight gets an explicit ACK). The steps themselves are the pure functions of
 * server-client-hello-2.ts, server-psk-13.ts, server-flight-13.ts and server-wait-finished-13.ts.
 */
export class ServerHandshake13 implements Handshake {
  readonly role = 'server';
  readonly negotiated: NegotiatedParameters;
  /** This handshake answered a key_share (psk_dhe_ke or a certificate): the next one most likely will too. */
  private answeredKeyShare = false;
  private current: State13 = { name: 'wait_client_hello' };
  private readonly reassembler: HandshakeReassembler;
  private readonly acks = new AckScheduler();
  private readonly transmitter: AckedFlightTransmitter;
  private records13: Dtls13RecordLayer | undefined;
  private hello: VerifiedClientHello | undefined;
  private nextSendSeq: number;
  private deadline: number;
  /** Set when an asynchronous credential answer arrived: resume() runs it. */
  private continuation: (() => void) | undefined;

  constructor(
    private readonly host: HandshakeHost,
    private readonly config: ResolvedServerOptions,
    now: number,
    hello: VerifiedClientHello,
  ) {
    this.hello = hello;
    this.reassembler = new HandshakeReassembler({ maxMessageLength: config.maxHandshakeMessageLength });
    // RFC 9147 5.2: the HelloRetryRequest took message_seq 0, the same as ClientHello1's; the
    // second ClientHello has the next one, and so does our ServerHello.
    this.reassembler.reset(hello.messageSeq);
    this.nextSendSeq = hello.messageSeq;
    this.deadline = now + config.handshakeTimeoutMs;
    this.negotiated = emptyNegotiation(new Uint8Array(0), undefined);
    this.transmitter = new AckedFlightTransmitter(config, {
      transmit: (datagrams) => host.transmit(datagrams),
      sealer: {
        seal: (type, payload, epoch) => {
          const layer = this.layer();
          const number = { epoch, sequenceNumber: layer.nextWriteSequence(epoch) };
          return { record: layer.seal(type, payload, epoch), number };
        },
        recordOverhead: (epoch) => this.layer().recordOverhead(epoch),
      },
    });
  }

  get state(): string {
    return this.current.name;
  }

  /**
   * Our flight is out and the client's is awaited: spare time to make the key pair of the next
   * handshake's key_share answer (KeyShareReserve), as the DTLS 1.2 server does for its
   * ServerKeyExchange. Only after a handshake that needed one: a server whose clients run psk_ke
   * would make pairs nobody takes.
   */
  get keyShareAhead(): boolean {
    const name = this.current.name;
    return this.answeredKeyShare && (name === 'wait_finished' || name === 'wait_client_certificate');
  }

  get retransmissions(): number {
    return this.transmitter.retransmissions;
  }

  /** See Handshake.retransmitted. */
  get retransmitted(): { readonly bytes: number; readonly datagrams: number } {
    return { bytes: this.transmitter.retransmittedBytes, datagrams: this.transmitter.retransmittedDatagrams };
  }

  /** See Handshake.ackRecords. */
  get ackRecords(): { readonly sent: number; readonly received: number } {
    return { sent: this.acksSent, received: this.acksReceived };
  }

  private acksSent = 0;
  private acksReceived = 0;

  private layer(): Dtls13RecordLayer {
    const layer = this.records13;
    if (layer === undefined) throw new DtlsError(AlertDescription.internal_error, 'the DTLS 1.3 record layer is not in force yet');
    return layer;
  }

  start(now: number): void {
    const hello = this.hello;
    if (hello === undefined) return;
    this.hello = undefined;
    if (this.config.maxVersion !== 'DTLSv1.3') {
      // The cookie exchange (RFC 9147 5.1) ran elsewhere with other options: a blocking server's
      // main thread answered 1.3 while this worker's options allow 1.2 only (a credentials module
      // that returns what our 1.3 lacks, such as raw public keys). Said plainly, not run half-way.
      throw new DtlsError(
        AlertDescription.internal_error,
        "the cookie exchange chose DTLS 1.3, but this connection's options allow DTLS 1.2 only: give the server maxVersion 'DTLSv1.2' where its cookies are checked too",
      );
    }
    this.deadline = now + this.config.handshakeTimeoutMs;
    // RFC 9147 4: from here on every record is DTLS 1.3's; epoch 0 goes on counting.
    this.records13 = this.host.records.enterDtls13({ chacha20MaskCounter: this.config.chacha20MaskCounter, ...dtls13KeyUpdateRecordOptions(this.config.keyUpdate) });
    this.reassembler.add({ msgType: HandshakeType.client_hello, length: hello.body.length, messageSeq: hello.messageSeq, fragmentOffset: 0, body: hello.body });
    const retry = hello.dtls13;
    if (retry === undefined) throw new DtlsError(AlertDescription.internal_error, 'a DTLS 1.3 handshake needs the HelloRetryRequest cookie state');
    const message = this.reassembler.poll();
    if (message === undefined) return;
    this.onClientHello2(readClientHello2(this.config.provider, message.body, retry, dtls13PolicyGroups(this.config.groups13)));
  }

  beginDatagram(): void {
    this.transmitter.beginDatagram();
  }

  onRecord(record: ReadRecord): void {
    const now = this.host.now;
    // Any record the client's application keys authenticate (an ACK of our NewSessionTicket, a
    // KeyUpdate, an alert): it is past its final flight, and it sends under epoch 3 only once it
    // has a sign that we have its Finished (our ACK, or a post-handshake message, RFC 9147 7.3).
    if (record.authenticated && record.epoch >= APPLICATION_EPOCH) this.forgetHandshakeReadKeys();
    if (record.type === ContentType.alert) {
      this.host.onAlert(record);
      return;
    }
    if (record.type === ACK_CONTENT_TYPE) {
      // RFC 9147 7: an ACK is only ever protected; one in epoch 0 is dropped.
      if (!record.authenticated) return;
      let numbers;
      try {
        numbers = decodeAck(record.payload);
      } catch {
        return; // A malformed ACK is dropped like any bad record (RFC 9147 4.5.2).
      }
      this.acksReceived++;
      if (this.transmitter.onAck(numbers, now) === 'complete' && this.postInFlight !== undefined) {
        const done = this.postInFlight;
        this.postInFlight = undefined;
        if (done === HandshakeType.key_update) {
          // RFC 9147 8: our KeyUpdate is acknowledged: only now do our records use the new keys.
          this.keyUpdateSent = false;
          const traffic = this.traffic;
          if (traffic !== undefined) {
            const next = traffic.update('server');
            this.layer().setWriteKeys(next.epoch, next.keys);
          }
        }
        this.sendNextPostHandshake();
      }
      return;
    }
    if (record.type !== ContentType.handshake) return; // RFC 9147 5: no ChangeCipherSpec in DTLS 1.3
    if (record.epoch === 0) {
      // The second ClientHello again: our flight (or part of it) was lost.
      if (this.current.name === 'wait_finished') this.transmitter.onPeerRetransmission(now);
      return;
    }
    if (this.current.name === 'established' && record.epoch >= APPLICATION_EPOCH && record.authenticated) {
      // RFC 9147 8: post-handshake messages (a KeyUpdate) under the application keys.
      let post;
      try {
        post = decodeHandshakeFragments(record.payload);
      } catch {
        throw new DtlsError(AlertDescription.decode_error, 'malformed handshake record under the application keys');
      }
      for (const f of post) this.reassembler.add(f);
      this.acks.received({ epoch: record.epoch, sequenceNumber: record.sequenceNumber }, now, this.transmitter.timeoutMs);
      return;
    }
    if (record.epoch !== HANDSHAKE_EPOCH) return;
    if (this.current.name === 'established') {
      // The client's Finished again: our ACK was lost (RFC 9147 7.1: acknowledge again).
      this.acks.received({ epoch: record.epoch, sequenceNumber: record.sequenceNumber }, now, this.transmitter.timeoutMs);
      this.acks.disrupted(now);
      this.sendAckIfDue(now);
      return;
    }
    if (!CLIENT_FLIGHT_STATES.has(this.current.name)) return;
    let fragments;
    try {
      fragments = decodeHandshakeFragments(record.payload);
    } catch {
      throw new DtlsError(AlertDescription.decode_error, 'malformed handshake record under the handshake keys');
    }
    // RFC 9147 7.3: any record of the client's next flight acknowledges ours as a whole.
    this.transmitter.acknowledgeImplicitly();
    for (const f of fragments) this.reassembler.add(f);
    this.acks.received({ epoch: record.epoch, sequenceNumber: record.sequenceNumber }, now, this.transmitter.timeoutMs);
  }

  processMessages(): void {
    while (!PAUSED_STATES.has(this.current.name)) {
      const m = this.reassembler.poll();
      if (m === undefined) break;
      this.handleClientMessage(m.msgType, m.body);
    }
    this.sendAckIfDue(this.host.now);
  }

  /** One message of the client's flight: each state takes exactly one type (RFC 8446 4.4), anything else is unexpected_message. */
  private handleClientMessage(msgType: number, body: Uint8Array): void {
    const state = this.current;
    const unexpected = (): DtlsError => new DtlsError(AlertDescription.unexpected_message, `${HandshakeType[msgType] ?? `message type ${msgType}`} in state ${state.name}`);
    if (state.name === 'wait_client_certificate') {
      if (msgType !== HandshakeType.certificate) throw unexpected();
      const { auth, finished } = state;
      const chain = readClientCertificate13(auth.transcript, body, auth.rejectUnauthorized);
      const leaf = chain[0];
      if (leaf === undefined) {
        // RFC 8446 4.4.2.4: no certificate, and we go on without client authentication.
        this.negotiated.authorizationError = new DtlsError(AlertDescription.certificate_required, 'the client sent no certificate');
        this.current = { name: 'wait_finished', step: new ServerWaitFinished13(auth.kdf, auth.transcript, finished.clientHandshakeSecret, finished.master) };
        return;
      }
      this.negotiated.peerCertificates = chain;
      this.awaitValue(auth.verifier.verifyChain(chain, { peerRole: 'client', servername: undefined }), 'wait_verification', 'client certificate verification', (result) => {
        this.negotiated.authorized = result?.authorized ?? true;
        this.negotiated.authorizationError = result?.authorizationError;
        this.current = { name: 'wait_client_certificate_verify', auth, leaf, finished };
      });
      return;
    }
    if (state.name === 'wait_client_certificate_verify') {
      if (msgType !== HandshakeType.certificate_verify) throw unexpected();
      const { auth, leaf, finished } = state;
      const cv = readClientCertificateVerify13(auth.kdf, auth.transcript, body, auth.schemes);
      this.awaitValue(auth.verifier.verifySignature(leaf, cv.scheme, cv.content, cv.signature), 'wait_verification', 'client signature verification', (valid) => {
        // RFC 8446 4.4.3: "If the verification fails, the receiver MUST terminate the handshake with a "decrypt_error" alert."
        if (!valid) throw new DtlsError(AlertDescription.decrypt_error, 'the client CertificateVerify signature does not verify');
        this.current = { name: 'wait_finished', step: new ServerWaitFinished13(auth.kdf, auth.transcript, finished.clientHandshakeSecret, finished.master) };
      });
      return;
    }
    if (state.name === 'established' && msgType === HandshakeType.key_update) {
      this.onKeyUpdate(decodeKeyUpdate(body));
      return;
    }
    if (state.name === 'established' && (msgType === HandshakeType.new_connection_id || msgType === HandshakeType.request_connection_id)) {
      this.onConnectionIdMessage(msgType, body);
      return;
    }
    if (state.name !== 'wait_finished') throw unexpected();
    const done = state.step.handle(msgType, body);
    this.onClientFinished();
    this.sendSessionTicket(done.resumptionMasterSecret);
  }

  /**
   * RFC 9147 8 / RFC 8446 4.6.3: the client's KeyUpdate. Its next records use its next secret (read
   * epoch + 1); the KeyUpdate is acknowledged at once ("KeyUpdates MUST be acknowledged"). With
   * update_requested we send ours (update_not_requested) and switch our write keys when it is
   * acknowledged; one of ours still unacknowledged answers the request already.
   */
  private onKeyUpdate(request: KeyUpdateRequest): void {
    const traffic = this.traffic;
    if (traffic === undefined) throw new DtlsError(AlertDescription.internal_error, 'a KeyUpdate before the application keys');
    const next = traffic.update('client');
    const held = this.layer().setReadKeys(next.epoch, next.keys);
    // RFC 9147 4.2.1 / 8: the previous epoch stays readable for records it reordered; older ones
    // go (else every KeyUpdate would keep one more epoch for the connection's life).
    this.layer().forgetReadEpochsBefore(next.epoch - 1);
    this.acks.flightComplete(this.host.now, true);
    this.sendAckIfDue(this.host.now);
    if (request === KeyUpdateRequest.update_requested) this.updateKeys();
    this.deliverHeld(held);
  }

  /**
   * Handshake.updateKeys: our KeyUpdate (update_not_requested), once at a time: asked for by the
   * client, or because our write key nears its AEAD limit (RFC 9147 4.5.3). Our records switch to
   * the next key when it is acknowledged (onRecord).
   */
  updateKeys(): void {
    if (this.current.name !== 'established' || this.keyUpdateSent || this.traffic === undefined) return;
    this.keyUpdateSent = true;
    // RFC 9147 4.5.3: too many of the client's records failed authentication: its key goes too.
    const layer = this.layer();
    const requested = layer.peerKeyUpdateNeeded;
    if (requested) layer.peerKeyUpdateRequested();
    this.sendPostHandshake(HandshakeType.key_update, encodeKeyUpdate(requested ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested));
  }

  /** Post-handshake messages of ours waiting for the one in flight to be acknowledged (each is its own flight, RFC 9147 5.8.4). */
  private postQueue: readonly PostHandshakeMessage[] = NO_POST_HANDSHAKE;
  /** The type of our post-handshake message in flight (not acknowledged yet). */
  private postInFlight: HandshakeType | undefined;

  private sendPostHandshake(msgType: HandshakeType, body: Uint8Array): void {
    // Replaced, not pushed to: an array grown by push() keeps room for sixteen after it empties.
    this.postQueue = this.postQueue.concat([{ msgType, body }]);
    this.sendNextPostHandshake();
  }

  /** One post-handshake flight at a time: a new one would take the place of the unacknowledged one in the transmitter. */
  private sendNextPostHandshake(): void {
    if (this.postInFlight !== undefined) return;
    const [next, ...rest] = this.postQueue;
    if (next === undefined) return;
    this.postQueue = rest.length === 0 ? NO_POST_HANDSHAKE : rest;
    this.postInFlight = next.msgType;
    const epoch = this.layer().writeEpoch;
    this.transmitter.send([{ kind: 'handshake', msgType: next.msgType, messageSeq: this.nextSendSeq++, body: next.body, epoch }], true, this.host.now);
  }

  /** RFC 9147 9 after the handshake (connection-id-updates-13.ts); undefined when no CIDs were negotiated. */
  private cids: ConnectionIdUpdates13 | undefined;

  private connectionIdUpdates(): ConnectionIdUpdates13 | undefined {
    if (this.cids === undefined && this.current.name === 'established' && this.negotiated.connectionId !== undefined) {
      this.cids = new ConnectionIdUpdates13(this.config, this.negotiated, this.layer());
    }
    return this.cids;
  }

  /** The client's NewConnectionId or RequestConnectionId: acknowledged at once (RFC 9147 7), a request answered. */
  private onConnectionIdMessage(msgType: HandshakeType, body: Uint8Array): void {
    const cids = this.connectionIdUpdates();
    if (cids === undefined) throw new DtlsError(AlertDescription.unexpected_message, `${HandshakeType[msgType] ?? msgType} without negotiated connection IDs (RFC 9147 9)`);
    if (msgType === HandshakeType.new_connection_id) cids.onNewConnectionId(body);
    const answer = msgType === HandshakeType.request_connection_id ? cids.onRequestConnectionId(body) : undefined;
    this.acks.flightComplete(this.host.now, true);
    this.sendAckIfDue(this.host.now);
    if (answer !== undefined) this.sendPostHandshake(HandshakeType.new_connection_id, answer);
  }

  /** Handshake.requestConnectionIds (RFC 9147 9). */
  requestConnectionIds(count: number): boolean {
    const body = this.connectionIdUpdates()?.requestConnectionIds(count);
    if (body === undefined) return false;
    this.sendPostHandshake(HandshakeType.request_connection_id, body);
    return true;
  }

  /** Handshake.useNextConnectionId (RFC 9147 9). */
  useNextConnectionId(): boolean {
    return this.connectionIdUpdates()?.useNextConnectionId() ?? false;
  }

  /** Handshake.receiveConnectionIds. */
  receiveConnectionIds(): readonly Uint8Array[] {
    return this.cids?.receiveConnectionIds ?? NO_CONNECTION_IDS;
  }

  private deliverHeld(held: readonly Dtls13ReadRecord[]): void {
    if (held.length > 0) {
      this.host.deliver(held.map((r) => ({ type: r.type, epoch: r.epoch, sequenceNumber: r.sequenceNumber, payload: r.content, authenticated: r.authenticated })));
    }
  }

  resume(): void {
    const next = this.continuation;
    if (next === undefined) return;
    this.continuation = undefined;
    next();
    // Messages that arrived while we waited.
    this.processMessages();
  }

  nextTimeout(): number | undefined {
    // An asynchronous credential answered: the connection calls in at once (handleTimeout resumes).
    if (this.continuation !== undefined) return this.host.now;
    if (this.current.name === 'failed') return undefined;
    const times = [this.transmitter.deadline, this.acks.deadline, this.current.name === 'established' ? this.handshakeReadUntil : this.deadline].filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  handleTimeout(now: number): void {
    if (this.current.name !== 'established' && now >= this.deadline) {
      throw new HandshakeTimeoutError(this.config.handshakeTimeoutMs, `DTLS 1.3 server in state ${this.current.name}`);
    }
    this.transmitter.onTimer(now);
    this.sendAckIfDue(now);
    if (this.handshakeReadUntil !== undefined && now >= this.handshakeReadUntil) this.forgetHandshakeReadKeys();
  }

  /**
   * Handshake.exportFinished: the hand-over of an established connection to another thread
   * (DtlsConnection.exportEstablished) carries DTLS 1.2 state only; a DTLS 1.3 connection stays
   * where it was made (TypeError).
   */
  exportFinished(): FinishedHandshakeState {
    throw new TypeError('a DTLS 1.3 server connection cannot be handed over (DTLS 1.2 only)');
  }

  peerConfirmed(): void {
    // The client's application data proves it has our ACK: nothing is kept for retransmission,
    // and its Finished will not come again, so the handshake keys of epoch 2 go (RFC 9147 4.2.1:
    // older epochs SHOULD be discarded eventually).
    this.acks.nextFlight();
    this.forgetHandshakeReadKeys();
  }

  /**
   * Until when epoch 2 is still read once established (see onClientFinished); undefined once it
   * is gone. A timer of the engine's: idle connections lose these keys without any traffic.
   */
  private handshakeReadUntil: number | undefined;

  /** Epoch 2's read keys and replay window go (RFC 9147 4.2.1: older epochs SHOULD be discarded). */
  private forgetHandshakeReadKeys(): void {
    if (this.current.name !== 'established' || this.handshakeReadUntil === undefined) return;
    this.handshakeReadUntil = undefined;
    this.layer().forgetReadEpochsBefore(APPLICATION_EPOCH);
  }

  /** Waits for a credential value that may be a Promise, then goes on (as the DTLS 1.2 engine's awaitValue). */
  private awaitValue<T>(value: T | Promise<T>, state: 'wait_sni' | 'wait_psk' | 'wait_signature' | 'wait_verification', what: string, then: (v: T) => void): void {
    if (!(value instanceof Promise)) {
      then(value);
      return;
    }
    this.current = { name: state };
    value.then(
      (v) => {
        this.continuation = () => then(v);
        this.host.wake();
      },
      (err: unknown) => {
        this.continuation = () => {
          throw asDtlsError(err, what);
        };
        this.host.wake();
      },
    );
  }

  private onClientHello2(ch: ClientHello2): void {
    this.negotiated.clientRandom = ch.hello.random;
    const servername = clientServername13(ch.hello);
    const sniCallback = this.config.sniCallback;
    // node:tls asks SNICallback only when the client sent a name; its credentials replace the
    // defaults for this handshake (the PSK looked up, the certificate sent), as in DTLS 1.2.
    if (sniCallback === undefined || servername === undefined) {
      this.answerClientHello2(ch, this.config);
      return;
    }
    this.awaitValue(askSni(sniCallback, servername), 'wait_sni', 'SNICallback', (answer) => {
      const chosen = sniCredentials(answer, servername, this.config.psk !== undefined || this.config.x509 !== undefined);
      this.answerClientHello2(ch, chosen === undefined ? this.config : { psk: chosen.psk, x509: chosen.x509 });
    });
  }

  /** The rest of the second ClientHello, with the credentials in force (the defaults, or SNICallback's). */
  private answerClientHello2(ch: ClientHello2, credentials: ServerCredentials): void {
    const offer = pskOffer13(ch);
    // RFC 8446 2.2: a ticket of ours among the identities resumes the session (no Certificate).
    const ticket = offer === undefined ? undefined : acceptTicket13(ch, offer, this.config, this.host.wallNow, clientServername13(ch.hello));
    if (offer !== undefined && ticket !== undefined) {
      const dhe = offer.dhe && ch.share !== undefined;
      if (!dhe && !offer.ke) throw new DtlsError(AlertDescription.handshake_failure, 'the client allows psk_dhe_ke only, without a key share');
      resumedFromTicket13(this.negotiated, ticket.state);
      this.sendFlight(ch, { type: 'psk', index: ticket.index, key: ticket.key, dhe });
      return;
    }
    const psk = credentials.psk;
    if (offer !== undefined && psk !== undefined && offer.offered.identities.length > 0) {
      this.lookupExternalPsk(ch, offer, psk, 0);
      return;
    }
    const x509 = credentials.x509;
    if (x509 === undefined) throw new DtlsError(AlertDescription.handshake_failure, 'no certificate to authenticate with, and no PSK the client offered');
    const verifier = x509.requestCert ? x509.verifier : undefined;
    const clientAuth =
      verifier === undefined
        ? undefined
        : { kdf: ch.kdf, transcript: ch.transcript, verifier, rejectUnauthorized: x509.rejectUnauthorized, schemes: requestedClientSchemes13(verifier.signatureSchemes) };
    this.sendFlight(ch, { type: 'certificate', signer: x509.signer }, clientAuth);
  }

  /**
   * RFC 8446 4.2.11: the first offered identity our PSK credentials know, looked up in order (a
   * client may offer a ticket we cannot resume before its external PSK: ours does, client-hello-
   * offer.ts), at most MAX_EXTERNAL_PSK_LOOKUPS of them; none known is unknown_psk_identity.
   * An identity longer than maxPskIdentityLength is never looked up (as in DTLS 1.2,
   * psk-lookup.ts): when no other one is known, illegal_parameter says why.
   */
  private lookupExternalPsk(ch: ClientHello2, offer: PskOffer13, psk: PskServerCredentials, index: number, overLong = false): void {
    const identity = offer.offered.identities[index];
    if (identity === undefined) throw new DtlsError(AlertDescription.unknown_psk_identity, 'the client offered a PSK identity we do not know');
    const last = index + 1 >= Math.min(offer.offered.identities.length, MAX_EXTERNAL_PSK_LOOKUPS);
    const limit = this.config.maxPskIdentityLength;
    if (identity.identity.length > limit) {
      if (!last) {
        this.lookupExternalPsk(ch, offer, psk, index + 1, true);
        return;
      }
      throw new IllegalParameterError(`the client's PSK identity of ${identity.identity.length} bytes exceeds maxPskIdentityLength (${limit})`);
    }
    this.awaitValue(psk.lookup(identity.identity), 'wait_psk', 'PSK lookup', (key) => {
      if (key === undefined) {
        if (!last) {
          this.lookupExternalPsk(ch, offer, psk, index + 1, overLong);
          return;
        }
        if (overLong) throw new IllegalParameterError(`no PSK identity the client offered is known, and one exceeds maxPskIdentityLength (${limit})`);
        throw new DtlsError(AlertDescription.unknown_psk_identity, 'the client offered a PSK identity we do not know');
      }
      const early = checkExternalPskBinder(ch, offer, index, key);
      this.negotiated.pskIdentity = identity.identity;
      // RFC 8446 4.2.9: psk_dhe_ke when the client allows it and sent a share; psk_ke otherwise.
      const dhe = offer.dhe && ch.share !== undefined;
      if (!dhe && !offer.ke) throw new DtlsError(AlertDescription.handshake_failure, 'the client allows psk_dhe_ke only, without a key share');
      this.sendFlight(ch, { type: 'psk', index, key, dhe, early });
    });
  }

  private sendFlight(ch: ClientHello2, auth: ServerAuth13, clientAuth?: ClientAuth13): void {
    const random = this.config.provider.randomBytes(32);
    this.negotiated.serverRandom = random;
    this.negotiated.tls13Suite = ch.suite;
    const ee = serverEncryptedExtensions13(this.config, ch.hello);
    this.negotiated.alpnProtocol = ee.alpnProtocol;
    this.negotiated.servername = ee.servername;
    // RFC 9147 9: connection_id answered in the ServerHello.
    const cid = answerConnectionId13(this.config, ch.hello, this.negotiated, this.layer());
    this.answeredKeyShare = auth.type === 'certificate' || auth.dhe;
    const draft = draftServerFlight13({
      ch,
      random,
      auth,
      keyShares: this.config.keyShares,
      encryptedExtensions: ee.extensions,
      ...(clientAuth === undefined ? {} : { requestCertificate: clientAuth.schemes }),
      ...(cid === undefined ? {} : { serverHelloExtensions: [cid] }),
    });
    const toSign = draft.toSign;
    if (toSign === undefined || auth.type !== 'certificate') {
      this.completeFlight(draft, undefined, undefined);
      return;
    }
    this.awaitValue(auth.signer.sign(toSign.scheme, toSign.content), 'wait_signature', 'signing the CertificateVerify', (signature) => this.completeFlight(draft, signature, clientAuth));
  }

  private completeFlight(draft: ServerFlightDraft13, signature: Uint8Array | undefined, clientAuth: ClientAuth13 | undefined): void {
    const ch = draft.inputs.ch;
    this.kdf13 = ch.kdf;
    const flight = completeServerFlight13(draft, signature);
    const layer = this.layer();
    const keys = (secret: Uint8Array): ReturnType<typeof dtls13EpochKeys> =>
      dtls13EpochKeys(this.config.provider, ch.suite.aead, trafficKeys13(ch.kdf, secret, ch.suite.keyLength, ch.suite.ivLength));
    layer.setWriteKeys(HANDSHAKE_EPOCH, keys(flight.serverHandshakeSecret));
    const held = layer.setReadKeys(HANDSHAKE_EPOCH, keys(flight.clientHandshakeSecret));
    const messages = flight.messages.map((m) => ({ kind: 'handshake' as const, msgType: m.msgType, messageSeq: this.nextSendSeq++, body: m.body, epoch: m.epoch }));
    this.current =
      clientAuth === undefined
        ? { name: 'wait_finished', step: new ServerWaitFinished13(ch.kdf, ch.transcript, flight.clientHandshakeSecret, flight.master) }
        : { name: 'wait_client_certificate', auth: clientAuth, finished: { clientHandshakeSecret: flight.clientHandshakeSecret, master: flight.master } };
    this.traffic = new ApplicationTraffic13(this.config.provider, ch.kdf, ch.suite, { client: flight.clientApplicationSecret, server: flight.serverApplicationSecret });
    // For a key log (tls13-key-log.ts): every secret of RFC 8446 7.1 that protects or exports.
    this.negotiated.tls13KeyLog = {
      clientHandshakeTraffic: flight.clientHandshakeSecret,
      serverHandshakeTraffic: flight.serverHandshakeSecret,
      clientApplicationTraffic0: flight.clientApplicationSecret,
      serverApplicationTraffic0: flight.serverApplicationSecret,
      exporterMaster: flight.exporterMasterSecret,
    };
    // Held from now on, the handshake half-open until the client's Finished: in one buffer.
    packNegotiatedBytes(this.negotiated);
    this.acks.nextFlight();
    this.transmitter.send(messages, false, this.host.now);
    if (held.length > 0) {
      this.host.deliver(held.map((r) => ({ type: r.type, epoch: r.epoch, sequenceNumber: r.sequenceNumber, payload: r.content, authenticated: r.authenticated })));
    }
  }

  /** The application traffic secrets once our flight is out (epoch 3 on, RFC 9147 6.1). */
  private traffic: ApplicationTraffic13 | undefined;
  /** Our KeyUpdate is out and not yet acknowledged (RFC 9147 8). */
  private keyUpdateSent = false;

  private onClientFinished(): void {
    const traffic = this.traffic;
    if (traffic === undefined) throw new DtlsError(AlertDescription.internal_error, 'no application keys at the client Finished');
    const layer = this.layer();
    const server = traffic.keys('server');
    const client = traffic.keys('client');
    layer.setWriteKeys(server.epoch, server.keys);
    const held = layer.setReadKeys(client.epoch, client.keys);
    // The client's Finished acknowledges our whole flight (RFC 9147 7.3), so nothing of epochs 0
    // and 2 is sent again: their write keys go. Epoch 0 is not read again either (a ClientHello
    // now is answered by nothing); epoch 2 is, until the client shows it has our ACK
    // (peerConfirmed, or any record of epoch 3 from it: onRecord): its Finished may come again
    // (RFC 9147 7.1: our ACK was lost), but not forever. RFC 9147 4.2.1 lets keys of an older
    // epoch be kept "for up to the default MSL" (two minutes, RFC 793 3.3); we keep them as long
    // as the handshake itself was allowed, within that bound: a client that has not seen our ACK
    // by then has had its retransmissions answered (5.8.2: 1 s, doubling). An idle connection
    // holds ~1 KB less per epoch dropped.
    layer.forgetWriteEpochsBefore(APPLICATION_EPOCH);
    layer.forgetReadEpochsBefore(HANDSHAKE_EPOCH);
    this.handshakeReadUntil = this.host.now + Math.min(this.config.handshakeTimeoutMs, MAX_SEGMENT_LIFETIME_MS);
    this.current = { name: 'established' };
    // RFC 9147 7.1 / 5.8.1: the client's final flight is answered by an ACK alone, sent at once.
    this.acks.flightComplete(this.host.now, true);
    this.sendAckIfDue(this.host.now);
    this.host.onEstablished();
    if (held.length > 0) {
      this.host.deliver(held.map((r) => ({ type: r.type, epoch: r.epoch, sequenceNumber: r.sequenceNumber, payload: r.content, authenticated: r.authenticated })));
    }
  }

  /**
   * RFC 8446 4.6.1: a NewSessionTicket after the handshake, under the application keys; RFC 9147
   * 5.8: a post-handshake message is retransmitted until the client ACKs it (its ACK ends it).
   */
  private sendSessionTicket(resumptionMasterSecret: Uint8Array): void {
    const suite = this.negotiated.tls13Suite;
    const kdf = this.kdf13;
    if (suite === undefined || kdf === undefined) return;
    const body = newSessionTicket13(this.config, kdf, suite, resumptionMasterSecret, this.negotiated, this.host.wallNow);
    if (body === undefined) return;
    // In the post-handshake queue like every later message: a KeyUpdate sent while the ticket is
    // unacknowledged must not take its place in the transmitter, or the client, missing the
    // ticket's message_seq, could never process the KeyUpdate it has acknowledged.
    this.sendPostHandshake(HandshakeType.new_session_ticket, body);
  }

  /** The handshake's KDF (its suite's hash), kept for the NewSessionTicket's PSK. */
  private kdf13: LabelledHkdf | undefined;

  private sendAckIfDue(now: number): void {
    if (!this.acks.due(now) || this.records13 === undefined) return;
    const numbers = this.acks.take(ackEntriesFitting(this.config.mtu, this.records13.recordOverhead()));
    this.acksSent++;
    // RFC 9147 7: the ACK goes under the current write epoch (epoch 3 once established).
    this.host.transmit([this.records13.seal(ACK_CONTENT_TYPE, encodeAck(numbers))]);
  }

}
