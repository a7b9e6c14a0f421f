/**
 * Where each option belongs. connect() and createServer() take one options object, as node:tls
 * does; an option given in the wrong place (a server option to connect(), a credential helper's
 * option such as `ca` next to `x509`) used to be ignored without a word, leaving a server that
 * does not check what its author thinks it checks. Every key is looked up here and a misplaced or
 * unknown one is a TypeError that says where it goes.
 *
 * The tables of accepted keys are typed as exactly the keys of the option types, so adding an
 * option to a type without adding it here (or the reverse) does not compile: they cannot drift.
 */
import type { ClientOptions, DtlsOptions, ServerOptions } from '@dtls-kit/core';
import type { ConnectOptions, ServerRuntimeOptions } from './options.js';

/** Every key of T, each exactly once. */
type KeyTable<T> = { readonly [K in keyof Required<T>]: true };

/** The engine's options of both sides (@dtls-kit/core DtlsOptions). */
const ENGINE_COMMON = {
  provider: true,
  cipherSuites: true,
  mtu: true,
  retransmit: true,
  handshakeTimeoutMs: true,
  replayWindowSize: true,
  requireExtendedMasterSecret: true,
  groups: true,
  maxHandshakeMessageLength: true,
  maxHeldRecordBytes: true,
  ALPNProtocols: true,
  connectionId: true,
  maxUnvalidatedHeldBytes: true,
} as const satisfies KeyTable<DtlsOptions>;

/** The engine's client options (@dtls-kit/core ClientOptions). */
const ENGINE_CLIENT = {
  ...ENGINE_COMMON,
  psk: true,
  x509: true,
  servername: true,
} as const satisfies KeyTable<ClientOptions>;

/** The engine's server options (@dtls-kit/core ServerOptions). */
const ENGINE_SERVER = {
  ...ENGINE_COMMON,
  psk: true,
  x509: true,
  cookieRotationMs: true,
  maxPskIdentityLength: true,
  SNICallback: true,
  ALPNCallback: true,
} as const satisfies KeyTable<ServerOptions>;

/** This runtime's own connect() options (not passed to the engine). */
const RUNTIME_CLIENT = {
  idleTimeoutMs: true,
  maxBufferedBytes: true,
  keylog: true,
  host: true,
  port: true,
  type: true,
  localAddress: true,
  localPort: true,
  signal: true,
} as const satisfies KeyTable<Omit<ConnectOptions, keyof ClientOptions>>;

/** This runtime's own createServer() options (not passed to the engine). */
const RUNTIME_SERVER = {
  idleTimeoutMs: true,
  maxBufferedBytes: true,
  keylog: true,
  type: true,
  ipv6Only: true,
  recvBufferSize: true,
  sendBufferSize: true,
  maxConnections: true,
  maxHandshakes: true,
  maxHandshakesPerAddress: true,
} as const satisfies KeyTable<Omit<ServerRuntimeOptions, keyof ServerOptions>>;

/** Keys the runtime consumes itself and keeps from the engine (see engineOptions). */
export const RUNTIME_KEYS: readonly string[] = [...new Set([...Object.keys(RUNTIME_CLIENT), ...Object.keys(RUNTIME_SERVER)])];

const CONNECT_KEYS: ReadonlySet<string> = new Set([...Object.keys(ENGINE_CLIENT), ...Object.keys(RUNTIME_CLIENT)]);
const SERVER_KEYS: ReadonlySet<string> = new Set([...Object.keys(ENGINE_SERVER), ...Object.keys(RUNTIME_SERVER)]);

/**
 * Options that belong to something other than connect()/createServer() themselves: the credential
 * helpers' options (node:tls takes them flat; here they go inside `x509:`/`psk:`) and node:tls's names
 * for ours. `client`/`server`: the advice
 * for connect() and for createServer().
 */
