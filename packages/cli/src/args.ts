/**
 * Command-line parsing (node:util parseArgs). Every mistake is a UsageError: one line on stderr
 * and exit code 2.
 */
import { parseArgs } from 'node:util';
import { parseCipherList } from '@dtls-kit/core';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** OpenSSL's default PSK identity (s_client sends it, s_server expects it, without -psk_identity). */
export const DEFAULT_PSK_IDENTITY = 'Client_identity';

export const USAGE = `usage:
  dtls-kit server [--host 127.0.0.1] [--port 4433] [--psk HEX] [--psk-identity ID] [--psk-hint HINT]
                  [--cert FILE --key FILE] [--ca FILE] [--verify] [--cipher LIST] [--mtu N]
                  [--cid LEN] [--keylog FILE] [--trace] [--once] [--runtime nonblocking|blocking] [--threads N]
  dtls-kit client --host H --port N [--psk HEX] [--psk-identity ID] [--cert FILE --key FILE] [--ca FILE]
                  [--servername NAME] [--insecure] [--cipher LIST] [--mtu N] [--cid LEN] [--keylog FILE] [--trace]
                  [--message TEXT]... [--timeout SECONDS]

  server   echoes every datagram back to its sender; one line per connection and close on stderr
  client   sends each --message (or each stdin line) as one datagram, prints each reply on stdout,
           once as many replies as messages arrived (or --timeout after the last one was sent)
           sends close_notify and exits 0; exits 1 when the handshake fails or times out

  --psk HEX           pre-shared key in hex (as openssl -psk)
  --psk-identity ID   PSK identity; default "${DEFAULT_PSK_IDENTITY}" (OpenSSL's default) on both sides
  --psk-hint HINT     (server) PSK identity hint sent to clients
  --cert/--key FILE   PEM certificate (chain) and private key
  --ca FILE           PEM CA certificates: the client checks the server against them (default: node's
                      bundled roots); the server checks client certificates against them
  --verify            (server) require a client certificate signed by --ca
  --insecure          (client) do not check the server's certificate
  --servername NAME   (client) server_name to send and check the certificate against (default: --host)
  --cipher LIST       cipher suites, IANA or OpenSSL names, comma- or colon-separated
  --mtu N             largest datagram sent, in bytes
  --cid LEN           offer connection IDs (RFC 9146): LEN (0..255) is the length of the CID the
                      peer is to put in its records (0: send CIDs, receive none); the peer must
                      offer them too. With CIDs a server keeps a client whose address changes
  --keylog FILE       append SSLKEYLOGFILE lines (for Wireshark)
  --trace             print the handshake as a ladder diagram (client | server) on stderr
  --once              (server) exit 0 after the first connection closes
  --runtime NAME      (server) nonblocking (default: @dtls-kit/nonblocking, one event loop) or
                      blocking (@dtls-kit/blocking: each connection echoed by a synchronous loop in
                      a worker thread); --trace and --keylog are not available with blocking
  --threads N         (server, --runtime blocking) worker threads, i.e. connections served at
                      once; default 4 (16 more wait in the queue, past that they are refused)
  --timeout SECONDS   (client) bound on the handshake, and on waiting for replies after the input
                      ended (then close_notify and exit 0 with a note); default 10
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
  cipher: { type: 'string' },
  mtu: { type: 'string' },
  cid: { type: 'string' },
  keylog: { type: 'string' },
  trace: { type: 'boolean' },
  once: { type: 'boolean' },
  servername: { type: 'string' },
  insecure: { type: 'boolean' },
  message: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  runtime: { type: 'string' },
  threads: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SERVER_ONLY = ['psk-hint', 'verify', 'once', 'threads'] as const;
const CLIENT_ONLY = ['servername', 'insecure', 'message', 'timeout'] as const;

interface Common {
  host: string;
  port: number;
  psk: string | undefined;
  pskIdentity: string;
  cert: string | undefined;
  key: string | undefined;
  ca: string | undefined;
  cipher: string | undefined;
  mtu: number | undefined;
  /** --cid: the connection ID length we ask the peer to send (RFC 9146); undefined: no CIDs. */
  cid: number | undefined;
  keylog: string | undefined;
  trace: boolean;
}

/** Which library runs `dtls-kit server`. */
export type ServerRuntime = 'nonblocking' | 'blocking';

export interface ServerArgs extends Common {
  command: 'server';
  runtime: ServerRuntime;
  pskHint: string | undefined;
  verify: boolean;
  once: boolean;
  /** --runtime blocking: worker threads (undefined: the library's default). */
  threads: number | undefined;
}

export interface ClientArgs extends Common {
  command: 'client';
  servername: string | undefined;
  insecure: boolean;
  /** undefined: read stdin lines. */
  messages: string[] | undefined;
  timeoutMs: number;
}

export type ParsedArgs = ServerArgs | ClientArgs | { command: 'help' };

function integer(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be an integer, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${name} must be ${min}..${max}, got ${n}`);
  return n;
}

