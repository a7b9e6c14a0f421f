/**
 * Where each option of connect() and createServer() belongs (issue 14): the engine's keys and the
 * check itself are @dtls-kit/core's (the same as @dtls-kit/blocking's); this runtime adds its own
 * keys, typed against its option types so that the tables cannot drift, and its advice.
 */
import { type ClientOptions, type ServerOptions } from '@dtls-kit/core';
import { checkOptionPlaces as check, ENGINE_CLIENT_OPTION_KEYS, ENGINE_SERVER_OPTION_KEYS, type OptionKeyTable, type OptionPlaces } from '@dtls-kit/core/internal';
import type { ConnectOptions, ServerRuntimeOptions } from './options.js';

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
} as const satisfies OptionKeyTable<Omit<ConnectOptions, keyof ClientOptions>>;

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
  secretsFile: true,
  proxyProtocol: true,
} as const satisfies OptionKeyTable<Omit<ServerRuntimeOptions, keyof ServerOptions>>;

/** Keys the runtime consumes itself and keeps from the engine (see engineOptions). */
export const RUNTIME_KEYS: readonly string[] = [...new Set([...Object.keys(RUNTIME_CLIENT), ...Object.keys(RUNTIME_SERVER)])];

const CONNECT_KEYS: ReadonlySet<string> = new Set([...Object.keys(ENGINE_CLIENT_OPTION_KEYS), ...Object.keys(RUNTIME_CLIENT)]);
const SERVER_KEYS: ReadonlySet<string> = new Set([...Object.keys(ENGINE_SERVER_OPTION_KEYS), ...Object.keys(RUNTIME_SERVER)]);

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
  // RFC 7250 raw public keys: @dtls-kit/x509's rpkClient()/rpkServer().
  pinnedPublicKeys: { client: '`pinnedPublicKeys` is an option of `rpkClient()`: connect({ x509: rpkClient({ pinnedPublicKeys }) })', server: '`pinnedPublicKeys` is an option of `rpkServer()`: createServer({ x509: rpkServer({ key, pinnedPublicKeys }) })' },
  securityLevel: { client: '`securityLevel` is an option of `x509Client()`', server: '`securityLevel` is an option of `x509Server()`' },
  identity: { client: '`identity` is an option of `pskClient()`: connect({ psk: pskClient({ identity, key }) })', server: '`identity` is a client option, of `pskClient()`; a server takes `pskServer({ keys })`' },
  keys: { client: '`keys` is a server option, of `pskServer()`', server: '`keys` is an option of `pskServer()`: createServer({ psk: pskServer({ keys }) })' },
  pskIdentityHint: { client: '`pskIdentityHint` is a server option, of `pskServer()`', server: '`pskIdentityHint` is an option of `pskServer()`' },
  hint: { client: 'a PSK identity hint is a server option, `pskIdentityHint` of `pskServer()`', server: 'a PSK identity hint is `pskIdentityHint`, an option of `pskServer()`' },
  pskCallback: { client: '`pskCallback` is an option of `pskClient()`: connect({ psk: pskClient({ pskCallback }) })', server: '`pskCallback` is an option of `pskServer()`: createServer({ psk: pskServer({ pskCallback }) })' },
  ciphers: { client: 'node:tls `ciphers` is `cipherSuites` here', server: 'node:tls `ciphers` is `cipherSuites` here' },
}));

/** A server's address is listen()'s, not an option. */
const LISTEN_ADDRESS = ' (a server takes its address in listen(port, host))';

const CONNECT_PLACES: OptionPlaces = {
  fn: 'connect()',
  accepted: CONNECT_KEYS,
  elsewhere: (key) => ELSEWHERE.get(key)?.client,
  others: [{ fn: 'createServer()', described: 'a server option', accepted: SERVER_KEYS }],
};

const SERVER_PLACES: OptionPlaces = {
  fn: 'createServer()',
  accepted: SERVER_KEYS,
  elsewhere: (key) =>
    key === 'host' || key === 'port'
      ? `\`${key}\` is a client option: give it to connect(), not createServer()${LISTEN_ADDRESS}`
      : ELSEWHERE.get(key)?.server,
  others: [{ fn: 'connect()', described: 'a client option', accepted: CONNECT_KEYS }],
};

/**
 * Throws a TypeError for the first key of `options` that connect() (`side` 'client') or
 * createServer() ('server') does not take, saying where it belongs (core's checkOptionPlaces).
 */
export function checkOptionPlaces(options: object, side: 'client' | 'server'): void {
  check(options, side === 'client' ? CONNECT_PLACES : SERVER_PLACES);
}
