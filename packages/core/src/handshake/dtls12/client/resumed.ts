import { RecordProtection } from '../../../session/session-state.js';
import { AlertDescription } from '../../../alert.js';
import { DtlsError } from '../../../errors.js';
import type { CipherSuite } from '../../../suites/cipher-suite.js';
import { changeCipherSpecAndFinished, checkPeerFinished } from '../../common/finished.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import { HandshakeType } from '../../handshake-type.js';
import type { ServerHello } from '../../messages/server-hello.js';
import type { ClientSession } from '../../../session/client-session.js';
import { type SessionKeys, sessionKeysFromMaster } from '../session-keys.js';
import type { ClientContext, ClientState } from './client-state.js';
import { ESTABLISHED } from './established.js';

/**
 * The server echoed our session ID: the abbreviated handshake (RFC 5246 7.3 Figure 2). The keys
 * come from the session's master secret and the new randoms; the server's ChangeCipherSpec and
 * Finished follow its ServerHello in the same flight ([NewSessionTicket] first when it renews the
 * ticket, RFC 5077 3.1 Figure 2).
 */
export function resumeClientSession(m: HandshakeMessage, sh: ServerHello, cx: ClientContext, session: ClientSession, suite: CipherSuite): ClientState {
  const s = session.state;
  const n = cx.negotiated;
  n.suite = suite;
  n.serverRandom = sh.random;
  n.extendedMasterSecret = true;
  n.masterSecret = s.masterSecret;
  n.pskIdentity = s.pskIdentity;
  n.peerCertificates = s.peerCertificates;
  n.authorized = s.peerCertificates.length > 0;
  n.sessionReused = true;
  // RFC 7301: a resumed handshake negotiates ALPN again; the session's protocol if it did not.
  n.alpnProtocol ??= s.alpnProtocol;
  cx.transcript.add(m.msgType, m.messageSeq, m.body);
  // RFC 7366 3.1: a resumed session keeps the record protection it was made with; a server that
  // turns encrypt-then-MAC on or off while resuming would have us decrypt with other rules.
  if (((s.recordProtection & RecordProtection.encryptThenMac) !== 0) !== n.encryptThenMac) {
    throw new DtlsError(AlertDescription.handshake_failure, 'the server resumed our session with encrypt_then_mac ' + (n.encryptThenMac ? 'on, which the session did not use' : 'off, which the session used') + ' (RFC 7366 3.1)');
  }
  const keys = sessionKeysFromMaster(cx.config.provider, suite, s.masterSecret, n.clientRandom, n.serverRandom, n.encryptThenMac);
  cx.expectChangeCipherSpec(keys.server);
  return new WaitResumedServerFinished(suite, keys);
}

/** Abbreviated handshake: [NewSessionTicket], then the server's ChangeCipherSpec and Finished. */
export class WaitResumedServerFinished implements ClientState {
  readonly name = 'wait_resumed_finished';

  constructor(
    private readonly suite: CipherSuite,
    private readonly keys: SessionKeys,
  ) {}

  /** What a silent server means here. */
  timeoutHint(): string | undefined {
    return 'the server resumed our session (ServerHello), then its ChangeCipherSpec and Finished never came';
  }

  /**
   * RFC 5246 7.4.9: the server's Finished first (it covers the hellos), then ours as the last
   * flight: ChangeCipherSpec, Finished. We keep it to answer the server's retransmissions (RFC
   * 6347 4.2.4: here the client sends the last flight).
   */
  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType === HandshakeType.new_session_ticket && cx.resumption.ticketDue) {
      cx.resumption.onNewSessionTicket(m.body);
      cx.transcript.add(m.msgType, m.messageSeq, m.body);
      return this;
    }
    if (m.msgType !== HandshakeType.finished || cx.resumption.ticketDue) throw cx.unexpected(m);
    checkPeerFinished(cx, this.suite, this.keys, m, 'server');
    cx.sendFlight(changeCipherSpecAndFinished(cx, this.suite, this.keys, 'client'), true);
    cx.negotiated.session = cx.resumption.sessionAfter(cx.negotiated, cx.wallNow);
    cx.finish(true);
    return ESTABLISHED;
  }
}
