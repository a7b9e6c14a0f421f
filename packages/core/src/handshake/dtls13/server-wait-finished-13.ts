import { AlertDescription } from '../../alert.js';
import { constantTimeEqual } from '../../bytes.js';
import { packBytes } from '../../packed-bytes.js';
import { finishedVerifyData13 } from '../../crypto/finished-13.js';
import type { LabelledHkdf } from '../../crypto/hkdf-label.js';
import { resumptionMasterSecret } from '../../crypto/key-schedule-13.js';
import type { Transcript13 } from '../../crypto/transcript-13.js';
import { DtlsError } from '../../errors.js';
import { HandshakeType } from '../handshake-type.js';
import { decodeFinished13 } from '../messages/finished-13.js';

/** What is known once the client's Finished verified (RFC 8446 4.4.4): the handshake is done. */
export interface ServerEstablished13 {
  readonly name: 'established';
  /** RFC 8446 7.1: resumption_master_secret, for the tickets of NewSessionTicket (4.6.1). */
  readonly resumptionMasterSecret: Uint8Array;
}

/**
 * The server after its flight, without a CertificateRequest: the only message it takes is the
 * client's Finished (RFC 8446 2, RFC 9147 5 figure 6), under the client handshake traffic keys.
 * Anything else is unexpected_message (RFC 8446 6.2); a Finished that does not verify is
 * decrypt_error (4.4.4: "Recipients of Finished messages MUST verify that the contents are
 * correct and if incorrect MUST terminate the connection with a "decrypt_error" alert").
 */
export class ServerWaitFinished13 {
  readonly name = 'wait_finished';
  /** The client's verify_data, as it must be. */
  private readonly expected: Uint8Array;
  /** resumption_master_secret, for when the client's Finished is the expected one. */
  private readonly resumption: Uint8Array;

  /**
   * `transcript`: everything through our Finished (and the client's Certificate and
   * CertificateVerify, when asked for). Both values that need it are computed now: the client's
   * Finished can only be the one expected, so the transcript through it is known too (RFC 8446
   * 7.1: resumption_master_secret hashes it). The transcript, the master secret and the client
   * handshake secret then go: a half-open handshake keeps ~100 bytes instead of the transcript
   * (~1 KB with PSK, a certificate chain more with certificates) for as long as it waits.
   */
  constructor(kdf: LabelledHkdf, transcript: Transcript13, clientHandshakeSecret: Uint8Array, master: Uint8Array) {
    const { provider, hash } = kdf;
    const expected = finishedVerifyData13(kdf, clientHandshakeSecret, transcript.hash(provider, hash));
    transcript.add(HandshakeType.finished, expected);
    const resumption = resumptionMasterSecret(kdf, master, transcript.hash(provider, hash));
    transcript.release();
    [this.expected = expected, this.resumption = resumption] = packBytes([expected, resumption]);
  }

  handle(msgType: number, body: Uint8Array): ServerEstablished13 {
    if (msgType !== HandshakeType.finished) {
      throw new DtlsError(AlertDescription.unexpected_message, `${HandshakeType[msgType] ?? `message type ${msgType}`} where the client Finished was expected`);
    }
    const verifyData = decodeFinished13(body, this.expected.length);
    // RFC 8446 4.4.4: "Recipients of Finished messages MUST verify that the contents are correct".
    if (!constantTimeEqual(verifyData, this.expected)) throw new DtlsError(AlertDescription.decrypt_error, 'client Finished does not verify');
    return { name: 'established', resumptionMasterSecret: this.resumption };
  }
}
