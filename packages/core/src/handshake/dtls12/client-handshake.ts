import type { ReadRecord } from '../../record/record-layer.js';
import { AlertDescription } from '../../alert.js';
import type { ResolvedClientOptions } from '../../options.js';
import { type HandshakeHost, type HandshakeMessage, HandshakeEngine } from '../common/handshake-engine.js';
import { NO_CONNECTION_IDS } from '../common/handshake.js';
import { emptyNegotiation, type NegotiatedParameters } from '../common/negotiated-parameters.js';
import { HandshakeType } from '../handshake-type.js';
import type { ClientHello } from '../messages/client-hello.js';
import { DTLS_1_2 } from '../protocol-version.js';
import { clientHelloExtensions } from './client/client-hello-extensions.js';
import { type ClientContext, type ClientState, type ClientStateName, idle } from './client/client-state.js';
import { sendClientHello } from './client/wait-server-hello.js';
import { dtls13ClientHelloOffer } from '../dtls13/client-hello-offer.js';
import { externalPskFor13 } from '../dtls13/client-psk-offer.js';
import { newConnectionId } from '../common/connection-id.js';
import { serverNameToSend } from '../extensions/server-name.js';
import type { HandshakeFragment } from '../handshake-header.js';
import { ClientResumption } from '../../session/client-resumption.js';
import { ClientFlights13 } from '../dtls13/client-flights-13.js';
import { Dtls13ClientEstablished } from '../dtls13/client-established.js';
import type { FlightHandshakeMessage, FlightMessage } from '../common/flight.js';
import type { FlightState } from '../common/flight-transmitter.js';
import type { FragmentDisposition } from '../common/reassembler.js';
import { DtlsError } from '../../errors.js';

/** A DTLS 1.3 ClientHello waiting for the application's PSK (its binder needs it). */
const WAIT_PSK = idle('wait_psk');

function isHandshakeMessage(m: FlightMessage): m is FlightHandshakeMessage {
  return m.kind === 'handshake';
}

/**
 * The client's side of the DTLS 1.2 handshake (RFC 6347 4.2.4 Figure 1). It runs the current
 * state (handshake/dtls12/client/), one type per step that owns the data valid in it: each
 * handle() returns the next state.
 */
export class ClientHandshake extends HandshakeEngine<ResolvedClientOptions, ClientState> implements ClientContext {
  readonly role = 'client';
  readonly negotiated: NegotiatedParameters;
  private current: ClientState = idle('start');
  private readonly clientRandom: Uint8Array;
  /** ClientContext: the session we offer and what becomes of it. */
  readonly resumption: ClientResumption;
  /**
   * RFC 9147 5.8, 7: while we offer DTLS 1.3 and once the server chose it, our flights go out
   * with ACKs and the server's are acknowledged (handshake/dtls13/client-flights-13.ts);
   * undefined for a DTLS 1.2 handshake, and dropped when the server answers in 1.2.
   */
  private flights13: ClientFlights13 | undefined;
  /** What the 1.3 flights retransmitted before the server answered in DTLS 1.2. */
  private abandoned13: { readonly retransmissions: number; readonly bytes: number; readonly datagrams: number } | undefined;

  constructor(
    host: HandshakeHost,
    config: ResolvedClientOptions,
    now: number,
  ) {
    super(host, config, now);
    this.clientRandom = config.provider.randomBytes(32);
    this.resumption = new ClientResumption(config);
    // servername is what was sent (node:tls): nothing for an IP address. The certificate check
    // still matches config.servername, the address included (RFC 6125 / the iPAddress SAN).
    this.negotiated = emptyNegotiation(this.clientRandom, serverNameToSend(config.servername));
  }

  protected advance(next: ClientState): void {
    this.current = next;
  }

  get state(): ClientStateName {
    return this.current.name;
  }

  /** Flight 3 is out: the ServerKeyExchange, then our ClientKeyExchange, come next (WaitServerHello). */
  get keyShareAhead(): boolean {
    return this.current.keyShareAhead === true;
  }

  /** Flight 1 (RFC 6347 4.2.4 Figure 1); the handshake deadline counts from here. */
  start(now: number): void {
    this.startDeadline(now);
    const firstHello: ClientHello = {
      clientVersion: DTLS_1_2,
      random: this.clientRandom,
      // RFC 5246 7.4.1.2: the session to resume, if any (ClientResumption).
      sessionId: this.resumption.sessionId,
      cookie: new Uint8Array(0),
      cipherSuites: this.config.suites.map((s) => s.id),
      compressionMethods: [0],
      // The CID is chosen once, here (a failing generator fails connect(), not the constructor): a
      // ClientHello sent again with a cookie carries the same one (RFC 6347 4.2.1).
      extensions: clientHelloExtensions(this.config, newConnectionId(this.config)),
    };
    if (this.config.maxVersion === 'DTLSv1.3') {
      // A 1.3 server's epoch-2 records may share a datagram with its ServerHello (RFC 9147 4).
      this.records.holdUnifiedRecords();
      this.flights13 = new ClientFlights13(this.config, this.host);
      // RFC 8446 4.2.11.2: the external PSK's binder is part of the ClientHello, so the PSK is
      // asked for first; an asynchronous answer holds the ClientHello (the handshake deadline runs).
      const psk = this.config.psk === undefined ? undefined : externalPskFor13(this.config.psk);
      if (psk instanceof Promise) this.current = WAIT_PSK;
      this.awaitValue(psk, 'PSK resolve', (chosen) => {
        // RFC 9147 5.3 / RFC 8446 4.1.2: one ClientHello offering 1.3 (and 1.2 when minVersion allows).
        const offer = dtls13ClientHelloOffer(this.config, firstHello, this.host.wallNow, chosen);
        this.current = sendClientHello(this, offer.hello, 0, offer);
      });
      return;
    }
    this.current = sendClientHello(this, firstHello, 0);
  }

