import type { CipherSuite } from '../../../suites/cipher-suite.js';
import { changeCipherSpecAndFinished, checkPeerFinished } from '../../common/finished.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import type { FlightMessage } from '../../common/flight.js';
import { HandshakeType } from '../../handshake-type.js';
import type { SessionKeys } from '../session-keys.js';
import type { ClientContext, ClientState } from './client-state.js';
import { ESTABLISHED } from './established.js';

/** Ends flight 5 with ChangeCipherSpec and Finished under the new keys (RFC 5246 7.4.9), and sends it. */
export function sendFinishedFlight(cx: ClientContext, suite: CipherSuite, keys: SessionKeys, messages: readonly FlightMessage[]): ClientState {
  cx.sendFlight([...messages, ...changeCipherSpecAndFinished(cx, suite, keys, 'client')], false);
  cx.expectChangeCipherSpec(keys.server);
  return new WaitFinished(suite, keys);
}

/** Flight 5 sent: the server's ChangeCipherSpec, then its Finished under the new keys (flight 6). */
export class WaitFinished implements ClientState {
  readonly name = 'wait_finished';

  constructor(
    private readonly suite: CipherSuite,
    private readonly keys: SessionKeys,
  ) {}

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType !== HandshakeType.finished) throw cx.unexpected(m);
    checkPeerFinished(cx, this.suite, this.keys, m, 'server');
    cx.finish(false);
    return ESTABLISHED;
  }
}
