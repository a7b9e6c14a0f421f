import { AlertDescription } from '../../alert.js';
import { checkFinished13 } from '../../crypto/finished-13.js';
import { HASH_LENGTH } from '../../crypto/hkdf.js';
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

  constructor(
    private readonly kdf: LabelledHkdf,
    /** Everything through our Finished (and the client's Certificate/CertificateVerify, when asked for). */
    private readonly transcript: Transcript13,
    private readonly clientHandshakeSecret: Uint8Array,
    private readonly master: Uint8Array,
  ) {}

  handle(msgType: number, body: Uint8Array): ServerEstablished13 {
    if (msgType !== HandshakeType.finished) {
      throw new DtlsError(AlertDescription.unexpected_message, `${HandshakeType[msgType] ?? `message type ${msgType}`} where the client Finished was expected`);
    }
    const verifyData = decodeFinished13(body, HASH_LENGTH[this.kdf.hash]);
    checkFinished13(this.kdf, this.clientHandshakeSecret, this.transcript.hash(this.kdf.provider, this.kdf.hash), verifyData, 'client');
    this.transcript.add(HandshakeType.finished, body);
    return { name: 'established', resumptionMasterSecret: resumptionMasterSecret(this.kdf, this.master, this.transcript.hash(this.kdf.provider, this.kdf.hash)) };
  }
}
