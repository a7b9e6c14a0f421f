import type { CipherSuite } from '../../../suites/cipher-suite.js';
import { changeCipherSpecAndFinished, checkPeerFinished } from '../../common/finished.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import { HandshakeType } from '../../handshake-type.js';
import type { SessionKeys } from '../session-keys.js';
import { ESTABLISHED } from './established.js';
import { issueSession } from '../../../session/session-issue.js';
import type { ServerContext, ServerState } from './server-state.js';

/** The client's ChangeCipherSpec, then its Finished under the new keys (RFC 5246 7.4.9). */
export class WaitFinished implements ServerState {
  readonly name = 'wait_finished';

  constructor(
    private readonly suite: CipherSuite,
    private readonly keys: SessionKeys,
  ) {}

  /** Verifies the client's Finished, then sends flight 6: [NewSessionTicket], ChangeCipherSpec, Finished. */
  handle(m: HandshakeMessage, cx: ServerContext): ServerState {
    if (m.msgType !== HandshakeType.finished) throw cx.unexpected(m);
    checkPeerFinished(cx, this.suite, this.keys, m, 'client');
    // RFC 5077 3.3: a NewSessionTicket we promised comes first in flight 6 (or the session goes into the store).
    const ticket = issueSession(cx);
    cx.sendFlight([...ticket, ...changeCipherSpecAndFinished(cx, this.suite, this.keys, 'server')], true);
    cx.finish(true);
    return ESTABLISHED;
  }
}
