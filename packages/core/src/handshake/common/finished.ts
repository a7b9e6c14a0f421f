import { AlertDescription } from '../../alert.js';
import { constantTimeEqual } from '../../bytes.js';
import { verifyData } from '../../crypto/key-schedule.js';
import { DtlsError } from '../../errors.js';
import type { ResolvedOptions } from '../../options.js';
import { recordFormatForConnectionId } from '../../record/tls12-cid-record-format.js';
import type { CipherSuite } from '../../suites/cipher-suite.js';
import type { FlightMessage } from './flight.js';
import { HandshakeType } from '../handshake-type.js';
import { decodeFinished, encodeFinished } from '../messages/finished.js';
import type { SessionKeys } from '../dtls12/session-keys.js';
import type { HandshakeMessage } from './handshake-engine.js';
import type { StateContext } from './state-context.js';

/** Who sent a Finished: it names the PRF label (RFC 5246 7.4.9). */
export type FinishedSender = 'client' | 'server';

/** RFC 5246 7.4.9: verify_data = PRF(master_secret, finished_label, Hash(handshake_messages)). */
function finishedVerifyData<C extends ResolvedOptions, S>(cx: StateContext<C, S>, suite: CipherSuite, keys: SessionKeys, sender: FinishedSender): Uint8Array {
  const provider = cx.config.provider;
  return verifyData(provider, suite.prfHash, keys.masterSecret, `${sender} finished`, cx.transcript.hash(provider, suite.prfHash));
}

/**
 * Checks the peer's Finished: it came wholly under the new keys, and its verify_data matches ours,
 * compared in constant time; otherwise decrypt_error (RFC 5246 7.2.2). The message then enters
 * the transcript (the server's Finished covers the client's).
 */
export function checkPeerFinished<C extends ResolvedOptions, S>(
  cx: StateContext<C, S>,
  suite: CipherSuite,
  keys: SessionKeys,
  m: HandshakeMessage,
  sender: FinishedSender,
): void {
  cx.checkFinishedUnderNewKeys(m);
  const expected = finishedVerifyData(cx, suite, keys, sender);
  if (!constantTimeEqual(decodeFinished(m.body).verifyData, expected)) {
    throw new DtlsError(AlertDescription.decrypt_error, `${sender} Finished does not verify`);
  }
  cx.transcript.add(m.msgType, m.messageSeq, m.body);
}

/**
 * Our ChangeCipherSpec (in the current write epoch), then our Finished under the new write keys
 * (RFC 5246 7.1, 7.4.9): the end of flight 5 (client) or flight 6 (server). The Finished enters
 * the transcript, since the server's Finished covers the client's.
 */
export function changeCipherSpecAndFinished<C extends ResolvedOptions, S>(
  cx: StateContext<C, S>,
  suite: CipherSuite,
  keys: SessionKeys,
  sender: FinishedSender,
): FlightMessage[] {
  const ccs: FlightMessage = { kind: 'change_cipher_spec', epoch: cx.records.writeEpoch };
  // RFC 9146 3: from the epoch after the ChangeCipherSpec on, our records carry the peer's CID
  // (plain DTLS 1.2 records when none was negotiated in that direction).
  cx.records.setWriteKeys(sender === 'client' ? keys.client : keys.server, recordFormatForConnectionId(cx.negotiated.connectionId?.send));
  const body = encodeFinished({ verifyData: finishedVerifyData(cx, suite, keys, sender) });
  const fin = cx.message(HandshakeType.finished, body);
  cx.transcript.add(fin.msgType, fin.messageSeq, body);
  return [ccs, fin];
}
