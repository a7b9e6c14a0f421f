import { concatBytes } from '../../bytes.js';
import type { CryptoProvider, HashAlgorithm } from '../../crypto/provider.js';

/**
 * The handshake transcript (RFC 5246 7.4.9 handshake_messages, as amended by RFC 6347 4.2.6):
 * every handshake message from the ClientHello that carries the cookie onward, each hashed
 * with its 12-byte DTLS header as if it had been sent in one fragment. The first ClientHello
 * and the HelloVerifyRequest are left out.
 *
 * The PRF hash is not known until the ServerHello, and a handshake is a few kilobytes, so the
 * messages are kept and hashed on demand rather than fed to a running hash.
 */
export class Transcript {
  private readonly messages: Uint8Array[] = [];

  /** Appends one whole message: msg_type, length, message_seq, offset 0, fragment_length = length, body. */
  add(msgType: number, messageSeq: number, body: Uint8Array): void {
    const header = new Uint8Array(12);
    const len = body.length;
    header[0] = msgType;
    header[1] = (len >>> 16) & 0xff;
    header[2] = (len >>> 8) & 0xff;
    header[3] = len & 0xff;
    header[4] = (messageSeq >>> 8) & 0xff;
    header[5] = messageSeq & 0xff;
    // fragment_offset = 0 (bytes 6..8), fragment_length = length
    header[9] = header[1];
    header[10] = header[2];
    header[11] = header[3];
    this.messages.push(header, body);
  }

  /** Forgets everything (RFC 6347 4.2.6: after a HelloVerifyRequest the transcript starts over). */
  reset(): void {
    this.messages.length = 0;
  }

  hash(provider: CryptoProvider, algorithm: HashAlgorithm): Uint8Array {
    return provider.hash(algorithm, this.bytes());
  }

  /** The messages so far, concatenated: what a CertificateVerify signs (RFC 5246 7.4.8). */
  bytes(): Uint8Array {
    return concatBytes(...this.messages);
  }
}
