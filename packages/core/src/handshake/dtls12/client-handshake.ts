import type { ReadRecord } from '../../record/record-layer.js';
import { AlertDescription } from '../../alert.js';
import { DtlsError } from '../../errors.js';
import type { ResolvedClientOptions } from '../../options.js';
import { type HandshakeHost, type HandshakeMessage, HandshakeEngine } from '../common/handshake-engine.js';
import { emptyNegotiation, type NegotiatedParameters } from '../common/negotiated-parameters.js';
import { HandshakeType } from '../handshake-type.js';
import type { ClientHello } from '../messages/client-hello.js';
import { DTLS_1_2 } from '../protocol-version.js';
import { clientHelloExtensions } from './client/client-hello-extensions.js';
import { type ClientContext, type ClientState, type ClientStateName, idle } from './client/client-state.js';
import { sendClientHello } from './client/wait-server-hello.js';
import { dtls13ClientHelloOffer } from '../dtls13/client-hello-offer.js';
import { newConnectionId } from '../common/connection-id.js';
import { serverNameToSend } from '../extensions/server-name.js';
import type { HandshakeFragment } from '../handshake-header.js';
import { ClientResumption } from '../../session/client-resumption.js';

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
      // RFC 9147 5.3 / RFC 8446 4.1.2: one ClientHello offering 1.3 (and 1.2 when minVersion allows).
      const offer = dtls13ClientHelloOffer(this.config, firstHello);
      // A 1.3 server's epoch-2 records may share a datagram with its ServerHello (RFC 9147 4).
      this.records.holdUnifiedRecords();
      this.current = sendClientHello(this, offer.hello, 0, offer);
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

  /** RFC 9147 7: an ACK goes to the DTLS 1.3 state that waits for one (a KeyUpdate of ours). */
  protected override onAck(record: ReadRecord): void {
    this.current = this.current.onAck?.(record, this) ?? this.current;
  }

  protected handle(m: HandshakeMessage): void {
    // RFC 5246 7.4.1.1: a HelloRequest while negotiating is ignored (and never hashed); DTLS 1.3 has none.
    if (m.msgType === HandshakeType.hello_request && this.current.name !== 'established' && !this.speaksOnlyDtls13()) return;
    const before = this.current.name;
    // RFC 9147 6.1 / RFC 8446 2: after a DTLS 1.3 ServerHello every message comes under the
    // handshake keys or later; one from plaintext records (forged, or buffered ahead) is refused.
    if (m.sources.length > 0 && before !== 'wait_server_hello' && this.records.dtls13Records !== undefined) {
      throw new DtlsError(AlertDescription.unexpected_message, `a DTLS 1.3 ${HandshakeType[m.msgType] ?? `message type ${m.msgType}`} in the clear in state ${before}`);
    }
    this.current = this.current.handle(m, this);
    // A full handshake after all: a ChangeCipherSpec that came before the ServerHello was not the server's.
    if (before === 'wait_server_hello' && this.current.name !== 'wait_resumed_finished') this.forgetEarlyChangeCipherSpec();
  }
}
