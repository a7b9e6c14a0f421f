import type { CipherSuite } from '../../../suites/cipher-suite.js';
import { dtls12ServerRandom } from '../../common/server-random.js';
import { changeCipherSpecAndFinished, checkPeerFinished } from '../../common/finished.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import { HandshakeType } from '../../handshake-type.js';
import type { ClientHello } from '../../messages/client-hello.js';
import { encodeServerHello } from '../../messages/server-hello.js';
import { DTLS_1_2 } from '../../protocol-version.js';
import { type SessionKeys, sessionKeysFromMaster } from '../session-keys.js';
import { ESTABLISHED } from './established.js';
import { answerServerHelloExtensions } from './server-hello-extensions.js';
import type { ServerContext, ServerState } from './server-state.js';
import type { FoundSession } from './session-lookup.js';

/**
 * The abbreviated handshake (RFC 5246 7.3 Figure 2; RFC 6347 4.2.4): the ClientHello offered a
 * session we resume, so our flight comes first and holds ServerHello (the client's session ID
 * echoed, a fresh random), ChangeCipherSpec and Finished. The keys come from the session's master
 * secret and the new randoms. It is not our last flight: the client answers with its own
 * ChangeCipherSpec and Finished, and our timer retransmits ours until they come (RFC 6347 4.2.4).
 */
export function resumeSession(
  m: HandshakeMessage,
  ch: ClientHello,
  cx: ServerContext,
  found: FoundSession,
  suite: CipherSuite,
  sniUsed: boolean,
): ServerState {
  const s = found.state;
  const config = cx.config;
  cx.transcript.add(m.msgType, m.messageSeq, m.body);
  const n = cx.negotiated;
  n.suite = suite;
  n.clientRandom = ch.random;
  n.serverRandom = dtls12ServerRandom(config.provider, config.maxVersion); // RFC 8446 4.1.3
  n.extendedMasterSecret = true;
  n.alpnProtocol = s.alpnProtocol;
  n.pskIdentity = s.pskIdentity;
  n.peerCertificates = s.peerCertificates;
  // The chain was checked (and the handshake went on) when the session was made.
  n.authorized = s.peerCertificates.length > 0;
  n.masterSecret = s.masterSecret;
  n.sessionReused = true;
  const extensions = answerServerHelloExtensions(ch, cx, { suite, sniUsed, alpnProtocol: s.alpnProtocol, resumed: true });
  const body = encodeServerHello({
    serverVersion: DTLS_1_2,
    random: n.serverRandom,
    // RFC 5246 7.4.1.3 / RFC 5077 3.4: the ClientHello's session ID, echoed, says "resumed".
    sessionId: ch.sessionId,
    cipherSuite: suite.id,
    compressionMethod: 0,
    extensions,
  });
  const sh = cx.message(HandshakeType.server_hello, body);
  cx.transcript.add(sh.msgType, sh.messageSeq, body);
  const keys = sessionKeysFromMaster(config.provider, suite, s.masterSecret, n.clientRandom, n.serverRandom, n.encryptThenMac);
  cx.sendFlight([sh, ...changeCipherSpecAndFinished(cx, suite, keys, 'server')], false);
  cx.expectChangeCipherSpec(keys.client);
  return new WaitResumedFinished(suite, keys);
}

/** Our ServerHello, ChangeCipherSpec and Finished are out: the client's ChangeCipherSpec, then its Finished. */
export class WaitResumedFinished implements ServerState {
  readonly name = 'wait_resumed_finished';

  constructor(
    private readonly suite: CipherSuite,
    private readonly keys: SessionKeys,
  ) {}

  /** RFC 5246 7.4.9: the client's Finished covers our Finished; it ends the handshake. */
  handle(m: HandshakeMessage, cx: ServerContext): ServerState {
    if (m.msgType !== HandshakeType.finished) throw cx.unexpected(m);
    checkPeerFinished(cx, this.suite, this.keys, m, 'client');
    // The client sent the last flight: we keep nothing to retransmit (RFC 6347 4.2.4).
    cx.finish(false);
    return ESTABLISHED;
  }
}
