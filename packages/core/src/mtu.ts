import { MAX_PLAINTEXT_LENGTH, RECORD_HEADER_LENGTH } from './record/record-header.js';
import type { CipherSuite } from './suites/cipher-suite.js';

/*
 * The MTU option (`mtu`) is the largest UDP payload we send. "Each DTLS record MUST fit within a
 * single datagram" (RFC 6347 4.1.1), so one send() is one record in one datagram, and the largest
 * message is the MTU less what a record adds around its payload. RFC 6347 4.1.1.1 (RFC 4347
 * 4.1.1): implementations "SHOULD provide a way for applications to determine ... the maximum
 * application datagram size, which is the PMTU minus the DTLS per-record overhead" (ours is
 * `maxPayload`), and "If the application attempts to send a record larger than the MTU, the DTLS
 * implementation SHOULD generate an error, thus avoiding sending a packet which will be
 * fragmented" (ours is a RangeError that names the limit and where it comes from).
 */

/**
 * Default MTU: 1200 bytes of UDP payload fit the IPv6 minimum link MTU (RFC 8200 5: 1280 bytes,
 * less 40 of IPv6 and 8 of UDP header = 1232) with room to spare for tunnels, so a datagram of
 * this size crosses any path without IP fragmentation.
 */
export const DEFAULT_MTU = 1200;

/**
 * The smallest MTU accepted, by the engine and by the CLI's --mtu. The largest record the
 * handshake sends whole is the server's HelloVerifyRequest (RFC 6347 4.2.1): 13 bytes of record
 * header + 12 of handshake header + 2 (server_version) + 1 + a 32-byte cookie = 60 bytes. Every
 * other handshake message is fragmented to fit (RFC 6347 4.2.3), and at 64 a fragment still has
 * room with the heaviest suites (AES-GCM and AES-CCM: 13 + 8-byte explicit nonce + 16-byte tag =
 * 37 bytes of record overhead; 64 - 37 - 12 = 15 bytes, so a 12-byte Finished goes whole), as
 * does an encrypted alert (37 + 2 bytes). A connection ID the peer asks for adds its length + 1
 * to each of our encrypted records (RFC 9146 4): at 64 the handshake has room for a peer CID of
 * up to 13 bytes with those suites (18 with ChaCha20-Poly1305 or AES-CCM-8).
 */
export const MIN_MTU = 64;

/** The largest UDP payload over IPv4: 65535 - 20 (IPv4 header) - 8 (UDP header). */
export const MAX_MTU = 65_507;

/**
 * Bytes one encrypted record of `suite` adds around its payload: the header (RFC 6347 4.1), the
 * explicit nonce and the AEAD tag (RFC 5246 6.2.3.3), and with a connection ID of
 * `connectionIdLength` bytes in our records (the one the peer asked for) the CID and the inner
 * content type (RFC 9146 4; we add no padding). What RecordLayer.overhead() says of an epoch
 * once its keys are in place, before a connection exists (e.g. to check a message up front).
 */
export function recordOverhead(suite: CipherSuite, connectionIdLength = 0): number {
  const cid = connectionIdLength > 0 ? connectionIdLength + 1 : 0;
  return RECORD_HEADER_LENGTH + cid + suite.recordIvLength + suite.tagLength;
}

/**
 * The largest application message that fits one datagram of `mtu` bytes when a record adds
 * `overhead` bytes: at most 2^14 (RFC 5246 6.2.1, a record's plaintext), or the peer's record
 * size limit `recordLimit` when smaller (RFC 8449 4, RFC 6066 4), at least 0.
 */
export function maxPayloadFor(mtu: number, overhead: number, recordLimit: number = MAX_PLAINTEXT_LENGTH): number {
  return Math.max(0, Math.min(MAX_PLAINTEXT_LENGTH, recordLimit, mtu - overhead));
}

/** Where a connection's payload limit comes from, to say so when a send() is too large. */
export interface PayloadLimit {
  readonly mtu: number;
  /** The negotiated suite's IANA name. */
  readonly suite: string;
  /** Bytes a record of the current write epoch adds (see recordOverhead). */
  readonly overhead: number;
  /** The length of the peer's connection ID our records carry (0: none). */
  readonly connectionIdLength: number;
  /**
   * DTLS 1.3 records (RFC 9147 4): the CID costs its own length only, the inner content type is
   * in every record; a DTLS 1.2 tls12_cid record adds that byte for the CID (RFC 9146 4).
   */
  readonly dtls13?: boolean;
  /** The peer's record size limit and the extension that set it, when one was negotiated. */
  readonly recordLimit?: { readonly send: number; readonly extension: string };
}

/** The RangeError of a send() of `size` bytes past the limit: the limit, and where it comes from. */
export function payloadTooLarge(size: number, limit: PayloadLimit): RangeError {
  const recordLimit = limit.recordLimit;
  const max = maxPayloadFor(limit.mtu, limit.overhead, recordLimit?.send);
  if (recordLimit !== undefined && max === recordLimit.send) {
    return new RangeError(
      `send() of ${size} bytes: the peer accepts records of at most ${max} bytes (its ${recordLimit.extension}, ` +
        `${recordLimit.extension === 'record_size_limit' ? 'RFC 8449 4' : 'RFC 6066 4'}); split the message`,
    );
  }
  if (max === MAX_PLAINTEXT_LENGTH) {
    return new RangeError(`send() of ${size} bytes: a DTLS record carries at most ${MAX_PLAINTEXT_LENGTH} bytes (RFC 5246 6.2.1); split the message`);
  }
  const cidBytes = limit.connectionIdLength + (limit.dtls13 === true ? 0 : 1);
  const cid = limit.connectionIdLength > 0 ? `, ${cidBytes} of them for the peer's ${limit.connectionIdLength}-byte connection ID` : '';
  return new RangeError(
    `send() of ${size} bytes: at most ${max} bytes fit one datagram at mtu ${limit.mtu} with ${limit.suite} ` +
      `(${limit.overhead} bytes of record overhead${cid}); split the message, or raise mtu if the path carries larger datagrams`,
  );
}
