import { AlertDescription } from '../../../alert.js';
import { constantTimeEqual } from '../../../bytes.js';
import { verifyData } from '../../../crypto/key-schedule.js';
import { DtlsError } from '../../../errors.js';
import type { CipherSuite } from '../../../suites/cipher-suite.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import type { FlightMessage } from '../../flight.js';
import { HandshakeType } from '../../handshake-type.js';
import { decodeFinished, encodeFinished } from '../../messages/finished.js';
import { recordFormatForConnectionId } from '../../../record/tls12-cid-record-format.js';
import type { SessionKeys } from '../../session-keys.js';
import { ESTABLISHED } from './established.js';
import type { ServerContext, ServerState } from './server-state.js';

/** The client's ChangeCipherSpec, then its Finished under the new keys (RFC 5246 7.4.9). */
export class WaitFinished implements ServerState {
  readonly name = 'wait_finished';

  constructor(
    private readonly suite: CipherSuite,
    private readonly keys: SessionKeys,
  ) {}

  /** Verifies the client's Finished, then sends flight 6: ChangeCipherSpec, Finished. */
  handle(m: HandshakeMessage, cx: ServerContext): ServerState {
    if (m.msgType !== HandshakeType.finished) throw cx.unexpected(m);
    cx.checkFinishedUnderNewKeys(m);
    const { suite, keys } = this;
    const provider = cx.config.provider;
    const expected = verifyData(provider, suite.prfHash, keys.masterSecret, 'client finished', cx.transcript.hash(provider, suite.prfHash));
    if (!constantTimeEqual(decodeFinished(m.body).verifyData, expected)) {
      throw new DtlsError(AlertDescription.decrypt_error, 'client Finished does not verify');
    }
    cx.transcript.add(m.msgType, m.messageSeq, m.body);
    const ccs: FlightMessage = { kind: 'change_cipher_spec', epoch: cx.records.writeEpoch };
    // RFC 9146 3: from the epoch after the ChangeCipherSpec on, our records carry the client's CID.
    cx.records.setWriteKeys(keys.server, recordFormatForConnectionId(cx.negotiated.connectionId?.send));
    const body = encodeFinished({
      verifyData: verifyData(provider, suite.prfHash, keys.masterSecret, 'server finished', cx.transcript.hash(provider, suite.prfHash)),
    });
    const fin = cx.message(HandshakeType.finished, body);
    cx.sendFlight([ccs, fin], true);
    cx.finish(true);
    return ESTABLISHED;
  }
}
