/**
 * Where each option of createBlockingServer(), runBlockingClient() and createBlockingClientPool()
 * belongs (issue 14), with @dtls-kit/core's check (the same as @dtls-kit/nonblocking's). The engine
 * options are top-level, with the names @dtls-kit/nonblocking gives them; those that cannot cross
 * into a worker (functions, credentials) are sent where they can: `credentials`, or the
 * credentials module, which runs in the worker.
 *
 * The tables are typed against the option types (core's engine keys less those that are not
 * plain data, and this runtime's own), so that they cannot drift from them.
 */
import { checkOptionPlaces, ENGINE_CLIENT_OPTION_KEYS, ENGINE_SERVER_OPTION_KEYS, type OptionKeyTable, type OptionPlaces } from '@dtls-kit/core/internal';
import type { BlockingClientOptions, BlockingClientPoolOptions } from './client.js';
import type { PlainClientOptions, PlainServerOptions } from './protocol.js';
import type { BlockingServerOptions } from './server.js';

// The engine's keys less those that are not plain data (see protocol.ts): they are advised below.
const { provider: _p1, psk: _k1, x509: _x1, SNICallback: _s, ALPNCallback: _a, sessionStore: _ss, sessionCacheSize: _sc, ...PLAIN_SERVER } = ENGINE_SERVER_OPTION_KEYS;
const { provider: _p2, psk: _k2, x509: _x2, ...PLAIN_CLIENT } = ENGINE_CLIENT_OPTION_KEYS;

const SERVER_TABLE = {
  ...(PLAIN_SERVER satisfies OptionKeyTable<PlainServerOptions>),
  handler: true,
  credentials: true,
  args: true,
  maxThreads: true,
  maxQueue: true,
  maxConnectionsPerAddress: true,
  maxHandshakesPerAddress: true,
  ringBytes: true,
  idleTimeoutMs: true,
  workerIdleTimeoutMs: true,
  secretsFile: true,
  proxyProtocol: true,
  handshakes: true,
} as const satisfies OptionKeyTable<BlockingServerOptions>;

const CLIENT_TABLE = {
  ...(PLAIN_CLIENT satisfies OptionKeyTable<PlainClientOptions>),
  handler: true,
  host: true,
  port: true,
  credentials: true,
  args: true,
  idleTimeoutMs: true,
  ringBytes: true,
  pool: true,
} as const satisfies OptionKeyTable<BlockingClientOptions>;

const POOL_TABLE = { maxThreads: true, workerIdleTimeoutMs: true } as const satisfies OptionKeyTable<BlockingClientPoolOptions>;

const SERVER_KEYS: ReadonlySet<string> = new Set(Object.keys(SERVER_TABLE));
const CLIENT_KEYS: ReadonlySet<string> = new Set(Object.keys(CLIENT_TABLE));

type Side = 'client' | 'server';
const NAME = { client: 'runBlockingClient', server: 'createBlockingServer' } as const;
const FN = { client: `${NAME.client}()`, server: `${NAME.server}()` } as const;
const X509_HELPER = { client: 'x509Client', server: 'x509Server' } as const;
const PSK_HELPER = { client: 'pskClient', server: 'pskServer' } as const;
const PSK_DATA = { client: 'credentials: { psk: { identity, key } }', server: 'credentials: { psk: { keys, pskIdentityHint } }' } as const;

/** An example call: `createBlockingServer({ inner })`. */
function call(side: Side, inner: string): string {
  return `${NAME[side]}({ ${inner} })`;
}

/** The options of @dtls-kit/x509's helpers, and which side's helper takes each. */
const X509_OPTIONS: ReadonlyMap<string, Side | 'both'> = new Map([
  ['ca', 'both'],
  ['cert', 'both'],
  ['passphrase', 'both'],
  ['rejectUnauthorized', 'both'],
  ['sigalgs', 'both'],
  ['securityLevel', 'both'],
  ['requestCert', 'server'],
  ['checkServerIdentity', 'client'],
]);

