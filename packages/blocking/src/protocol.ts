import type { ClientOptions, DtlsOptions, EstablishedSnapshot, ServerOptions, VerifiedClientHello } from '@dtls-kit/core';

/**
 * Credentials for a worker. Functions cannot cross threads, so credentials are plain data
 * (PSK tables and keys as hex) or a module that the worker imports:
 * - `{ psk: { keys: { identity: hexKey }, pskIdentityHint? } }` (server) / `{ psk: { identity, key } }`
 *   (client): given to @dtls-kit/psk's pskServer()/pskClient() in the worker;
 * - `{ module, export?, args? }`: the module's export (default: `default`) is an object of engine
 *   options (`{ psk }`, `{ x509 }`, cipherSuites, ...) or a function `(args) => options` (may be async),
 *   e.g. a module that returns `{ psk: pskServer({...}) }` from @dtls-kit/psk or `{ x509: x509Server({...}) }`.
 */
export type ServerCredentials = { readonly psk: PskServerData } | ModuleCredentials;

export type ClientCredentials = { readonly psk: PskClientData } | ModuleCredentials;

/** @dtls-kit/psk's pskServer() options, as plain data: identity -> key (hex), and the hint. */
export interface PskServerData {
  readonly keys: Readonly<Record<string, string>>;
  /** RFC 4279 2: sent to clients to help them pick an identity (as @dtls-kit/psk's `pskIdentityHint`). */
  readonly pskIdentityHint?: string;
}

/** @dtls-kit/psk's pskClient() options, as plain data: the identity and its key (hex). */
export interface PskClientData {
  readonly identity: string;
  readonly key: string;
}

export interface ModuleCredentials {
  /** A file URL, a URL string, or a path (resolved from the current directory). */
  readonly module: URL | string;
  readonly export?: string;
  /** Passed to the export when it is a function (structured-cloned). */
  readonly args?: unknown;
}

/**
 * The engine options that are not plain data: functions and objects of functions cannot cross
 * into a worker (structured clone). Credentials go in `credentials`; a crypto provider, SNICallback,
 * ALPNCallback and a CID generator come from a credentials module, which runs in the worker.
 * A session store by ID is not offered: each connection runs in whichever worker is free, so a
 * blocking server resumes by ticket only, under ticket keys every worker shares (session-tickets.ts).
 */
type NotPlain = 'provider' | 'psk' | 'x509' | 'connectionId' | 'SNICallback' | 'ALPNCallback' | 'sessionStore' | 'sessionCacheSize';

/** @dtls-kit/core's connectionId option without `generate` (a function). */
export type PlainConnectionIdOptions = Omit<NonNullable<DtlsOptions['connectionId']>, 'generate'>;

/**
 * The engine options both sides take that are plain data (structured-clonable): every option of
 * @dtls-kit/core's DtlsOptions but the crypto provider, with the same names and meanings as
 * @dtls-kit/nonblocking's connect() and createServer(), and given in the same place (top-level).
 */
export interface PlainDtlsOptions extends Omit<DtlsOptions, NotPlain> {
  /**
   * RFC 9146 connection IDs: the length of the CID we ask the peer to put in its records (0..255;
   * 0 = we send CIDs but receive none), and core's `serverId`/`returnRoutabilityCheck`. A server
   * then routes its peers' CID records to their connection whatever their source address, and
   * follows a peer that moved. Default: off. (A custom `generate` is a function: return it from the
   * credentials module.)
   */
  connectionId?: PlainConnectionIdOptions;
}

/** createBlockingServer()'s engine options: the plain ones of @dtls-kit/core's ServerOptions. */
export interface PlainServerOptions extends PlainDtlsOptions, Omit<ServerOptions, NotPlain | keyof DtlsOptions> {}

/** runBlockingClient()'s engine options: the plain ones of @dtls-kit/core's ClientOptions. */
export interface PlainClientOptions extends PlainDtlsOptions, Omit<ClientOptions, NotPlain | keyof DtlsOptions> {}

/**
 * A server's long-lived worker (one Piscina task for as long as the worker serves): it takes one
 * connection after another from its link (a START frame each, see ring.ts), with the server's
 * handler, credentials and options given here once, and answers each with a RESULT frame.
 */
export interface LoopTask {
  loop: true;
  sab: SharedArrayBuffer;
  handler: string;
  credentials: WorkerTask['credentials'];
  options: PlainServerOptions;
  /** The ticket keys in shared memory (ticket-key-board.ts): newer than options.ticketKeys once written. */
  ticketKeyBoard?: SharedArrayBuffer;
  args: unknown;
  /** Each connection's idle timeout (ms; 0: none). */
  idleTimeoutMs: number;
  /** The worker leaves after this long without a connection (ms), and Piscina may end its thread. */
  workerIdleTimeoutMs: number;
  /** The memory of the server's doorbell (doorbell.ts): the worker wakes the main thread through it. */
  doorbell: SharedArrayBuffer;
}

/**
 * One connection for the worker to serve: a client's (one Piscina task per connection), or a
 * server's, which its long-lived worker builds from a START frame and its LoopTask.
 */
export interface WorkerTask {
  role: 'server' | 'client';
  sab: SharedArrayBuffer;
  handler: string;
  credentials: { pskServer: PskServerData } | { pskClient: PskClientData } | { module: string; export?: string; args?: unknown };
  options: PlainServerOptions | PlainClientOptions;
  args: unknown;
  remoteAddress: string;
  remotePort: number;
  /** Behind a load balancer (proxyProtocol): the client's own address, which remoteAddress reports. */
  client?: { address: string; port: number };
  /** The connection's idle timeout (ms; 0: none). */
  idleTimeoutMs: number;
  hello?: VerifiedClientHello;
  /** A connection the main thread handshook (the server's `handshakes: 'main'`), instead of `hello`. */
  snapshot?: EstablishedSnapshot;
}

/**
 * Run once at listen(): the worker loads the handler module and the credentials module (without
 * calling its export), so that a missing or broken module rejects listen() instead of failing
 * every connection.
 */
export interface ProbeTask {
  probe: true;
  handler: string;
  credentials: WorkerTask['credentials'];
}

export type ProbeResult = { ok: true } | { ok: false; error: import('./errors.js').SerializedError };

export type WorkerResult = { ok: true; value: unknown } | FailedResult;

export type FailedResult = { ok: false; stage: 'setup' | 'handshake' | 'handler'; error: import('./errors.js').SerializedError };

/** A server connection's outcome, in its RESULT frame (the handler's value is not used on a server). */
export type ServerResult = { ok: true } | FailedResult;
