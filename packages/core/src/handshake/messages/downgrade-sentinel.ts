import { bytesEqual } from '../../bytes.js';
import { IllegalParameterError } from '../../errors.js';
import { DTLS_1_2, DTLS_1_3 } from '../protocol-version.js';
import { RANDOM_LENGTH } from './client-hello.js';

/*
 * RFC 8446 4.1.3: a server able to negotiate 1.3 that negotiates an older version puts a sentinel
 * in the last 8 bytes of ServerHello.random: "44 4F 57 4E 47 52 44 01" ("DOWNGRD\x01") when it
 * negotiates 1.2, "44 4F 57 4E 47 52 44 00" below 1.2. The random is signed (1.2 ServerKeyExchange)
 * or in the transcript, so an attacker cannot strip it. DTLS 1.2 is TLS 1.2's counterpart, DTLS 1.0
 * TLS 1.1's (RFC 9147 5.3 numbers them 0xfefd and 0xfeff).
 */

/** "DOWNGRD\x01": a 1.3-capable server negotiated (D)TLS 1.2. */
export const DOWNGRADE_TO_1_2 = Uint8Array.of(0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01);
/** "DOWNGRD\x00": a 1.3-capable server negotiated a version below 1.2. */
export const DOWNGRADE_BELOW_1_2 = Uint8Array.of(0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00);

const SENTINEL_LENGTH = 8;

/**
 * The server side: a copy of `random` with the sentinel for `negotiated` in its last 8 bytes, for a
 * server that supports DTLS 1.3 but negotiated an older version; the random unchanged for 1.3.
 */
export function withDowngradeSentinel(random: Uint8Array, negotiated: number): Uint8Array {
  if (random.length !== RANDOM_LENGTH) throw new RangeError(`random: length ${random.length}, not ${RANDOM_LENGTH}`);
  if (negotiated === DTLS_1_3) return random;
  const out = random.slice();
  out.set(negotiated === DTLS_1_2 ? DOWNGRADE_TO_1_2 : DOWNGRADE_BELOW_1_2, RANDOM_LENGTH - SENTINEL_LENGTH);
  return out;
}

/** Which sentinel, if any, ends a ServerHello.random. */
export function downgradeSentinelOf(random: Uint8Array): 'to_1_2' | 'below_1_2' | undefined {
  if (random.length < SENTINEL_LENGTH) return undefined;
  const tail = random.subarray(random.length - SENTINEL_LENGTH);
  if (bytesEqual(tail, DOWNGRADE_TO_1_2)) return 'to_1_2';
  if (bytesEqual(tail, DOWNGRADE_BELOW_1_2)) return 'below_1_2';
  return undefined;
}

/**
 * The client side, for a ServerHello that negotiated `negotiated` (older than 1.3): RFC 8446 4.1.3,
 * "TLS 1.3 clients receiving a ServerHello indicating TLS 1.2 or below MUST check that the last 8
 * bytes are not equal to either of these values. TLS 1.2 clients SHOULD also check that the last 8
 * bytes are not equal to the second value if the ServerHello indicates TLS 1.1 or below. If a match
 * is found, the client MUST abort the handshake with an "illegal_parameter" alert."
 * `offeredDtls13`: whether this client offered DTLS 1.3 in its ClientHello.
 */
export function checkDowngradeSentinel(serverRandom: Uint8Array, negotiated: number, offeredDtls13: boolean): void {
  if (negotiated === DTLS_1_3) return;
  const found = downgradeSentinelOf(serverRandom);
  if (found === undefined) return;
  if (offeredDtls13 || (found === 'below_1_2' && negotiated !== DTLS_1_2)) {
    throw new IllegalParameterError(
      `ServerHello.random ends in the downgrade sentinel DOWNGRD\\x0${found === 'to_1_2' ? 1 : 0}: a version downgrade (RFC 8446 4.1.3)`,
    );
  }
}
