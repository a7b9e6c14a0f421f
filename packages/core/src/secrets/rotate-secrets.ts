/**
 * The rotation rule of a shared secrets file (`dtls-kit secrets --rotate`), chosen so that what is
 * in flight survives one rotation:
 *
 * - Session tickets (RFC 5077 4): a new ticket key goes first (it seals from now on) and at most
 *   `keep` older keys stay (they still open the tickets they sealed). A ticket therefore resumes
 *   through `keep` rotations: rotate no more often than the ticket lifetime (`sessionTimeout`,
 *   default 300 s) divided by `keep`, and a ticket is never turned down before it expires.
 * - Cookies (RFC 6347 4.2.1): a new cookie secret becomes current and the old one moves to
 *   `previousCookieSecret` (still accepted everywhere). The one it pushes out must have been
 *   previous for `cookieGraceMs` (two cookie periods and the time processes take to see the file,
 *   so no cookie made with it is still in flight); until then the cookie secrets are kept as they
 *   are and only the ticket keys rotate.
 */
import { TICKET_KEY_LENGTH, MAX_TICKET_KEYS } from '../session/ticket-keys.js';
import { MIN_COOKIE_SECRET_LENGTH } from '../endpoint/shared-cookie-keys.js';
import type { SharedSecrets } from './secrets-file.js';

/** Older ticket keys kept by default: a ticket survives two rotations. */
export const DEFAULT_KEPT_TICKET_KEYS = 2;
/** Default grace of a previous cookie secret: 3 minutes (2 default cookie periods of 60 s, and a minute to see the file). */
export const DEFAULT_COOKIE_GRACE_MS = 180_000;

export interface RotateOptions {
  /** Random bytes (node:crypto's randomBytes, or a provider's). */
  readonly random: (length: number) => Uint8Array;
  /** Now, ms since 1970. */
  readonly now: number;
  /** Older ticket keys to keep, 0..15. Default 2. */
  readonly keep?: number;
  /** How long the cookie secret must have been current before it is replaced. Default 180 000 ms. */
  readonly cookieGraceMs?: number;
}

export interface Rotation {
  readonly secrets: SharedSecrets;
  /** Whether the cookie secret was replaced (false: it is younger than the grace period). */
  readonly cookieRotated: boolean;
  /** Ticket keys dropped (their tickets now lead to full handshakes). */
  readonly ticketKeysDropped: number;
}

/** New secrets: a fresh file's (one ticket key, one cookie secret). */
export function newSecrets(random: (length: number) => Uint8Array, now: number): SharedSecrets {
  return {
    cookieSecret: random(MIN_COOKIE_SECRET_LENGTH),
    previousCookieSecret: undefined,
    cookieSecretSince: now,
    ticketKeys: [random(TICKET_KEY_LENGTH)],
  };
}

/** The secrets after one rotation (see the rule above). RangeError for a bad `keep` or grace. */
export function rotateSecrets(old: SharedSecrets, options: RotateOptions): Rotation {
  const keep = options.keep ?? DEFAULT_KEPT_TICKET_KEYS;
  if (!Number.isInteger(keep) || keep < 0 || keep > MAX_TICKET_KEYS - 1) throw new RangeError(`keep must be 0..${MAX_TICKET_KEYS - 1} older ticket keys (got ${String(keep)})`);
  const grace = options.cookieGraceMs ?? DEFAULT_COOKIE_GRACE_MS;
  if (!Number.isInteger(grace) || grace < 0) throw new RangeError(`the cookie grace period must be a whole number of ms >= 0 (got ${String(grace)})`);
  const ticketKeys = [options.random(TICKET_KEY_LENGTH), ...old.ticketKeys.slice(0, keep)];
  const ticketKeysDropped = old.ticketKeys.length - (ticketKeys.length - 1);
  // The current secret's age is how long the previous one has been previous.
  const since = old.cookieSecretSince;
  const cookieRotated = old.previousCookieSecret === undefined || since === undefined || options.now - since >= grace;
  const secrets: SharedSecrets = cookieRotated
    ? { cookieSecret: options.random(MIN_COOKIE_SECRET_LENGTH), previousCookieSecret: old.cookieSecret, cookieSecretSince: options.now, ticketKeys }
    : { ...old, ticketKeys };
  return { secrets, cookieRotated, ticketKeysDropped };
}
