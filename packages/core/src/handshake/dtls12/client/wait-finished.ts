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
import type { ClientContext, ClientState } from './client-state.js';
import { ESTABLISHED } from './established.js';

/** Ends flight 5 with ChangeCipherSpec and Finished under the new keys (RFC 5246 7.4.9), and sends it. */
export function sendFinishedFlight(cx: ClientContext, suite: CipherSuite, keys: SessionKeys, messages: readonly FlightMessage[]): ClientState {
  const provider = cx.config.provider;
  const ccs: FlightMessage = { kind: 'change_cipher_spec', epoch: cx.records.writeEpoch };
  // RFC 9146 3: from the epoch after the ChangeCipherSpec on, our records carry the server's CID.
  cx.records.setWriteKeys(keys.client, recordFormatForConnectionId(cx.negotiated.connectionId?.send));
  const finishedBody = encodeFinished({
    verifyData: verifyData(provider, suite.prfHash, keys.masterSecret, 'client finished', cx.transcript.hash(provider, suite.prfHash)),
  });
  const fin = cx.message(HandshakeType.finished, finishedBody);
  cx.transcript.add(fin.msgType, fin.messageSeq, finishedBody);
  cx.sendFlight([...messages, ccs, fin], false);
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
    cx.checkFinishedUnderNewKeys(m);
    const provider = cx.config.provider;
    const { suite, keys } = this;
    const expected = verifyData(provider, suite.prfHash, keys.masterSecret, 'server finished', cx.transcript.hash(provider, suite.prfHash));
    if (!constantTimeEqual(decodeFinished(m.body).verifyData, expected)) {
      throw new DtlsError(AlertDescription.decrypt_error, 'server Finished does not verify');
    }
    cx.finish(false);
    return ESTABLISHED;
  }
}
