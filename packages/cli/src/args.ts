/**
 * Command-line parsing (node:util parseArgs). Every mistake is a UsageError: one line on stderr
 * and exit code 2.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CIPHER_SUITES, DEFAULT_CIPHER_SUITES, DEFAULT_MTU, MAX_MTU, MIN_MTU, type CipherSuite } from '@dtls-kit/core';
import { parseCipherList } from '@dtls-kit/core/internal';
import { maxMessageBytes, mtuSource } from './message-limit.js';
import { opensslSpelling } from './openssl-spellings.js';
import { srtpList, srtpMkiOf } from './srtp-args.js';
import { maxFragLenFlag, recordSizeFlag } from './record-limit.js';
import { checkRpkFlags } from './raw-public-key.js';
import { SECRETS_ONLY, secretsArgs, serverIdFlag } from './secrets-args.js';
import { proxyProtocolFlag } from './proxy-protocol-args.js';
import type { SecretsArgs } from './secrets-command.js';
import { dtls12OnlyFlag, versionFlag, type DtlsVersionName } from './version-flags.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** OpenSSL's default PSK identity (s_client sends it, s_server expects it, without -psk_identity). */
export const DEFAULT_PSK_IDENTITY = 'Client_identity';

/** The server's --idle-timeout default: @dtls-kit/nonblocking's server idleTimeoutMs (5 minutes). */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;