  /**
   * In a full handshake the client has the server's keys as soon as it sends flight 5, and the server sends its
   * ChangeCipherSpec only after receiving flight 5 (RFC 6347 4.2.4 Figure 1): one that comes
   * earlier was never sent by this server for this handshake (an injected CCS, as in the
   * early-CCS attacks on TLS stacks), so it must not stand in for the real one later.
   */
  protected override mayReceiveChangeCipherSpecBeforeKeys(): boolean {
    // RFC 5246 7.3 Figure 2: resuming, the server's ChangeCipherSpec follows its ServerHello in the
    // same flight, often the same datagram, before the ServerHello is processed (forgotten in
    // handle() if the server does not resume).
    return this.current.name === 'wait_server_hello' && this.resumption.offered !== undefined;
  }

  /**
   * RFC 5077 3.3: a NewSessionTicket comes before the server's ChangeCipherSpec, so in epoch 0; the
   * ChangeCipherSpec can overtake its records (reordering), which must still count.
   */
  protected override acceptsPreviousEpoch(f: HandshakeFragment, epoch: number): boolean {
    const state = this.current.name;
    return epoch === 0 && f.msgType === HandshakeType.new_session_ticket && (state === 'wait_finished' || state === 'wait_resumed_finished');
  }

  /**
   * RFC 5246 7.4.1.1: a server asks to renegotiate with a HelloRequest. DTLS 1.3 has neither
   * (RFC 8446 4: hello_request_RESERVED): there it is an unexpected message like any other.
   */
  protected get renegotiationRequest(): HandshakeType | undefined {
    return this.speaksOnlyDtls13() ? undefined : HandshakeType.hello_request;
  }

  /** DTLS 1.3 was chosen, or is all we offered. */
  private speaksOnlyDtls13(): boolean {
    return this.records.dtls13Records !== undefined || this.config.minVersion === 'DTLSv1.3';
  }

  peerAlertHint(description: AlertDescription): string | undefined {
    return this.current.peerAlertHint?.(description);
  }

  protected override timeoutHint(): string | undefined {
    return this.current.timeoutHint?.();
  }

  /** ClientContext.newSession: a DTLS 1.3 NewSessionTicket made a session to resume with (RFC 8446 4.6.1). */
  newSession(session: Uint8Array): void {
    this.negotiated.session = session;
    this.host.onSession?.();
  }

  /**
   * RFC 9147 7.3: an ACK acknowledges (part of) our flight; once all of it is, the DTLS 1.3 state
   * that waits for that (our KeyUpdate) goes on.
   */
  protected override onAck(record: ReadRecord): void {
    const flights = this.flights13;
    if (flights === undefined) return;
    if (flights.onAck(record, this.host.now) === 'complete') this.current = this.current.onAck?.(record, this) ?? this.current;
  }

  /** RFC 9147 5.8, 7: our flights with ACKs once DTLS 1.3 is offered or chosen; DTLS 1.2's whole-flight machinery otherwise. */
  override sendFlight(messages: readonly FlightMessage[], last: boolean): void {
    const flights = this.flights13;
    if (flights === undefined) {
      super.sendFlight(messages, last);
      return;
    }
    const handshake = messages.filter(isHandshakeMessage);
    if (handshake.length !== messages.length) throw new DtlsError(AlertDescription.internal_error, 'a ChangeCipherSpec in a DTLS 1.3 flight');
    flights.send(handshake, last, this.complete, this.host.now);
  }

  /** RFC 9147 7: each server handshake record taken is listed for our ACK. */
  protected override fragmentTaken(f: HandshakeFragment, result: FragmentDisposition, record: ReadRecord): void {
    this.flights13?.fragment(f, result, record, this.reassembler.nextSeq, this.complete, this.host.now);
  }

  override processMessages(): void {
    super.processMessages();
    this.flights13?.afterMessages(this.reassembler.nextSeq, this.host.now);
  }

  override beginDatagram(): void {
    super.beginDatagram();
    this.flights13?.beginDatagram();
  }

  override nextTimeout(): number | undefined {
    const base = super.nextTimeout();
    const t = this.flights13?.deadline;
    return t === undefined ? base : base === undefined ? t : Math.min(base, t);
  }

