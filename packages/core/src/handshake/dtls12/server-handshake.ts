import { AlertDescription } from '../../alert.js';
import { DtlsError } from '../../errors.js';
import type { ServerCredentials } from '../../config.js';
import type { ResolvedServerOptions } from '../../options.js';
import type { ReadRecord } from '../../record/record-layer.js';
import { carriesMessage, type HandshakeHost, type HandshakeMessage, HandshakeEngine } from '../common/handshake-engine.js';
import { emptyNegotiation, type NegotiatedParameters } from '../common/negotiated-parameters.js';
import type { HandshakeFragment } from '../handshake-header.js';
import { HandshakeType } from '../handshake-type.js';
import type { ServerContext, ServerState, ServerStateName } from './server/server-state.js';
import { WaitClientHello } from './server/wait-client-hello.js';
import type { SessionIssue } from '../../session/session-issue.js';

/**
 * The server's side of the DTLS 1.2 handshake (RFC 6347 4.2.4 Figure 1), after the cookie
 * exchange. It runs the current state (handshake/dtls12/server/), one type per step that owns
 * the data valid in it: each handle() returns the next state.
 */
export class ServerHandshake extends HandshakeEngine<ResolvedServerOptions, ServerState> implements ServerContext {
  readonly role = 'server';
  private current: ServerState = new WaitClientHello();
  readonly negotiated: NegotiatedParameters;
  /** ServerContext: how this full handshake's session will be kept (session ID or ticket), if at all. */
  sessionIssue: SessionIssue | undefined = undefined;
  /** The verified ClientHello until start() hands it to the reassembler (then the handshake holds what it needs of it). */
  private clientHello: { readonly body: Uint8Array; readonly messageSeq: number } | undefined;
  /** message_seq of the client's ClientKeyExchange, the first message of its flight 5. */
  private clientKeyExchangeSeq = -1;
  /** records.stats.badMac when the current datagram began. */
  private badMacAtDatagram = 0;
  /** records.stats.badMac at the start of the datagram that showed the client retransmitting flight 5. */
  private badMacAtFlight5Retransmission: number | undefined;

  constructor(
    host: HandshakeHost,
    config: ResolvedServerOptions,
    now: number,
    clientHello: { readonly body: Uint8Array; readonly messageSeq: number },
  ) {
    super(host, config, now);
    // RFC 6347 4.2.2: after a stateless HelloVerifyRequest both sides continue from the
    // ClientHello's message_seq (the HelloVerifyRequest used it too).
    this.reassembler.reset(clientHello.messageSeq);
    this.nextSendSeq = clientHello.messageSeq;
    this.clientHello = clientHello;
    this.negotiated = emptyNegotiation(new Uint8Array(0), undefined);
  }

  protected advance(next: ServerState): void {
    this.current = next;
  }

  /** ServerContext: the client's flight 5 begins with its ClientKeyExchange at this message_seq. */
  clientKeyExchangeAt(messageSeq: number): void {
    this.clientKeyExchangeSeq = messageSeq;
  }

  /**
   * ServerContext: SNICallback's credentials (checked by sniCredentials) replace the default ones
   * for the rest of this handshake (as node:tls's SecureContext does).
   */
  useCredentials(credentials: ServerCredentials): void {
    const { psk, x509 } = credentials;
    this.replaceConfig({ ...this.config, psk, x509 });
  }

  /** Processes the ClientHello whose cookie the endpoint verified (possibly reassembled there from fragments). */
  start(now: number): void {
    this.startDeadline(now);
    const hello = this.clientHello;
    if (hello === undefined) return; // started already
    this.clientHello = undefined;
    const { body, messageSeq } = hello;
    this.reassembler.add({ msgType: HandshakeType.client_hello, length: body.length, messageSeq, fragmentOffset: 0, body });
    this.processMessages();
  }

  get state(): ServerStateName {
    return this.current.name;
  }

  /** Flight 4 is out and the client's flight is awaited: spare time for the next handshake's key. */
  get keyShareAhead(): boolean {
    const name = this.current.name;
    return name === 'wait_client_key_exchange' || name === 'wait_client_certificate';
  }

  protected handle(m: HandshakeMessage): void {
    this.current = this.current.handle(m, this);
  }

  /** RFC 5246 7.4.1.2: a client asks to renegotiate with a new ClientHello. */
  protected readonly renegotiationRequest = HandshakeType.client_hello;

  override onHandshakeRecord(record: ReadRecord): void {
    if (
      this.current.name === 'wait_finished' &&
      this.badMacAtFlight5Retransmission === undefined &&
      carriesMessage(record, HandshakeType.client_key_exchange, this.clientKeyExchangeSeq)
    ) {
      // The ClientKeyExchange again: the client got no answer to its flight 5 and sent it anew.
      this.badMacAtFlight5Retransmission = this.badMacAtDatagram;
    }
    super.onHandshakeRecord(record);
  }

  override beginDatagram(): void {
    super.beginDatagram();
    this.badMacAtDatagram = this.host.records.stats.badMac;
  }

  /**
   * A wrong key shows up here. With another PSK the client derives other record keys, so its
   * Finished record does not authenticate and is dropped like any bad record (RFC 6347 4.1.2.7):
   * the Finished check (decrypt_error, RFC 5246 7.4.9) is never reached. A single bad record
   * proves nothing (noise, a stale record, a forgery), but once the client has retransmitted
   * flight 5 and a record of the epoch its ChangeCipherSpec opened fails again, its keys differ
   * from ours and waiting cannot help: the handshake ends with bad_record_mac, about one
   * retransmission timeout after flight 5 instead of at the handshake deadline.
   */
  override processMessages(): void {
    super.processMessages();
    const since = this.badMacAtFlight5Retransmission;
    if (this.current.name === 'wait_finished' && this.changeCipherSpecReceived && since !== undefined && this.host.records.stats.badMac > since) {
      throw new DtlsError(
        AlertDescription.bad_record_mac,
        'the client Finished does not authenticate, even retransmitted: the client derived other keys (a different pre-shared key?)',
      );
    }
  }

  /**
   * RFC 5246 7.3: the CertificateVerify comes before the ChangeCipherSpec, so in epoch 0. The
   * read epoch moves on as soon as the ChangeCipherSpec arrives (the keys exist from the
   * ClientKeyExchange on), and loss or reordering can make it overtake the CertificateVerify's
   * last fragments: those must still count, or the handshake would stall for good. Nothing
   * else new is taken from epoch 0 then — a client that skips its CertificateVerify sends the
   * Finished in its place, and that is an unexpected_message.
   */
  protected override acceptsPreviousEpoch(f: HandshakeFragment, epoch: number): boolean {
    return (
      epoch === 0 &&
      this.current.name === 'wait_certificate_verify' &&
      f.msgType === HandshakeType.certificate_verify &&
      f.messageSeq === this.clientKeyExchangeSeq + 1
    );
  }
}