export const USAGE = `usage:
  dtls-kit server [--host 127.0.0.1] [--port 4433] [--psk HEX] [--psk-identity ID] [--psk-hint HINT]
                  [--cert FILE --key FILE [--pass SOURCE]] [--ca FILE] [--verify] [--cipher LIST] [--alpn LIST]
                  [--no-etm | --require-etm] [--mtu N] [--cid LEN] [--srtp LIST]
                  [--rpk --key FILE [--rpk-pin FILE]] [--recordsize N] [--keylog FILE] [--trace] [--once] [--idle-timeout MS]
                  [--runtime nonblocking|blocking] [--threads N] [--no-ticket] [--dtls1_3 | --dtls1_2]
                  [--secrets-file FILE] [--server-id N] [--proxy-protocol ADDR[,ADDR...]]
  dtls-kit client --host H [--port 4433] [--psk HEX] [--psk-identity ID] [--cert FILE --key FILE [--pass SOURCE]]
                  [--ca FILE] [--servername NAME] [--insecure] [--cipher LIST] [--no-etm | --require-etm] [--alpn LIST] [--mtu N] [--cid LEN]
                  [--rpk-pin FILE [--rpk --key FILE]]
                  [--srtp LIST [--srtp-mki HEX]] [--recordsize N] [--maxfraglen N] [--keylog FILE] [--trace]
                  [--dtls1_3 | --dtls1_2]
                  [--message TEXT]... [--timeout SECONDS] [--sess-out FILE] [--sess-in FILE] [--reconnect] [--no-ticket]
  dtls-kit secrets --out FILE | --rotate FILE [--keep K] [--cookie-grace SECONDS]
  dtls-kit lb-config --backends HOST:PORT,... [--listen :4433]   (nginx in front of several servers; lb-config --help)
  dtls-kit --version

  server   echoes every datagram back to its sender; one line per connection and close on stderr
  client   sends each --message (or each stdin line) as one datagram, prints each reply on stdout,
           once as many replies as messages arrived (or --timeout after the last one was sent)
           sends close_notify and exits 0; exits 1 when the handshake fails or times out
  secrets  writes (--out) or rotates (--rotate) the secrets file several servers share
           (--secrets-file): a cookie secret and session-ticket keys, as JSON (mode 0600)

  --psk HEX           pre-shared key in hex (as openssl -psk)
  --psk-identity ID   PSK identity; default "${DEFAULT_PSK_IDENTITY}" (OpenSSL's default) on both sides
  --psk-hint HINT     (server) PSK identity hint sent to clients
  --cert/--key FILE   PEM certificate (chain) and private key
  --pass SOURCE       passphrase of an encrypted --key, as openssl -pass: pass:TEXT, env:VAR or file:PATH
                      (its first line)
  --ca FILE           PEM CA certificates: the client checks the server against them (default: node's
                      bundled roots); the server checks client certificates against them
  --rpk               authenticate with a raw public key (RFC 7250): the public half of --key, no
                      certificate (a --cert given too is sent to peers without raw-key support)
  --rpk-pin FILE      PEM public keys (PUBLIC KEY blocks) of the peers we accept: the client's pins
                      for the server's raw key (--ca then accepts a certificate from a server without
                      raw-key support); the server's (with --rpk) asks clients for their raw key
  --verify            (server) require a client certificate signed by --ca
  --insecure          (client) do not check the server's certificate
  --servername NAME   (client) server_name to send and check the certificate against (default: --host)
  --cipher LIST       cipher suites, IANA or OpenSSL names, comma- or colon-separated; they must suit the
                      credentials given (PSK suites for --psk, certificate suites for --cert/--ca);
                      default: every AEAD suite. CBC suites only when named here, e.g.
                      PSK-AES128-CBC-SHA256 (LwM2M 1.0), ECDHE-ECDSA-AES128-SHA256. These are DTLS 1.2
                      suites (as openssl -cipher): DTLS 1.3, when both sides offer it, keeps its own
                      (TLS_AES_128_GCM_SHA256, ...); add --dtls1_2 for these only
  --no-etm            with a CBC suite, neither offer nor accept encrypt-then-MAC (RFC 7366): records
                      are MAC-then-encrypt (as openssl -no_etm)
  --require-etm       with a CBC suite, refuse a peer without encrypt-then-MAC (RFC 7366)
  --alpn LIST         ALPN protocols (RFC 7301), comma-separated: the client offers them, the server
                      accepts them in its order of preference; the one chosen is shown on the connection line
  --mtu N             largest datagram sent, in bytes (${MIN_MTU}..${MAX_MTU}; default ${DEFAULT_MTU}); a message must fit
                      one datagram: at most N - 29 bytes with ChaCha20-Poly1305 or AES-CCM-8, N - 37 with
                      AES-GCM or AES-CCM, less the server's connection ID + 1 with --cid; in DTLS 1.3
                      N - 22, less the server's connection ID; 16384 at most
  --cid LEN           offer connection IDs (RFC 9146): LEN (0..255) is the length of the CID the
                      peer is to put in its records (0: send CIDs, receive none); the peer must
                      offer them too. With CIDs a server keeps a client whose address changes
  --srtp LIST         DTLS-SRTP (RFC 5764): SRTP protection profiles, colon-separated, OpenSSL's or IANA
                      names (SRTP_AES128_CM_SHA1_80, SRTP_AES128_CM_SHA1_32, SRTP_AEAD_AES_128_GCM,
                      SRTP_AEAD_AES_256_GCM), as openssl -use_srtp: the client offers them, the server
                      accepts them in its order of preference; the profile chosen and the SRTP keying
                      material (EXTRACTOR-dtls_srtp) are printed on stderr as openssl -keymatexport does
  --srtp-mki HEX      (client, with --srtp) the SRTP MKI to offer (1..255 bytes); printed when the server
                      echoes it
  --recordsize N      record_size_limit (RFC 8449): the largest record plaintext we accept, 64..16384
                      (as gnutls --recordsize); the client offers it, the server answers a client's offer
                      with it (16384 without the flag). A larger record from the peer: record_overflow.
                      The peer's limit bounds what we send, with --mtu; both show on the connection line
  --maxfraglen N      (client) max_fragment_length (RFC 6066): ask for records of at most N bytes both
                      ways, N = 512, 1024, 2048 or 4096 (as openssl s_client -maxfraglen); for servers
                      without record_size_limit (OpenSSL). A server always honours a client's request
  --dtls1_3           DTLS 1.3 only (RFC 9147), as openssl -dtls1_3 (OpenSSL has no DTLS 1.3 yet): the
                      client offers it alone, the server accepts no other; --psk is then a TLS 1.3
                      external PSK (RFC 8446 4.2.11): the client offers it with SHA-256
  --dtls1_2           DTLS 1.2 only (RFC 6347), as openssl -dtls1_2. Without either: the library's
                      default, DTLS 1.3 preferred and 1.2 accepted (1.2 alone with --srtp, --recordsize,
                      --maxfraglen or --rpk, which our 1.3 does not carry yet)
  --keylog FILE       append SSLKEYLOGFILE lines (for Wireshark): DTLS 1.2's CLIENT_RANDOM, DTLS 1.3's
                      *_HANDSHAKE_TRAFFIC_SECRET, *_TRAFFIC_SECRET_0 and EXPORTER_SECRET
  --trace             print the handshake as a ladder diagram (client | server) on stderr; DTLS 1.3's
                      encrypted messages, ACKs and KeyUpdates are opened and named (with the key log)
  --once              (server) exit 0 after the first connection closes
  --idle-timeout MS   (server) close a connection nothing arrived on for MS milliseconds (a peer that
                      vanished without close_notify; with --once, the server then exits);
                      default ${DEFAULT_IDLE_TIMEOUT_MS} (5 minutes); 0: never
  --runtime NAME      (server) nonblocking (default: @dtls-kit/nonblocking, one event loop) or
                      blocking (@dtls-kit/blocking: each connection echoed by a synchronous loop in
                      a worker thread); --trace and --keylog are not available with blocking
  --threads N         (server, --runtime blocking) worker threads, i.e. connections served at
                      once; default 4 (16 more wait in the queue, past that they are refused)
  --timeout SECONDS   (client) bound on the handshake, and on waiting for replies after the input
                      ended (then close_notify and exit 0 with a note); default 10
  --port N            (client) default 4433, as openssl s_client
  --sess-out FILE     (client) write the session after the handshake, to resume it later (--sess-in)
  --sess-in FILE      (client) resume the session in FILE (as openssl -sess_in); the connection line
                      ends with "resumed" when the server resumed it (an abbreviated handshake)
  --reconnect         (client) as openssl -reconnect: connect, then 5 times more resuming the session
                      (one connection line each), and run the messages on the last connection
  --no-ticket         no session tickets (RFC 5077): the client asks for none, the server issues
                      none; sessions are then resumed by session ID (the server keeps them in memory)
  --secrets-file FILE (server) take the cookie secret and the ticket keys from FILE (made by
                      dtls-kit secrets --out) and follow its rotations without a restart: servers
                      given the same file verify each other's cookies and resume each other's
                      tickets (several processes behind a load balancer). A bad FILE at startup:
                      exit 2; a bad version later: a warning line, the secrets in force stay
  --server-id N       (server) 0..255: the first byte of every connection ID this server issues
                      (RFC 9146), by which a load balancer routes a client back to it; turns CIDs
                      on (--cid 8 unless --cid is given; at least 5: 4 random bytes after the id)
  --proxy-protocol ADDR[,ADDR...]
                      (server) the load balancers' addresses (e.g. 127.0.0.1): each datagram from
                      them starts with a PROXY v2 header (nginx with the lb-config script writes
                      one) whose client address the server logs, binds cookies to and counts per-
                      address limits by; from them a datagram without one is dropped
  --out FILE          (secrets) write a new secrets file (refused if FILE exists)
  --rotate FILE       (secrets) rotate FILE in place (a rename: servers never see it half-written):
                      a new ticket key seals from now on and at most --keep older ones still open
                      tickets (so a ticket resumes through K rotations: rotate no more often than the
                      ticket lifetime, 300 s, divided by K); a new cookie secret, the old one still
                      accepted, unless the one before it became previous less than --cookie-grace ago
  --keep K            (secrets --rotate) older ticket keys kept, 0..15; default 2
  --cookie-grace S    (secrets --rotate) seconds a previous cookie secret stays accepted at least
                      (two cookie periods and the time servers take to see the file); default 180
  --version           print the version of @dtls-kit/cli and exit

  openssl spellings (-connect host:port, -psk, -CAfile, ...) are answered with the flag to use.
`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  psk: { type: 'string' },
  'psk-identity': { type: 'string' },
  'psk-hint': { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  verify: { type: 'boolean' },
  rpk: { type: 'boolean' },
  'rpk-pin': { type: 'string' },
  pass: { type: 'string' },
  cipher: { type: 'string' },
  'no-etm': { type: 'boolean' },
  'require-etm': { type: 'boolean' },
  alpn: { type: 'string' },
  srtp: { type: 'string' },
  'srtp-mki': { type: 'string' },
  mtu: { type: 'string' },
  cid: { type: 'string' },
  recordsize: { type: 'string' },
  maxfraglen: { type: 'string' },
  dtls1_3: { type: 'boolean' },
  dtls1_2: { type: 'boolean' },
  keylog: { type: 'string' },
  trace: { type: 'boolean' },
  once: { type: 'boolean' },
  'idle-timeout': { type: 'string' },
  servername: { type: 'string' },
  insecure: { type: 'boolean' },
  message: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  runtime: { type: 'string' },
  threads: { type: 'string' },
  'sess-out': { type: 'string' },
  'sess-in': { type: 'string' },
  reconnect: { type: 'boolean' },
  'no-ticket': { type: 'boolean' },
  'secrets-file': { type: 'string' },
  'server-id': { type: 'string' },
  'proxy-protocol': { type: 'string' },
  out: { type: 'string' },
  rotate: { type: 'string' },
  keep: { type: 'string' },
  'cookie-grace': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const SERVER_ONLY = ['psk-hint', 'verify', 'once', 'idle-timeout', 'threads', 'secrets-file', 'server-id', 'proxy-protocol'] as const;
const CLIENT_ONLY = ['servername', 'insecure', 'message', 'timeout', 'sess-out', 'sess-in', 'reconnect', 'srtp-mki', 'maxfraglen'] as const;

interface Common {
  host: string;
  port: number;
  psk: string | undefined;
  pskIdentity: string;
  cert: string | undefined;
  key: string | undefined;
  /** --pass: the passphrase itself (read from its source). */
  passphrase: string | undefined;
  ca: string | undefined;
  cipher: string | undefined;
  /** --no-etm: false (MAC-then-encrypt with CBC suites, RFC 7366 off); true by default. */
  encryptThenMac: boolean;
  /** --require-etm: refuse CBC without encrypt-then-MAC (RFC 7366). */
  requireEncryptThenMac: boolean;
  /** --alpn: ALPN protocol names (RFC 7301); undefined: none. */
  alpn: string[] | undefined;
  /** --srtp: DTLS-SRTP profiles (RFC 5764), checked, colon-separated; undefined: no use_srtp. */
  srtp: string | undefined;
  mtu: number | undefined;
  /** --cid: the connection ID length we ask the peer to send (RFC 9146); undefined: no CIDs. */
  cid: number | undefined;
  /** --recordsize: our record_size_limit (RFC 8449); undefined: none offered (a server answers with 16384). */
  recordSize: number | undefined;
  keylog: string | undefined;
  trace: boolean;
  /** --no-ticket: no session tickets (RFC 5077) asked for or issued. */
  noTicket: boolean;
  /** --rpk: send the raw public key of --key (RFC 7250). */
  rpk: boolean;
  /** --rpk-pin: a PEM file of the peer raw keys we accept. */
  rpkPin: string | undefined;
  /** --dtls1_3 / --dtls1_2: the one version offered or accepted; undefined: the library's default. */
  version: DtlsVersionName | undefined;
}

/** Which library runs `dtls-kit server`. */
export type ServerRuntime = 'nonblocking' | 'blocking';

export interface ServerArgs extends Common {
  command: 'server';
  runtime: ServerRuntime;
  pskHint: string | undefined;
  verify: boolean;
  once: boolean;
  /** --idle-timeout: ms without a datagram from a peer before its connection closes (0: never). */
  idleTimeoutMs: number;
  /** --runtime blocking: worker threads (undefined: the library's default). */
  threads: number | undefined;
  /** --secrets-file: the shared secrets file (cookie secret, ticket keys), followed while running. */
  secretsFile: string | undefined;
  /** --server-id: the first byte of each CID this server issues (RFC 9146); implies CIDs. */
  serverId: number | undefined;
  /** --proxy-protocol: the load balancers whose datagrams carry a PROXY v2 header (proxyProtocol.from). */
  proxyProtocol: string[] | undefined;
}

export interface ClientArgs extends Common {
  command: 'client';
  servername: string | undefined;
  insecure: boolean;
  /** --srtp-mki: the SRTP MKI offered (RFC 5764 4.1.1); undefined: none. */
  srtpMki: Uint8Array | undefined;
  /** undefined: read stdin lines. */
  messages: string[] | undefined;
  timeoutMs: number;
  /** --sess-out / --sess-in: session files; --reconnect: resume 5 more times (openssl s_client's). */
  sessOut: string | undefined;
  sessIn: string | undefined;
  reconnect: boolean;
  /** --maxfraglen: the max_fragment_length we ask for (RFC 6066 4); undefined: not asked. */
  maxFragLen: 512 | 1024 | 2048 | 4096 | undefined;
}

export type ParsedArgs = ServerArgs | ClientArgs | SecretsArgs | { command: 'help' } | { command: 'version' };

function integer(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be an integer, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${name} must be ${min}..${max}, got ${n}`);
  return n;
}

/** Options that take a value: the word after them is that value, not an option. */
const TAKES_VALUE = new Set(Object.entries(OPTIONS).filter(([, o]) => o.type === 'string').map(([name]) => `--${name}`));

/**
 * openssl's spellings (`-connect host:port`, `-CAfile`, ...) and other single-dash words get a
 * "did you mean" rather than parseArgs' "Unknown option '-c'" (it reads `-connect` as `-c -o ...`).
 */
function rejectSingleDashWords(argv: readonly string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') return;
    if (TAKES_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (!/^-[^-]./.test(arg)) continue;
    const word = arg.slice(1);
    const hint = opensslSpelling(word, argv[i + 1]);
    if (hint !== undefined) throw new UsageError(hint);
    if (word in OPTIONS) throw new UsageError(`unknown option "${arg}": options take two dashes, did you mean --${word}?`);
    throw new UsageError(`unknown option "${arg}" (options take two dashes)`);
  }
}

function cipherSuites(list: string): CipherSuite[] {
  let suites: CipherSuite[];
  try {
    suites = parseCipherList(list);
  } catch (error) {
    const valid = CIPHER_SUITES.map((s) => s.opensslName).join(', ');
    throw new UsageError(`--cipher: ${error instanceof Error ? error.message : String(error)}; valid names: ${valid} (or their IANA names, e.g. TLS_PSK_WITH_AES_128_CCM_8)`);
  }
  if (suites.length === 0) throw new UsageError('--cipher: empty cipher list');
  return suites;
}

const isPskSuite = (s: CipherSuite): boolean => s.keyExchange === 'psk' || s.keyExchange === 'ecdhe_psk';

/** `--pass` as openssl -pass takes it (openssl passphrase-options(1)): pass:, env:, file:. */
function passphrase(source: string | undefined, env: NodeJS.ProcessEnv, readFirstLine: (path: string) => string): string | undefined {
  if (source === undefined) return undefined;
  const colon = source.indexOf(':');
  const kind = colon < 0 ? source : source.slice(0, colon);
  const rest = source.slice(colon + 1);
  if (kind === 'pass' && colon >= 0) return rest;
  if (kind === 'env' && colon >= 0) {
    const value = env[rest];
    if (value === undefined) throw new UsageError(`--pass env:${rest}: no such environment variable`);
    return value;
  }
  if (kind === 'file' && colon >= 0) return readFirstLine(rest);
  throw new UsageError(`--pass takes pass:TEXT, env:VAR or file:PATH (as openssl -pass), got "${source}"`);
}

/** Where parseCommandLine reads what --pass names (the process by default; tests may pass their own). */
export interface ArgsEnvironment {
  env: NodeJS.ProcessEnv;
  /** The first line of a file (--pass file:PATH), without its line end; throws UsageError. */
  readFirstLine(path: string): string;
}

/** Parses `argv` (without node and the script). Throws UsageError. */
export function parseCommandLine(argv: readonly string[], environment?: ArgsEnvironment): ParsedArgs {
  rejectSingleDashWords(argv);
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(((error as Error).message.split(/\n|\. To specify/)[0] ?? String(error)).trim());
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') return { command: 'help' };
  if (values.version || positionals[0] === 'version') return { command: 'version' };
  const command = positionals[0];
  if (command === undefined) throw new UsageError('missing command: server, client or secrets');
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  if (command === 'secrets') {
    const extra = Object.keys(values).find((k) => !(SECRETS_ONLY as readonly string[]).includes(k));
    if (extra !== undefined) throw new UsageError(`--${extra} is not an option of "secrets"`);
    return secretsArgs(values, (m) => new UsageError(m));
  }
  if (command !== 'server' && command !== 'client') throw new UsageError(`unknown command "${command}" (expected server, client, secrets or lb-config)`);
  for (const name of SECRETS_ONLY) {
    if (values[name] !== undefined) throw new UsageError(`--${name} is an option of "secrets", not of "${command}"`);
  }
  const others = command === 'server' ? CLIENT_ONLY : SERVER_ONLY;
  for (const name of others) {
    if (values[name] !== undefined) throw new UsageError(`--${name} is not an option of "${command}"`);
  }
  if (values.runtime !== undefined && values.runtime !== 'nonblocking' && values.runtime !== 'blocking') {
    throw new UsageError(`--runtime must be nonblocking or blocking, got "${values.runtime}"`);
  }
  if (values.runtime === 'blocking') {
    if (command === 'client') throw new UsageError('--runtime blocking is only available for "server"');
    // The blocking server's engines (its workers', and its main thread's for DTLS 1.2 PSK
    // handshakes) give the CLI no hook for the ladder or the key log yet.
    if (values.trace) throw new UsageError('--trace is not available with --runtime blocking (its engines have no trace hook in the CLI yet)');
    if (values.keylog !== undefined) throw new UsageError('--keylog is not available with --runtime blocking (its engines have no key-log hook in the CLI yet)');
  } else if (values.threads !== undefined && command === 'server') {
    throw new UsageError('--threads needs --runtime blocking');
  }

  if (values.psk !== undefined && !/^(?:[0-9a-fA-F]{2})+$/.test(values.psk)) {
    throw new UsageError('--psk must be hex with an even number of digits, e.g. 000102030405060708090a0b0c0d0e0f');
  }
  if (values.psk === undefined && values['psk-identity'] !== undefined) throw new UsageError('--psk-identity needs --psk');
  checkRpkFlags(command, values);
  if (!values.rpk && (values.cert === undefined) !== (values.key === undefined)) throw new UsageError('--cert and --key go together');
  if (values.pass !== undefined && values.key === undefined) throw new UsageError('--pass needs --key (it decrypts the key)');
  const suites = values.cipher === undefined ? undefined : cipherSuites(values.cipher);
  if (values['no-etm'] && values['require-etm']) throw new UsageError('--no-etm and --require-etm contradict each other');
  let alpn: string[] | undefined;
  if (values.alpn !== undefined) {
    alpn = values.alpn.split(',').map((p) => p.trim());
    // RFC 7301 3.1: ProtocolName is opaque<1..2^8-1>.
    const bad = alpn.find((p) => p.length === 0 || Buffer.byteLength(p) > 255);
    if (bad !== undefined) throw new UsageError(`--alpn: each protocol name is 1..255 bytes, got ${JSON.stringify(bad)} in "${values.alpn}"`);
  }
  const srtp = srtpList(values.srtp);
  const srtpMki = srtpMkiOf(values['srtp-mki'], srtp);
  // Core's bounds (MIN_MTU: the smallest MTU that carries every suite's handshake; MAX_MTU: the
  // largest UDP payload), so the CLI refuses exactly what connect() and createServer() would.
  const mtu = integer('mtu', values.mtu, MIN_MTU, MAX_MTU);
  // RFC 9146 3: the CID is an opaque cid<0..2^8-1>.
  const cidFlag = integer('cid', values.cid, 0, 255);
  // --server-id (server only) turns CIDs on: the id is their first byte.
  const { serverId, cid } = serverIdFlag(command === 'server' ? values['server-id'] : undefined, cidFlag, (m) => new UsageError(m));

  const environmentOrDefault: ArgsEnvironment = environment ?? { env: process.env, readFirstLine: readFirstLineOf };
  const common: Common = {
    host: values.host ?? '127.0.0.1',
    port: 0,
    psk: values.psk,
    pskIdentity: values['psk-identity'] ?? DEFAULT_PSK_IDENTITY,
    cert: values.cert,
    key: values.key,
    passphrase: passphrase(values.pass, environmentOrDefault.env, environmentOrDefault.readFirstLine),
    ca: values.ca,
    cipher: values.cipher,
    encryptThenMac: !(values['no-etm'] ?? false),
    requireEncryptThenMac: values['require-etm'] ?? false,
    alpn,
    srtp,
    mtu,
    cid,
    recordSize: recordSizeFlag(values.recordsize, (m) => new UsageError(m)),
    keylog: values.keylog,
    trace: values.trace ?? false,
    noTicket: values['no-ticket'] ?? false,
    rpk: values.rpk ?? false,
    rpkPin: values['rpk-pin'],
    version: versionFlag(values.dtls1_3, values.dtls1_2, (m) => new UsageError(m)),
  };

  if (common.version === 'DTLSv1.3') {
    const only12 = dtls12OnlyFlag({
      '--srtp': values.srtp !== undefined,
      '--recordsize': values.recordsize !== undefined,
      '--maxfraglen': values.maxfraglen !== undefined,
      '--rpk': values.rpk === true,
      '--rpk-pin': values['rpk-pin'] !== undefined,
    });
    if (only12 !== undefined) throw new UsageError(`${only12} needs DTLS 1.2 (dtls-kit's DTLS 1.3 does not carry it yet): drop --dtls1_3`);
  }

  if (command === 'server') {
    if (values.psk === undefined && values.cert === undefined && !values.rpk) throw new UsageError('server needs credentials: --psk HEX and/or --cert FILE --key FILE (or --rpk --key FILE)');
    if (values.psk === undefined && values['psk-hint'] !== undefined) throw new UsageError('--psk-hint needs --psk');
    if (values.verify && values.ca === undefined) throw new UsageError('--verify needs --ca FILE (the CA client certificates must chain to)');
    if (values.verify && values.cert === undefined && !values.rpk) throw new UsageError('--verify needs --cert and --key (client certificates are asked for in certificate suites)');
    if (suites !== undefined) {
      checkSuitesFit(suites, { psk: values.psk !== undefined, certificate: values.cert !== undefined || values.rpk === true, certificateFlags: values.rpk ? '--rpk' : '--cert/--key' });
    }
    return {
      ...common,
      command,
      runtime: values.runtime === 'blocking' ? 'blocking' : 'nonblocking',
      port: integer('port', values.port, 0, 65_535) ?? 4433,
      pskHint: values['psk-hint'],
      verify: values.verify ?? false,
      once: values.once ?? false,
      idleTimeoutMs: integer('idle-timeout', values['idle-timeout'], 0, 2_147_483_647) ?? DEFAULT_IDLE_TIMEOUT_MS,
      threads: integer('threads', values.threads, 1, 1024),
      secretsFile: values['secrets-file'],
      serverId,
      proxyProtocol: proxyProtocolFlag(values['proxy-protocol'], (m) => new UsageError(m)),
    };
  }

  if (values.host === undefined) throw new UsageError('client needs --host');
  let timeoutMs = 10_000;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (values.timeout.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
    timeoutMs = Math.ceil(seconds * 1000);
  }
  // The client offers certificate suites without --psk, or with any certificate flag (clientOptions).
  const certificateFlags = [
    values.ca === undefined ? '' : '--ca',
    values.cert === undefined ? '' : '--cert',
    values.insecure ? '--insecure' : '',
    values['rpk-pin'] === undefined ? '' : '--rpk-pin',
    values.rpk ? '--rpk' : '',
  ].filter((f) => f !== '');
  const certificate = values.psk === undefined || certificateFlags.length > 0;
  if (suites !== undefined) {
    checkSuitesFit(suites, { psk: values.psk !== undefined, certificate, certificateFlags: certificateFlags.join(', ') });
  }
  const offered = suites ?? DEFAULT_CIPHER_SUITES.filter((s) => (isPskSuite(s) ? values.psk !== undefined : certificate));
  const messages = values.message;
  if (messages !== undefined) {
    const limit = maxMessageBytes(mtu ?? DEFAULT_MTU, offered, common.version);
    messages.forEach((m, i) => {
      const size = Buffer.byteLength(m);
      if (size > limit) throw new UsageError(messageTooLarge(`--message ${i + 1}`, size, limit, mtu));
    });
  }
  return {
    ...common,
    command,
    // openssl s_client's default port.
    port: integer('port', values.port, 1, 65_535) ?? 4433,
    servername: values.servername,
    insecure: values.insecure ?? false,
    srtpMki,
    messages,
    timeoutMs,
    sessOut: values['sess-out'],
    sessIn: values['sess-in'],
    reconnect: values.reconnect ?? false,
    maxFragLen: maxFragLenFlag(values.maxfraglen, (m) => new UsageError(m)),
  };
}

/**
 * The message of a message that cannot fit one datagram (see maxMessageBytes; after the handshake
 * the socket's maxPayload, with the suite and the server's connection ID length, if any).
 */
export function messageTooLarge(what: string, size: number, limit: number, mtu: number | undefined, suite?: string, serverCid = 0): string {
  const cid = serverCid > 0 ? ` and the server's ${serverCid}-byte connection ID` : '';
  const at = `${mtuSource(mtu)}${suite === undefined ? '' : ` with ${suite}${cid}`}`;
  return `${what} is ${size} bytes: the largest that fits one datagram at ${at} is ${limit} bytes (raise --mtu, or split the message)`;
}

/**
 * A credential no listed suite can use is a mistake (the handshake would fail, or the
 * credential be ignored): `--psk` with certificate suites only, `--cert` with PSK suites only.
 */
function checkSuitesFit(suites: readonly CipherSuite[], given: { psk: boolean; certificate: boolean; certificateFlags: string }): void {
  const psk = suites.filter(isPskSuite);
  const certificate = suites.filter((s) => !isPskSuite(s));
  if (given.psk && psk.length === 0) {
    throw new UsageError(`--psk needs a PSK suite, but --cipher lists certificate suites only (${certificate.map((s) => s.opensslName).join(', ')}); add e.g. PSK-AES128-CCM8 or ECDHE-PSK-CHACHA20-POLY1305`);
  }
  if (given.certificate && certificate.length === 0) {
    const what = given.certificateFlags === '' ? 'without --psk the client uses certificates, but' : `${given.certificateFlags} needs a certificate suite, but`;
    throw new UsageError(`${what} --cipher lists PSK suites only (${psk.map((s) => s.opensslName).join(', ')}); add e.g. ECDHE-ECDSA-AES128-GCM-SHA256${given.certificateFlags === '' ? ', or give --psk' : ''}`);
  }
}

function readFirstLineOf(path: string): string {
  try {
    return (readFileSync(path, 'utf8').split(/\r?\n/)[0] ?? '');
  } catch (error) {
    throw new UsageError(`--pass file:${path}: cannot read it: ${errorCode(error)}`);
  }
}

/** `ENOENT` for a file error, else the message. */
function errorCode(error: unknown): string {
  if (error instanceof Error) return 'code' in error && typeof error.code === 'string' ? error.code : error.message;
  return String(error);
}