/** What the credentials module is for: what cannot cross into a worker is made there. */
function fromModule(what: string): string {
  return `return ${what} from the credentials module (credentials: { module, export?, args? }), which runs in the worker`;
}

/** @dtls-kit/nonblocking's options that this runtime has no use for, and why. */
const NONBLOCKING_ONLY: ReadonlyMap<string, string> = new Map([
  ['keylog', 'the blocking runtime writes no key log'],
  ['maxBufferedBytes', 'a handler reads with recv(), and each connection holds at most `ringBytes` per direction'],
  ['type', 'the socket type follows the address (udp6 for an IPv6 address)'],
  ['ipv6Only', 'the socket type follows the address (udp6 for an IPv6 address)'],
  ['recvBufferSize', 'the blocking runtime leaves the socket buffers to the system'],
  ['sendBufferSize', 'the blocking runtime leaves the socket buffers to the system'],
  ['maxConnections', 'a blocking server holds `maxThreads` + `maxQueue` connections (`maxConnectionsPerAddress` from one address)'],
  ['maxHandshakes', 'a blocking server holds `maxThreads` + `maxQueue` connections, handshakes included (`maxHandshakesPerAddress` from one address)'],
  ['localAddress', 'a blocking client binds any address, an ephemeral port'],
  ['localPort', 'a blocking client binds any address, an ephemeral port'],
  ['signal', 'a blocking client ends with its handshake timeout or its handler'],
]);

/** Where `key` belongs, for createBlockingServer() or runBlockingClient(). */
function elsewhere(side: Side, key: string, value: unknown): string | undefined {
  if (key === 'options') {
    // The engine options sat under `options` before; they are top-level now, as in @dtls-kit/nonblocking.
    const inner = typeof value === 'object' && value !== null ? Object.keys(value).join(', ') : '...';
    return `\`options\` is no more: engine options are top-level, as in @dtls-kit/nonblocking: ${call(side, `handler, credentials, ${inner}`)}, not ${call(side, `options: { ${inner} }`)}`;
  }
  if (key === 'psk') return `\`psk\` goes in \`credentials\`: ${call(side, PSK_DATA[side])}`;
  if (key === 'x509') return `\`x509\` holds functions, and functions cannot cross into a worker: ${fromModule(`{ x509: ${X509_HELPER[side]}({ ... }) }`)}`;
  if (key === 'provider' || key === 'SNICallback' || key === 'ALPNCallback' || key === 'pskCallback') {
    const advice = key === 'pskCallback' ? fromModule(`{ psk: ${PSK_HELPER[side]}({ pskCallback }) }`) : `${fromModule('it')}, next to the credentials: { ${key}, psk, x509 }`;
    return `\`${key}\` is a function (or holds functions), and functions cannot cross into a worker: ${advice}`;
  }
  if (side === 'server' && (key === 'sessionStore' || key === 'sessionCacheSize')) {
    return `\`${key}\`: a blocking server resumes by ticket only, under ticket keys every worker shares (\`ticketKeys\`); a store shared by the workers (one in a database) can come from ${fromModule('{ sessionStore, psk, x509 }')}`;
  }
  const x509 = X509_OPTIONS.get(key);
  if (x509 !== undefined) {
    if (x509 !== 'both' && x509 !== side) return `\`${key}\` is a ${x509} option, of \`${X509_HELPER[x509]}()\``;
    return `\`${key}\` is an option of \`${X509_HELPER[side]}()\`: ${fromModule(`{ x509: ${X509_HELPER[side]}({ ${key}, ... }) }`)}`;
  }
  if (key === 'key') {
    return side === 'client'
      ? `\`key\` goes in \`credentials\` (a pre-shared key, hex): ${call('client', PSK_DATA.client)}; a certificate key is an option of \`x509Client()\`, in the credentials module`
      : `\`key\` is an option of \`x509Server()\`: ${fromModule('{ x509: x509Server({ key, cert }) }')}; pre-shared keys go in \`${PSK_DATA.server}\``;
  }
  if (key === 'identity' || key === 'keys' || key === 'pskIdentityHint' || key === 'hint') {
    const owner: Side = key === 'identity' ? 'client' : 'server';
    const what = key === 'hint' ? 'a PSK identity hint is `pskIdentityHint`, which' : `\`${key}\``;
    return `${what} ${owner === side ? 'goes in `credentials`' : `is a ${owner}'s`}: ${call(owner, PSK_DATA[owner])}`;
  }
  if (key === 'ciphers') return 'node:tls `ciphers` is `cipherSuites` here';
  // RFC 7250 raw public keys: @dtls-kit/x509's rpkClient()/rpkServer(), made in the credentials module.
  if (key === 'pinnedPublicKeys') return `\`pinnedPublicKeys\` is an option of \`${side === 'client' ? 'rpkClient' : 'rpkServer'}()\`: ${fromModule(`{ x509: ${side === 'client' ? 'rpkClient' : 'rpkServer'}({ pinnedPublicKeys, ... }) }`)}`;
  if (side === 'client' && (key === 'maxThreads' || key === 'workerIdleTimeoutMs')) {
    return `\`${key}\` is an option of createBlockingClientPool(): ${call('client', `pool: createBlockingClientPool({ ${key} })`)}`;
  }
  if (side === 'server' && (key === 'host' || key === 'port')) {
    return `\`${key}\` is a client option: give it to ${FN.client}, not ${FN.server} (a server takes its address in listen(port, host))`;
  }
  const why = NONBLOCKING_ONLY.get(key);
  return why === undefined ? undefined : `\`${key}\` is an option of @dtls-kit/nonblocking; ${why}`;
}

