import type { CipherSuite } from '../../../suites/cipher-suite.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import { HandshakeType } from '../../handshake-type.js';
import type { ClientKeyExchangeContext } from '../../key-exchange/key-exchange.js';
import { keyExchangeFor } from '../../key-exchange/registry.js';
import type { ClientContext, ClientState } from './client-state.js';
import { WaitServerHelloDone } from './wait-server-hello-done.js';
import { peerLeaf } from '../../common/certificate-types.js';

/** What a client key exchange sees once the ServerHello (and, in certificate suites, the chain) is in. */
export function keyExchangeContext(cx: ClientContext, suite: CipherSuite): ClientKeyExchangeContext {
  const n = cx.negotiated;
  return { config: cx.config, suite, clientRandom: n.clientRandom, serverRandom: n.serverRandom, serverLeaf: peerLeaf(n), serverCertificateType: n.serverCertificateType };
}

/** The ServerKeyExchange (RFC 5246 7.4.3), which a plain-PSK server without a hint omits (RFC 4279 2). */
export class WaitServerKeyExchange implements ClientState {
  readonly name = 'wait_server_key_exchange';

  constructor(private readonly suite: CipherSuite) {}

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    const kx = keyExchangeFor(this.suite).client();
    if (m.msgType === HandshakeType.server_key_exchange) {
      const record = (): void => cx.transcript.add(m.msgType, m.messageSeq, m.body);
      return kx.readServerKeyExchange(m.body, keyExchangeContext(cx, this.suite), record, cx.wait(this), (agreement) => {
        return new WaitServerHelloDone(this.suite, agreement, undefined);
      });
    }
    if (m.msgType === HandshakeType.server_hello_done) {
      const agreement = kx.withoutServerKeyExchange();
      if (agreement) return new WaitServerHelloDone(this.suite, agreement, undefined).handle(m, cx);
    }
    throw cx.unexpected(m);
  }
}
