import type { CryptoProvider } from '../crypto/provider.js';
import { DecodeError } from '../errors.js';
import { type ClientSession, decodeClientSession } from './client-session.js';
import { type ClientSession13, CLIENT_SESSION_13_FORMAT, decodeClientSession13 } from './client-session-13.js';
import { DEFAULT_SESSION_CACHE_SIZE, MemorySessionStore, type SessionStore } from './session-store.js';
import { TicketKeySet } from './ticket-keys.js';

/** node:tls `sessionTimeout` default: 300 s. */
export const DEFAULT_SESSION_TIMEOUT_S = 300;

/** A server's resumption settings, resolved (see ServerOptions). */
export interface ResolvedServerSessionOptions {
  /** Sessions by ID (RFC 5246 7.4.1.2); undefined when `sessionStore: false`. */
  readonly sessionStore: SessionStore | undefined;
  /** Ticket keys (RFC 5077); undefined when `sessionTickets: false`. */
  readonly ticketKeys: TicketKeySet | undefined;
  /** How long a session may be resumed after its full handshake, in wall-clock ms. */
  readonly sessionLifetimeMs: number;
}

/** A client's resumption settings, resolved (see ClientOptions). */
export interface ResolvedClientSessionOptions {
  /** The session to offer (connect({ session })). */
  readonly session: ClientSession | undefined;
  /** A DTLS 1.3 session to offer instead (its ticket as a resumption PSK, RFC 8446 2.2). */
  readonly session13: ClientSession13 | undefined;
  /** The label prefix of DTLS 1.3 resumption PSKs (ClientOptions.ticketPskLabel). */
  readonly ticketPskLabel: 'dtls13' | 'tls13';
  /** Ask for a ticket (an empty session_ticket extension, RFC 5077 3.2). */
  readonly sessionTickets: boolean;
}

function isStore(v: unknown): v is SessionStore {
  if (typeof v !== 'object' || v === null) return false;
  return ['get', 'set', 'delete'].every((m) => typeof Reflect.get(v, m) === 'function');
}

/** On by default (node:tls, OpenSSL): a bounded in-memory cache and tickets under a random key. */
export function resolveServerSessionOptions(
  options: {
    sessionTickets?: boolean;
    sessionStore?: SessionStore | false;
    sessionCacheSize?: number;
    sessionTimeout?: number;
    ticketKeys?: Uint8Array | readonly Uint8Array[];
  },
  provider: CryptoProvider,
): ResolvedServerSessionOptions {
  const timeout = options.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT_S;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new RangeError(`sessionTimeout must be a positive number of seconds (got ${String(options.sessionTimeout)})`);
  }
  const store = options.sessionStore;
  if (store !== undefined && store !== false && !isStore(store)) throw new TypeError('sessionStore must have get, set and delete methods, or be false');
  if (store !== undefined && options.sessionCacheSize !== undefined) {
    throw new TypeError('sessionCacheSize sizes the default in-memory store: give it or sessionStore, not both');
  }
  const tickets = options.sessionTickets ?? true;
  if (!tickets && options.ticketKeys !== undefined) throw new TypeError('ticketKeys given with sessionTickets: false');
  const keys = options.ticketKeys;
  return {
    sessionStore: store === false ? undefined : (store ?? new MemorySessionStore(options.sessionCacheSize ?? DEFAULT_SESSION_CACHE_SIZE)),
    ticketKeys: !tickets ? undefined : keys === undefined ? TicketKeySet.random(provider) : new TicketKeySet(provider, keys instanceof Uint8Array ? [keys] : keys),
    sessionLifetimeMs: timeout * 1000,
  };
}

/** The session handed to connect(): TypeError for bytes getSession() did not make. */
export function resolveClientSessionOptions(options: { session?: Uint8Array; sessionTickets?: boolean; ticketPskLabel?: 'dtls13' | 'tls13' }): ResolvedClientSessionOptions {
  const label = options.ticketPskLabel ?? 'dtls13';
  if (label !== 'dtls13' && label !== 'tls13') throw new TypeError(`ticketPskLabel must be 'dtls13' or 'tls13' (got ${String(label)})`);
  const bytes = options.session;
  let session: ClientSession | undefined;
  let session13: ClientSession13 | undefined;
  if (bytes !== undefined) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('session must be the Buffer getSession() returned');
    try {
      // The first byte tells a DTLS 1.3 session (client-session-13.ts) from a DTLS 1.2 one.
      if (bytes[0] === CLIENT_SESSION_13_FORMAT) session13 = decodeClientSession13(bytes);
      else session = decodeClientSession(bytes);
    } catch (err) {
      if (err instanceof DecodeError) throw new TypeError(`session is not one getSession() returned: ${err.message}`);
      throw err;
    }
  }
  return { session, session13, sessionTickets: options.sessionTickets ?? true, ticketPskLabel: label };
}
