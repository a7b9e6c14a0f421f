import { bytesEqual } from './bytes.js';

/**
 * RFC 9853 4: a return_routability_check message is one rrc_msg_type byte and an 8-byte Cookie.
 *
 *   enum { path_challenge(0), path_response(1), path_drop(2), (255) } rrc_msg_type;
 *   struct { rrc_msg_type msg_type; Cookie cookie; } return_routability_check;   // uint64 Cookie
 */
export enum RrcMessageType {
  path_challenge = 0,
  path_response = 1,
  path_drop = 2,
}

export const RRC_COOKIE_LENGTH = 8;

/**
 * RFC 9853 5.5: with no RTT estimate, T is 1 second. A challenge goes out again when the peer
 * still sends from the unvalidated address a period T after the last one (RFC 9853 5.3: an
 * initiator MAY send several, paced).
 */
export const RRC_CHALLENGE_INTERVAL_MS = 1000;

/** Outstanding challenges per address: enough to cover a few lost ones, never more state. */
const MAX_OUTSTANDING = 4;

export interface RrcMessage {
  readonly type: number;
  readonly cookie: Uint8Array;
}

export function encodeRrcMessage(type: RrcMessageType, cookie: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + RRC_COOKIE_LENGTH);
  out[0] = type;
  out.set(cookie.subarray(0, RRC_COOKIE_LENGTH), 1);
  return out;
}

/**
 * The message of a record's payload, or undefined when it is not 9 bytes. RFC 9853 4: a message
 * of an unknown msg_type is parsed and ignored by the caller (its type is returned as is).
 */
export function decodeRrcMessage(payload: Uint8Array): RrcMessage | undefined {
  if (payload.length !== 1 + RRC_COOKIE_LENGTH) return undefined;
  return { type: payload[0] ?? 0, cookie: payload.slice(1) };
}

/**
 * The initiator's side of the basic check (RFC 9853 5.1) for the peer's current address: the
 * cookies of the challenges sent there, and when the last one went. Moving to another address
 * forgets them, so a response to a challenge sent to an earlier address validates nothing.
 */
export class PathValidation {
  private cookies: Uint8Array[] = [];
  private lastChallengeAt = Number.NEGATIVE_INFINITY;
  private challenges = 0;
  private validations = 0;

  /** The peer moved: challenges to the previous address no longer count. */
  reset(): void {
    this.cookies = [];
    this.lastChallengeAt = Number.NEGATIVE_INFINITY;
  }

  /** Whether a new challenge is due (none yet for this address, or the last one is T old). */
  due(now: number): boolean {
    return now - this.lastChallengeAt >= RRC_CHALLENGE_INTERVAL_MS;
  }

  /** Records a challenge with a fresh cookie (RFC 9853 8: never reused) and returns its message. */
  challenge(cookie: Uint8Array, now: number): Uint8Array {
    this.cookies.push(cookie.slice());
    if (this.cookies.length > MAX_OUTSTANDING) this.cookies.shift();
    this.lastChallengeAt = now;
    this.challenges++;
    return encodeRrcMessage(RrcMessageType.path_challenge, cookie);
  }

  /** Whether a path_response carries one of our outstanding cookies; if so the check is over. */
  answer(cookie: Uint8Array): boolean {
    if (!this.cookies.some((c) => bytesEqual(c, cookie))) return false;
    this.reset();
    this.validations++;
    return true;
  }

  get sent(): number {
    return this.challenges;
  }

  get validated(): number {
    return this.validations;
  }
}