  /** The handshake deadline, then the 1.3 retransmission and ACK timers (RFC 9147 5.8.2, 7.1). */
  override handleTimeout(now: number): void {
    super.handleTimeout(now);
    this.flights13?.onTimer(now);
  }

  /** Application data from the server: with DTLS 1.3 it has our Finished (RFC 9147 5.8.1). */
  override peerConfirmed(): void {
    this.flights13?.peerConfirmed();
    super.peerConfirmed();
  }

  override get retransmissions(): number {
    return super.retransmissions + (this.flights13?.retransmissions ?? this.abandoned13?.retransmissions ?? 0);
  }

  override get retransmitted(): { readonly bytes: number; readonly datagrams: number } {
    const own = super.retransmitted;
    const f = this.flights13;
    return {
      bytes: own.bytes + (f === undefined ? (this.abandoned13?.bytes ?? 0) : f.retransmittedBytes),
      datagrams: own.datagrams + (f === undefined ? (this.abandoned13?.datagrams ?? 0) : f.retransmittedDatagrams),
    };
  }

  /** RFC 9147 8: a KeyUpdate of ours, once the DTLS 1.3 handshake is over (see DtlsConnection.keyUpdate). */
  keyUpdate(requestPeer: boolean): void {
    const state = this.current;
    if (!(state instanceof Dtls13ClientEstablished)) throw new DtlsError(AlertDescription.internal_error, `no KeyUpdate in state ${state.name}`);
    this.current = state.initiate(this, requestPeer);
  }

  /** DTLS 1.3 ACK records sent and received. */
  get ackRecords(): { readonly sent: number; readonly received: number } {
    return { sent: this.flights13?.acksSent ?? 0, received: this.flights13?.acksReceived ?? 0 };
  }

  override get flightState(): FlightState {
    return this.flights13?.state ?? super.flightState;
  }

  override get holdsLastFlight(): boolean {
    return this.flights13?.holdsFlight ?? super.holdsLastFlight;
  }

  /** The server answered our DTLS 1.3 offer in DTLS 1.2 (a HelloVerifyRequest or a 1.2 ServerHello): 1.2's flights from here. */
  private leaveDtls13Flights(): void {
    const flights = this.flights13;
    if (flights === undefined) return;
    flights.abandon();
    this.abandoned13 = { retransmissions: flights.retransmissions, bytes: flights.retransmittedBytes, datagrams: flights.retransmittedDatagrams };
    this.flights13 = undefined;
  }

  /** Handshake.updateKeys: the DTLS 1.3 established state sends our KeyUpdate (RFC 9147 4.5.3). */
  updateKeys(): void {
    this.current = this.current.updateKeys?.(this) ?? this.current;
  }

  /** Handshake.requestConnectionIds: a RequestConnectionId of ours (RFC 9147 9). */
  requestConnectionIds(count: number): boolean {
    const body = this.current.connectionIdUpdates?.(this)?.requestConnectionIds(count);
    if (body === undefined) return false;
    this.sendFlight([this.message(HandshakeType.request_connection_id, body)], true);
    return true;
  }

  /** Handshake.useNextConnectionId (RFC 9147 9). */
  useNextConnectionId(): boolean {
    return this.current.connectionIdUpdates?.(this)?.useNextConnectionId() ?? false;
  }

  /** Handshake.receiveConnectionIds. */
  receiveConnectionIds(): readonly Uint8Array[] {
    return this.current.connectionIdUpdates?.(this)?.receiveConnectionIds ?? NO_CONNECTION_IDS;
  }

  protected handle(m: HandshakeMessage): void {
    // RFC 5246 7.4.1.1: a HelloRequest while negotiating is ignored (and never hashed); DTLS 1.3 has none.
    if (m.msgType === HandshakeType.hello_request && this.current.name !== 'established' && !this.speaksOnlyDtls13()) return;
    const before = this.current.name;
    // RFC 6347 4.2.1: only a DTLS 1.2 server sends a HelloVerifyRequest; our next ClientHello goes out as 1.2's flight 3.
    if (m.msgType === HandshakeType.hello_verify_request) this.leaveDtls13Flights();
    // RFC 9147 6.1 / RFC 8446 2: after a DTLS 1.3 ServerHello every message comes under the
    // handshake keys or later; one from plaintext records (forged, or buffered ahead) is refused.
    if (m.sources.length > 0 && before !== 'wait_server_hello' && this.records.dtls13Records !== undefined) {
      throw new DtlsError(AlertDescription.unexpected_message, `a DTLS 1.3 ${HandshakeType[m.msgType] ?? `message type ${m.msgType}`} in the clear in state ${before}`);
    }
    this.current = this.current.handle(m, this);
    // A 1.2 ServerHello: the record layer stays 1.2's, and so do our flights.
    if (before === 'wait_server_hello' && this.records.dtls13Records === undefined && this.current.name !== 'wait_server_hello') this.leaveDtls13Flights();
    // A full handshake after all: a ChangeCipherSpec that came before the ServerHello was not the server's.
    if (before === 'wait_server_hello' && this.current.name !== 'wait_resumed_finished') this.forgetEarlyChangeCipherSpec();
  }
}
