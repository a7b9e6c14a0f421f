import { AlertDescription } from '../../../alert.js';
import { clientCertificateAlertHint, type ClientCertificateOutcome } from '../../common/client-certificate-alert-hint.js';
import type { CipherSuite } from '../../../suites/cipher-suite.js';
import { changeCipherSpecAndFinished, checkPeerFinished } from '../../common/finished.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import type { FlightMessage } from '../../common/flight.js';
import { HandshakeType } from '../../handshake-type.js';
import type { SessionKeys } from '../session-keys.js';
import type { ClientContext, ClientState } from './client-state.js';
import { ESTABLISHED } from './established.js';

/** What flight 5 answered to a CertificateRequest (see client-certificate-alert-hint.ts). */
export type { ClientCertificateOutcome };

/** Ends flight 5 with ChangeCipherSpec and Finished under the new keys (RFC 5246 7.4.9), and sends it. */
export function sendFinishedFlight(
  cx: ClientContext,
  suite: CipherSuite,
  keys: SessionKeys,
  messages: readonly FlightMessage[],
  certificate: ClientCertificateOutcome = 'not-requested',
): ClientState {
  cx.sendFlight([...messages, ...changeCipherSpecAndFinished(cx, suite, keys, 'client')], false);
  cx.expectChangeCipherSpec(keys.server);
  return new WaitFinished(suite, keys, certificate);
}

/** Flight 5 sent: the server's ChangeCipherSpec, then its Finished under the new keys (flight 6). */
export class WaitFinished implements ClientState {
  readonly name = 'wait_finished';

  constructor(
    private readonly suite: CipherSuite,
    private readonly keys: SessionKeys,
    private readonly certificate: ClientCertificateOutcome,
  ) {}

  /**
   * The server answered flight 5 with a fatal alert. What it objects to is in flight 5: our
   * certificate (or its absence), or our Finished. A server that derived other keys (another
   * PSK) cannot authenticate our Finished record: bad_record_mac (RFC 6347 4.1.2.7 lets it drop
   * the record; ours, once the retransmission fails too); decrypt_error means the record
   * authenticated (same keys) but the verify_data differs: the transcripts differ (RFC 5246 7.4.9).
   */
  peerAlertHint(description: AlertDescription): string | undefined {
    const certificateHint = clientCertificateAlertHint(this.certificate, description);
    if (certificateHint !== undefined) return certificateHint;
    if (description === AlertDescription.bad_record_mac) {
      return isPsk(this.suite)
        ? 'the server could not verify our Finished: it derived other keys (a different pre-shared key?)'
        : 'the server could not verify our Finished: it derived other keys';
    }
    // The record authenticated, so the keys agree: the transcripts differ (RFC 5246 7.4.9).
    if (description === AlertDescription.decrypt_error) {
      return 'the server could not verify our Finished: its record of the handshake differs from ours (a message altered on the way?)';
    }
    return undefined;
  }

  /**
   * The server answered every flight up to flight 5, then nothing until the deadline. With a PSK
   * this is what a server that derived other keys does when it drops records it cannot
   * authenticate (RFC 6347 4.1.2.7), as OpenSSL does, and sends no alert.
   */
  timeoutHint(): string | undefined {
    return isPsk(this.suite)
      ? 'the server answered until our Finished, then went silent: it may have derived other keys (a different pre-shared key?) and dropped our Finished unread'
      : 'the server answered until our Finished, then went silent';
  }

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    // RFC 5077 3.3: the ticket the server promised in its ServerHello comes before its ChangeCipherSpec.
    if (m.msgType === HandshakeType.new_session_ticket && cx.resumption.ticketDue) {
      cx.resumption.onNewSessionTicket(m.body);
      cx.transcript.add(m.msgType, m.messageSeq, m.body);
      return this;
    }
    if (m.msgType !== HandshakeType.finished || cx.resumption.ticketDue) throw cx.unexpected(m);
    checkPeerFinished(cx, this.suite, this.keys, m, 'server');
    cx.negotiated.session = cx.resumption.sessionAfter(cx.negotiated, cx.wallNow);
    cx.finish(false);
    return ESTABLISHED;
  }
}

function isPsk(suite: CipherSuite): boolean {
  return suite.keyExchange === 'psk' || suite.keyExchange === 'ecdhe_psk';
}
