/**
 * RFC 9147 4.1 — how a DTLS 1.3 endpoint reads the first byte of a record:
 *
 *   - alert(21), handshake(22) or ack(26): a DTLSPlaintext record (the 13-byte header, RFC 9147 4);
 *   - otherwise, leading bits 001 (32..63): a DTLSCiphertext record with the unified header; the
 *     true content type is inside the protected part;
 *   - otherwise: rejected "as if it had failed deprotection" (4.5.2: discarded silently).
 *
 * Figure 5 of 4.1 lists the other values a dual-version endpoint sees: change_cipher_spec(20),
 * application_data(23), heartbeat(24) and tls12_cid(25) are DTLS 1.2 records ("DTLS <1.3"), which
 * a DTLS 1.3 connection rejects; they are told apart so an endpoint serving both versions can
 * route them.
 */
export type Dtls13RecordKind = 'plaintext' | 'ciphertext' | 'dtls12' | 'invalid';

/** The three leading bits of a unified header, 001 (RFC 9147 4 figure 3). */
export const UNIFIED_HEADER_FIXED_BITS = 0b0010_0000;
/** The bits compared with UNIFIED_HEADER_FIXED_BITS. */
export const UNIFIED_HEADER_FIXED_MASK = 0b1110_0000;

/** RFC 9147 4.1 (and figure 5): what a record starting with `firstByte` is. */
export function dtls13RecordKind(firstByte: number): Dtls13RecordKind {
  if (firstByte === 21 || firstByte === 22 || firstByte === 26) return 'plaintext';
  if ((firstByte & UNIFIED_HEADER_FIXED_MASK) === UNIFIED_HEADER_FIXED_BITS) return 'ciphertext';
  if (firstByte === 20 || firstByte === 23 || firstByte === 24 || firstByte === 25) return 'dtls12';
  return 'invalid';
}