/** Parses `argv` (without node and the script). Throws UsageError. */
export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(((error as Error).message.split(/\n|\. To specify/)[0] ?? String(error)).trim());
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') return { command: 'help' };
  const command = positionals[0];
  if (command === undefined) throw new UsageError('missing command: server or client');
  if (command !== 'server' && command !== 'client') throw new UsageError(`unknown command "${command}" (expected server or client)`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const others = command === 'server' ? CLIENT_ONLY : SERVER_ONLY;
  for (const name of others) {
    if (values[name] !== undefined) throw new UsageError(`--${name} is not an option of "${command}"`);
  }
  if (values.runtime !== undefined && values.runtime !== 'nonblocking' && values.runtime !== 'blocking') {
    throw new UsageError(`--runtime must be nonblocking or blocking, got "${values.runtime}"`);
  }
  if (values.runtime === 'blocking') {
    if (command === 'client') throw new UsageError('--runtime blocking is only available for "server"');
    // The engine runs in worker threads there: no hook for the ladder or the key log yet.
    if (values.trace) throw new UsageError('--trace is not available with --runtime blocking (the handshakes run in worker threads)');
    if (values.keylog !== undefined) throw new UsageError('--keylog is not available with --runtime blocking (the handshakes run in worker threads)');
  } else if (values.threads !== undefined && command === 'server') {
    throw new UsageError('--threads needs --runtime blocking');
  }

  if (values.psk !== undefined && !/^(?:[0-9a-fA-F]{2})+$/.test(values.psk)) {
    throw new UsageError('--psk must be hex with an even number of digits, e.g. 000102030405060708090a0b0c0d0e0f');
  }
  if (values.psk === undefined && values['psk-identity'] !== undefined) throw new UsageError('--psk-identity needs --psk');
  if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError('--cert and --key go together');
  if (values.cipher !== undefined) {
    try {
      if (parseCipherList(values.cipher).length === 0) throw new TypeError('empty cipher list');
    } catch (error) {
      throw new UsageError(`--cipher: ${(error as Error).message}`);
    }
  }
  const mtu = integer('mtu', values.mtu, 128, 65_507);
  // RFC 9146 3: the CID is an opaque cid<0..2^8-1>.
  const cid = integer('cid', values.cid, 0, 255);

  const common: Common = {
    host: values.host ?? '127.0.0.1',
    port: 0,
    psk: values.psk,
    pskIdentity: values['psk-identity'] ?? DEFAULT_PSK_IDENTITY,
    cert: values.cert,
    key: values.key,
    ca: values.ca,
    cipher: values.cipher,
    mtu,
    cid,
    keylog: values.keylog,
    trace: values.trace ?? false,
  };

  if (command === 'server') {
    if (values.psk === undefined && values.cert === undefined) throw new UsageError('server needs credentials: --psk HEX and/or --cert FILE --key FILE');
    if (values.psk === undefined && values['psk-hint'] !== undefined) throw new UsageError('--psk-hint needs --psk');
    if (values.verify && values.ca === undefined) throw new UsageError('--verify needs --ca FILE (the CA client certificates must chain to)');
    if (values.verify && values.cert === undefined) throw new UsageError('--verify needs --cert and --key (client certificates are asked for in certificate suites)');
    return {
      ...common,
      command,
      runtime: values.runtime === 'blocking' ? 'blocking' : 'nonblocking',
      port: integer('port', values.port, 0, 65_535) ?? 4433,
      pskHint: values['psk-hint'],
      verify: values.verify ?? false,
      once: values.once ?? false,
      threads: integer('threads', values.threads, 1, 1024),
    };
  }

  if (values.host === undefined) throw new UsageError('client needs --host');
  if (values.port === undefined) throw new UsageError('client needs --port');
  let timeoutMs = 10_000;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (values.timeout.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
    timeoutMs = Math.ceil(seconds * 1000);
  }
  return {
    ...common,
    command,
    port: integer('port', values.port, 1, 65_535) as number,
    servername: values.servername,
    insecure: values.insecure ?? false,
    messages: values.message,
    timeoutMs,
  };
}