const ELSEWHERE: ReadonlyMap<string, { readonly client: string; readonly server: string }> = new Map(Object.entries({
  ca: { client: '`ca` is an option of `x509Client()`: connect({ x509: x509Client({ ca }) })', server: '`ca` is an option of `x509Server()`: createServer({ x509: x509Server({ key, cert, ca, requestCert: true }) })' },
  cert: { client: '`cert` is an option of `x509Client()`: connect({ x509: x509Client({ ca, key, cert }) })', server: '`cert` is an option of `x509Server()`: createServer({ x509: x509Server({ key, cert }) })' },
  key: {
    client: '`key` is an option of `x509Client()` (a certificate key) or `pskClient()` (a pre-shared key): connect({ x509: x509Client({ ca, key, cert }) }) or connect({ psk: pskClient({ identity, key }) })',
    server: '`key` is an option of `x509Server()`: createServer({ x509: x509Server({ key, cert }) }); pre-shared keys go in `pskServer({ keys })`',
  },
  passphrase: { client: '`passphrase` is an option of `x509Client()`', server: '`passphrase` is an option of `x509Server()`' },
  rejectUnauthorized: { client: '`rejectUnauthorized` is an option of `x509Client()`', server: '`rejectUnauthorized` is an option of `x509Server()`' },
  requestCert: { client: '`requestCert` is a server option, of `x509Server()`', server: '`requestCert` is an option of `x509Server()`: createServer({ x509: x509Server({ key, cert, ca, requestCert: true }) })' },
  checkServerIdentity: { client: '`checkServerIdentity` is an option of `x509Client()`', server: '`checkServerIdentity` is a client option, of `x509Client()`' },
  sigalgs: { client: '`sigalgs` is an option of `x509Client()`', server: '`sigalgs` is an option of `x509Server()`' },
  securityLevel: { client: '`securityLevel` is an option of `x509Client()`', server: '`securityLevel` is an option of `x509Server()`' },
  identity: { client: '`identity` is an option of `pskClient()`: connect({ psk: pskClient({ identity, key }) })', server: '`identity` is a client option, of `pskClient()`; a server takes `pskServer({ keys })`' },
  keys: { client: '`keys` is a server option, of `pskServer()`', server: '`keys` is an option of `pskServer()`: createServer({ psk: pskServer({ keys }) })' },
  pskIdentityHint: { client: '`pskIdentityHint` is a server option, of `pskServer()`', server: '`pskIdentityHint` is an option of `pskServer()`' },
  hint: { client: 'a PSK identity hint is a server option, `pskIdentityHint` of `pskServer()`', server: 'a PSK identity hint is `pskIdentityHint`, an option of `pskServer()`' },
  pskCallback: { client: '`pskCallback` is an option of `pskClient()`: connect({ psk: pskClient({ pskCallback }) })', server: '`pskCallback` is an option of `pskServer()`: createServer({ psk: pskServer({ pskCallback }) })' },
  ciphers: { client: 'node:tls `ciphers` is `cipherSuites` here', server: 'node:tls `ciphers` is `cipherSuites` here' },
}));

/**
 * Throws a TypeError for the first key of `options` that connect() (`side` 'client') or
 * createServer() ('server') does not take, saying where it belongs. Keys whose value is undefined
 * are let through: they set nothing (a spread of optional settings).
 */
export function checkOptionPlaces(options: object, side: 'client' | 'server'): void {
  const own = side === 'client' ? CONNECT_KEYS : SERVER_KEYS;
  const other = side === 'client' ? SERVER_KEYS : CONNECT_KEYS;
  const fn = side === 'client' ? 'connect()' : 'createServer()';
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || own.has(key)) continue;
    if (other.has(key)) {
      throw new TypeError(
        side === 'client'
          ? `${fn}: \`${key}\` is a server option: give it to createServer(), not connect()`
          : `${fn}: \`${key}\` is a client option: give it to connect(), not createServer()${key === 'host' || key === 'port' ? ' (a server takes its address in listen(port, host))' : ''}`,
      );
    }
    const elsewhere = ELSEWHERE.get(key);
    if (elsewhere !== undefined) throw new TypeError(`${fn}: ${elsewhere[side]}`);
    throw new TypeError(`${fn}: unknown option \`${key}\`; ${fn} takes ${[...own].sort().join(', ')}`);
  }
}
