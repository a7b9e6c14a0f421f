/**
 * The DTLS 1.3 handshake transcript (RFC 8446 4.4.1 as RFC 9147 5.2 adapts it): the handshake
 * messages with TLS-style 4-byte headers (msg_type, length), never the DTLS 12-byte ones:
 * message_seq, fragment_offset and fragment_length stay out of the hash, unlike DTLS 1.2. After
 * a HelloRetryRequest the first ClientHello is replaced by a synthetic message_hash message.
 *
 * The messages are kept and hashed on demand (as the 1.2 Transcript does): the hash is known only
 * from the ServerHello or HelloRetryRequest on, and a handshake is a few kilobytes.
 */

import { DecodeError } from '../errors.js';
import type { CryptoProvider, HashAlgorithm } from './provider.js';

/** RFC 8446 4: HandshakeType message_hash(254), the stand-in for ClientHello1 after a HelloRetryRequest. */
export const MESSAGE_HASH_TYPE = 254;

/** The TLS 1.3 handshake header: msg_type(1) || length(3) (RFC 8446 4). */
const TLS_HEADER_LENGTH = 4;
/** The DTLS 1.3 handshake header: msg_type, length, message_seq(2), fragment_offset(3), fragment_length(3) (RFC 9147 5.2). */
const DTLS_HEADER_LENGTH = 12;
const MAX_BODY_LENGTH = 0xffffff;
const MIN_CAPACITY = 256;
const EMPTY = new Uint8Array(0);

function readUint24(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 16) | ((b[at + 1] ?? 0) << 8) | (b[at + 2] ?? 0);
}

/** msg_type || uint24 length || body: a handshake message as TLS 1.3 hashes it (RFC 8446 4). */
export function tlsHandshakeMessage(msgType: number, body: Uint8Array): Uint8Array {
  if (body.length > MAX_BODY_LENGTH) throw new RangeError(`handshake body must be shorter than 2^24 bytes, got ${body.length}`);
  const out = new Uint8Array(TLS_HEADER_LENGTH + body.length);
  out[0] = msgType;
  out[1] = (body.length >>> 16) & 0xff;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, TLS_HEADER_LENGTH);
  return out;
}

/**
 * RFC 9147 5.2: the transcript form of a whole DTLS handshake message (12-byte header + body):
 * the same message with the 4-byte TLS header. Only an unfragmented message has one (offset 0,
 * fragment_length = length, exactly that many body bytes): anything else is a DecodeError, since
 * reassembly must come first.
 */
export function transcriptFormOfDtlsMessage(message: Uint8Array): Uint8Array {
  if (message.length < DTLS_HEADER_LENGTH) {
    throw new DecodeError(`DTLS handshake message must have its 12-byte header, got ${message.length} bytes`);
  }
  const length = readUint24(message, 1);
  const fragmentOffset = readUint24(message, 6);
  const fragmentLength = readUint24(message, 9);
  if (fragmentOffset !== 0 || fragmentLength !== length) {
    throw new DecodeError(`DTLS handshake message is a fragment (offset ${fragmentOffset}, ${fragmentLength} of ${length} bytes)`);
  }
  if (message.length - DTLS_HEADER_LENGTH !== length) {
    throw new DecodeError(`DTLS handshake message says ${length} body bytes but carries ${message.length - DTLS_HEADER_LENGTH}`);
  }
  return tlsHandshakeMessage(message[0] ?? 0, message.subarray(DTLS_HEADER_LENGTH));
}

/**
 * RFC 8446 4.4.1: message_hash || 00 00 Hash.length || Hash(ClientHello1), where ClientHello1 is
 * in transcript form.
 */
export function messageHashMessage(provider: CryptoProvider, hash: HashAlgorithm, clientHello1: Uint8Array): Uint8Array {
  return tlsHandshakeMessage(MESSAGE_HASH_TYPE, provider.hash(hash, clientHello1));
}

