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
/** The DTLS handshake header each message is hashed with (RFC 6347 4.2.2). */
const HEADER_LENGTH = 12;
/** The first allocation: a PSK server's ClientHello, ServerHello and ServerHelloDone fit. */
const MIN_CAPACITY = 256;
const EMPTY = new Uint8Array(0);

export class Transcript {
  /**
   * The messages, back to back, in one buffer that grows by doubling. One buffer rather than a
   * header and a body per message: a typed array costs ~180 bytes of heap before its first byte,
   * and a server holds a transcript for every half-open handshake.
   */
  private buffer: Uint8Array = EMPTY;
  private length = 0;
  /**
   * The last digest taken and its algorithm, until the next message: a full handshake hashes the
   * same messages twice (RFC 7627 4's session_hash through the ClientKeyExchange, then the client
   * Finished over those same messages, RFC 5246 7.4.9, when no CertificateVerify comes between).
   */
  private lastDigest: Uint8Array | undefined = undefined;
  private lastAlgorithm: HashAlgorithm | undefined = undefined;

  /** Appends one whole message: msg_type, length, message_seq, offset 0, fragment_length = length, body. */
  add(msgType: number, messageSeq: number, body: Uint8Array): void {
    const len = body.length;
    this.lastDigest = undefined;
    const at = this.reserve(HEADER_LENGTH + len);
    const b = this.buffer;
    b[at] = msgType;
    b[at + 1] = b[at + 9] = (len >>> 16) & 0xff;
    b[at + 2] = b[at + 10] = (len >>> 8) & 0xff;
    b[at + 3] = b[at + 11] = len & 0xff;
    b[at + 4] = (messageSeq >>> 8) & 0xff;
    b[at + 5] = messageSeq & 0xff;
    // fragment_offset = 0 (bytes 6..8); fragment_length = length (bytes 9..11, above)
    b[at + 6] = b[at + 7] = b[at + 8] = 0;
    b.set(body, at + HEADER_LENGTH);
  }

  /** Forgets everything (RFC 6347 4.2.6: after a HelloVerifyRequest the transcript starts over). */
  reset(): void {
    this.length = 0;
    this.lastDigest = undefined;
  }

  /**
   * Forgets everything and frees the buffer: the handshake is over, both Finished messages are
   * computed, and nothing hashes or signs the transcript again (renegotiation is refused), so an
   * established connection does not carry its handshake's messages for life.
   */
  release(): void {
    this.buffer = EMPTY;
    this.length = 0;
    this.lastDigest = undefined;
  }

  /** Bytes the transcript keeps allocated (its buffer's capacity): 0 once released. */
  get retainedBytes(): number {
    return this.buffer.byteLength;
  }

  /** The digest of the messages so far; a copy each time, so a caller may keep or change it. */
  hash(provider: CryptoProvider, algorithm: HashAlgorithm): Uint8Array {
    if (this.lastDigest === undefined || this.lastAlgorithm !== algorithm) {
      this.lastDigest = provider.hash(algorithm, this.buffer.subarray(0, this.length));
      this.lastAlgorithm = algorithm;
    }
    return this.lastDigest.slice();
  }

  /**
   * The messages so far, concatenated: what a CertificateVerify signs (RFC 5246 7.4.8). A copy,
   * since a signer may keep it while the handshake goes on.
   */
  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  /** Makes room for `n` more bytes; returns where they start. */
  private reserve(n: number): number {
    const at = this.length;
    const needed = at + n;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, 2 * this.buffer.length, MIN_CAPACITY));
      grown.set(this.buffer.subarray(0, at));
      this.buffer = grown;
    }
    this.length = needed;
    return at;
  }
}
