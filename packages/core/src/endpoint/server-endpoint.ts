import type { DropReason } from '../server-stats.js';
import type { ServerOptions } from '../config.js';
import { DtlsConnection } from '../connection.js';
import { resolveServerOptions, type ResolvedServerOptions } from '../options.js';
import { CookieCheck, type VerifiedClientHello, type VerifyResult } from './cookie-check.js';
import { cookieCheckVersionOptions } from './dtls13-default-policy.js';

export type { VerifiedClientHello, VerifyResult };

/** What the endpoint decided about a datagram from a peer that has no connection yet. */
export type EndpointResult =
  /** Nothing to do: not a ClientHello, malformed, or otherwise not worth an answer. */
  | { readonly type: 'drop'; readonly reason: string; readonly code: DropReason }
  /** Send this datagram back (a HelloVerifyRequest or an alert) and forget the peer. */
  | { readonly type: 'reply'; readonly datagram: Uint8Array }
  /** The cookie verified: a new connection that has already consumed the datagram. */
  | { readonly type: 'accept'; readonly connection: DtlsConnection };

/**
 * The stateless front door of a DTLS server (RFC 6347 4.2.1). A ClientHello without a valid
 * cookie gets a HelloVerifyRequest and leaves nothing behind; only a ClientHello whose cookie
 * proves the client receives at its address creates a connection. The reply is never larger
 * than the datagram that caused it, so a spoofed source cannot use us to amplify.
 */
export class ServerEndpoint {
  readonly options: ResolvedServerOptions;
  private readonly check: CookieCheck;

  constructor(options: ServerOptions) {
    this.options = resolveServerOptions(options);
    this.check = new CookieCheck({
      provider: this.options.provider,
      cookieRotationMs: this.options.cookieRotationMs,
      cookieSecret: this.options.cookieSecret,
      // RFC 8446 4.2.1: DTLS 1.3 for a client that offers it when maxVersion allows (dtls13-default-policy.ts).
      ...cookieCheckVersionOptions(this.options),
    });
  }

  /**
   * Handles a datagram from `peer` (any stable text naming the address and port, such as
   * "127.0.0.1:5684") for which no connection exists. `wallNow`: Date.now() when `now` is a
   * monotonic clock (session ages are wall-clock).
   */
  handle(datagram: Uint8Array, peer: string, now: number, wallNow: number = now): EndpointResult {
    const result = this.verify(datagram, peer, now, wallNow);
    if (result.type !== 'verified') return result;
    return { type: 'accept', connection: DtlsConnection.acceptVerified(this.options, result.hello, now, undefined, wallNow) };
  }

  /**
   * The cookie exchange only (CookieCheck.verify): answers or drops like handle(), but for a
   * verified ClientHello hands back what DtlsConnection.acceptVerified needs instead of building
   * the connection. `wallNow`: as handle()'s (a shared cookieSecret's periods are wall-clock).
   */
  verify(datagram: Uint8Array, peer: string, now: number, wallNow: number = now): VerifyResult {
    return this.check.verify(datagram, peer, now, wallNow);
  }

  /**
   * Replaces the shared cookie secret (see CookieCheck.setCookieSecrets): `secrets[0]` makes
   * cookies, the others and the keys used until now still verify for a while. `wallNow`: Date.now().
   */
  setCookieSecrets(secrets: readonly Uint8Array[], wallNow: number): void {
    this.check.setCookieSecrets(secrets, wallNow);
  }
}