export class Transcript13 {
  /** The messages back to back, in transcript form, in one buffer that grows by doubling. */
  private buffer: Uint8Array = EMPTY;
  private length = 0;
  private messages = 0;
  /**
   * The last Transcript-Hash taken and its algorithm, until the next message: a PSK handshake
   * hashes the same messages twice on each side (the client: through the server Finished for the
   * application secrets, then for its own Finished, RFC 8446 7.1 and 4.4.4; the server likewise).
   */
  private lastDigest: Uint8Array | undefined = undefined;
  private lastAlgorithm: HashAlgorithm | undefined = undefined;

  /** Appends one message given by type and body. */
  add(msgType: number, body: Uint8Array): void {
    this.append(tlsHandshakeMessage(msgType, body));
  }

  /** Appends a whole DTLS handshake message, turned into its transcript form (RFC 9147 5.2). */
  addDtlsMessage(message: Uint8Array): void {
    this.append(transcriptFormOfDtlsMessage(message));
  }

  /** Appends a message already in transcript form (4-byte header); DecodeError if its length field disagrees. */
  addTlsMessage(message: Uint8Array): void {
    if (message.length < TLS_HEADER_LENGTH || readUint24(message, 1) !== message.length - TLS_HEADER_LENGTH) {
      throw new DecodeError('handshake message length field does not match its body');
    }
    this.append(message);
  }

  /**
   * RFC 8446 4.4.1: on a HelloRetryRequest, ClientHello1 (the only message so far) is replaced by
   * message_hash(Hash(ClientHello1)) under the hash of the suite the HelloRetryRequest names; the
   * HelloRetryRequest is added after it by the caller. A stateless server rebuilds the same
   * start from the cookie with messageHashMessage.
   */
  replaceClientHelloWithMessageHash(provider: CryptoProvider, hash: HashAlgorithm): void {
    if (this.messages !== 1) {
      throw new RangeError(`message_hash replaces the first ClientHello alone, but the transcript holds ${this.messages} messages`);
    }
    const replacement = messageHashMessage(provider, hash, this.buffer.subarray(0, this.length));
    this.length = 0;
    this.messages = 0;
    this.lastDigest = undefined;
    this.append(replacement);
  }

  /** Transcript-Hash of the messages so far (RFC 8446 4.4.1). */
  hash(provider: CryptoProvider, hash: HashAlgorithm): Uint8Array {
    if (this.lastDigest === undefined || this.lastAlgorithm !== hash) {
      this.lastDigest = provider.hash(hash, this.buffer.subarray(0, this.length));
      this.lastAlgorithm = hash;
    }
    // A copy: a caller may keep or change its digest.
    return this.lastDigest.slice();
  }

  /**
   * Transcript-Hash of the messages so far followed by `partial`, which is not kept: the PSK
   * binder hashes the ClientHello truncated before its binders (RFC 8446 4.2.11.2).
   */
  hashWith(provider: CryptoProvider, hash: HashAlgorithm, partial: Uint8Array): Uint8Array {
    const all = new Uint8Array(this.length + partial.length);
    all.set(this.buffer.subarray(0, this.length));
    all.set(partial, this.length);
    return provider.hash(hash, all);
  }

  /** The messages so far, concatenated (a copy: a signer may keep it). */
  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  /** How many messages the transcript holds (the message_hash counts as one). */
  get messageCount(): number {
    return this.messages;
  }

  /** Bytes the transcript keeps allocated: 0 once released. */
  get retainedBytes(): number {
    return this.buffer.byteLength;
  }

  /** Forgets the messages and frees the buffer once nothing will hash them again. */
  release(): void {
    this.buffer = EMPTY;
    this.length = 0;
    this.messages = 0;
    this.lastDigest = undefined;
  }

  private append(message: Uint8Array): void {
    this.lastDigest = undefined;
    const at = this.length;
    const needed = at + message.length;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, 2 * this.buffer.length, MIN_CAPACITY));
      grown.set(this.buffer.subarray(0, at));
      this.buffer = grown;
    }
    this.buffer.set(message, at);
    this.length = needed;
    this.messages++;
  }
}
