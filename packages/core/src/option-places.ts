/**
 * Where each option belongs, for both runtimes. Their entry points (@dtls-kit/nonblocking's
 * connect() and createServer(), @dtls-kit/blocking's createBlockingServer() and
 * runBlockingClient()) take one options object, as node:tls does; an option given in the wrong
 * place (a server option to a client, a credential helper's option such as `ca` next to `x509`)
 * would otherwise be ignored without a word, leaving a server that does not check what its author
 * thinks it checks. Every key is looked up and a misplaced or unknown one is a TypeError that says
 * where it goes.
 *
 * The engine's keys are tables typed as exactly the keys of its option types, so that adding an
 * option to a type without adding it here (or the reverse) does not compile: the runtimes build
 * their tables from these and cannot drift from the engine either.
 */
import type { ClientOptions, DtlsOptions, ServerOptions } from './config.js';

/** Every key of T, each exactly once. */
export type OptionKeyTable<T> = { readonly [K in keyof Required<T>]: true };

/** The engine's options of both sides (DtlsOptions). */
const ENGINE_COMMON_OPTION_KEYS = {
  provider: true,
  cipherSuites: true,
  mtu: true,
  retransmit: true,
  handshakeTimeoutMs: true,
  replayWindowSize: true,
  requireExtendedMasterSecret: true,
  requireEncryptThenMac: true,
  encryptThenMac: true,
  groups: true,
  chacha20MaskCounter: true,
  maxHandshakeMessageLength: true,
  maxHeldRecordBytes: true,
  ALPNProtocols: true,
  connectionId: true,
  maxUnvalidatedHeldBytes: true,
  keyUpdate: true,
  sessionTickets: true,
  srtpProfiles: true,
  recordSizeLimit: true,
  minVersion: true,
  maxVersion: true,
} as const satisfies OptionKeyTable<DtlsOptions>;

/** The engine's client options (ClientOptions). */
export const ENGINE_CLIENT_OPTION_KEYS = {
  ...ENGINE_COMMON_OPTION_KEYS,
  psk: true,
  x509: true,
  servername: true,
  session: true,
  srtpMki: true,
  maxFragmentLength: true,
} as const satisfies OptionKeyTable<ClientOptions>;

/** The engine's server options (ServerOptions). */
export const ENGINE_SERVER_OPTION_KEYS = {
  ...ENGINE_COMMON_OPTION_KEYS,
  psk: true,
  x509: true,
  cookieRotationMs: true,
  cookieSecret: true,
  maxPskIdentityLength: true,
  SNICallback: true,
  ALPNCallback: true,
  sessionStore: true,
  sessionCacheSize: true,
  sessionTimeout: true,
  ticketKeys: true,
} as const satisfies OptionKeyTable<ServerOptions>;

/** Another entry point whose options are told apart from this one's ("a server option"). */
export interface OtherOptionPlace {
  /** The entry point, as the messages name it: 'createServer()'. */
  readonly fn: string;
  /** How its options are called in the message: 'a server option'. */
  readonly described: string;
  readonly accepted: ReadonlySet<string>;
}

/** An entry point's options: the keys it takes, and where the others belong. */
export interface OptionPlaces {
  /** The entry point, as the messages name it: 'connect()'. */
  readonly fn: string;
  readonly accepted: ReadonlySet<string>;
  /**
   * Where `key` (given as `value`) belongs, as advice that follows `fn: `; undefined when there is
   * none. Asked before `others`, so that it can say more than "give it to ...".
   */
  readonly elsewhere: (key: string, value: unknown) => string | undefined;
  /** Entry points that take options this one does not: an option of theirs is sent there. */
  readonly others: readonly OtherOptionPlace[];
}

/**
 * Throws a TypeError for the first key of `options` that the entry point does not take, saying
 * where it belongs (or, for an unknown key such as a typo, listing what it takes). Keys whose value
 * is undefined are let through: they set nothing (a spread of optional settings). Only own
 * enumerable keys are looked at, as a spread would: inherited names are not options.
 */
export function checkOptionPlaces(options: object, places: OptionPlaces): void {
  const { fn } = places;
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || places.accepted.has(key)) continue;
    const advice = places.elsewhere(key, value);
    if (advice !== undefined) throw new TypeError(`${fn}: ${advice}`);
    const other = places.others.find((o) => o.accepted.has(key));
    if (other !== undefined) throw new TypeError(`${fn}: \`${key}\` is ${other.described}: give it to ${other.fn}, not ${fn}`);
    throw new TypeError(`${fn}: unknown option \`${key}\`; ${fn} takes ${[...places.accepted].sort().join(', ')}`);
  }
}