const SERVER_PLACES: OptionPlaces = {
  fn: FN.server,
  accepted: SERVER_KEYS,
  elsewhere: (key, value) => elsewhere('server', key, value),
  others: [{ fn: FN.client, described: 'a client option', accepted: CLIENT_KEYS }],
};

const CLIENT_PLACES: OptionPlaces = {
  fn: FN.client,
  accepted: CLIENT_KEYS,
  elsewhere: (key, value) => elsewhere('client', key, value),
  others: [{ fn: FN.server, described: 'a server option', accepted: SERVER_KEYS }],
};

const POOL_PLACES: OptionPlaces = {
  fn: 'createBlockingClientPool()',
  accepted: new Set(Object.keys(POOL_TABLE)),
  elsewhere: (key) =>
    key === 'idleTimeoutMs' ? "`idleTimeoutMs` is a connection's idle time, an option of runBlockingClient(); the pool's workers' is `workerIdleTimeoutMs`" : undefined,
  others: [{ fn: FN.client, described: 'an option of each connection', accepted: CLIENT_KEYS }],
};

/** createBlockingServer()'s check: a TypeError for an option it does not take, saying where it belongs. */
export function checkServerOptionPlaces(options: object): void {
  checkOptionPlaces(options, SERVER_PLACES);
}

/** runBlockingClient()'s check. */
export function checkClientOptionPlaces(options: object): void {
  checkOptionPlaces(options, CLIENT_PLACES);
}

/** createBlockingClientPool()'s check. */
export function checkPoolOptionPlaces(options: object): void {
  checkOptionPlaces(options, POOL_PLACES);
}

/** The engine options among a server's options (those the worker's engine takes). */
export function serverEngineOptions(options: BlockingServerOptions): PlainServerOptions {
  const { handler, credentials, args, maxThreads, maxQueue, maxConnectionsPerAddress, maxHandshakesPerAddress, ringBytes, idleTimeoutMs, workerIdleTimeoutMs, secretsFile, proxyProtocol, handshakes, ...engine } = options;
  return engine;
}

/** The engine options among a client's options. */
export function clientEngineOptions(options: BlockingClientOptions): PlainClientOptions {
  const { handler, host, port, credentials, args, idleTimeoutMs, ringBytes, pool, ...engine } = options;
  return engine;
}
