/**
 * Where the HMAC keys of stateless cookies (RFC 6347 4.2.1) come from. RFC 6347 4.2.1 leaves the
 * secret to the server ("Cookie = HMAC(Secret, Client-IP, Client-Parameters)") and asks that it
 * change from time to time, the previous one still accepted for a while. Two sources implement
 * this: random secrets of one process (RandomCookieKeys), and per-period keys derived from a
 * secret several processes share (SharedCookieKeys).
 */
export interface CookieKeys {
  /**
   * The key that makes cookies now. `now`: the caller's (monotonic) clock; `wallNow`: Date.now(),
   * which processes on different machines agree on closely enough to share rotation periods.
   */
  current(now: number, wallNow: number): Uint8Array;
  /**
   * Every key whose cookies verify now, `current` among them. Their number does not depend on
   * the cookie being checked, so verifying takes the same time whichever key (if any) matches.
   */
  accepted(now: number, wallNow: number): readonly Uint8Array[];
}
