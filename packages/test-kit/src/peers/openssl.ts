/**
 * OpenSSL `s_server` / `s_client` as DTLS 1.2 peers on 127.0.0.1 (see peers.md).
 */
import { freeUdpPort, waitForUdpBind } from './ports.js';
import { runClientProcess, serverHandle, spawnPeer, type ClientResult, type PeerServer } from './process.js';

export type { PeerServer } from './process.js';

export interface OpensslServerOptions {
  /** OpenSSL cipher name(s), e.g. 'PSK-AES128-CCM8' (a colon-separated list works too). */
  cipher: string;
  /** The PSK in hex. Omit for certificate suites. */
  psk?: string;
  /** The PSK identity the server expects. */
  identity?: string;
  /** PSK identity hint sent in ServerKeyExchange. */
  hint?: string;
  /** Certificate and key (PEM files) for certificate suites; without them: -nocert. */
  cert?: string;
  key?: string;
  /** Require a client certificate signed by this CA file. */
  verifyClientCa?: string;
  /** Link MTU (-mtu). */
  mtu?: number;
  /** UDP port; default: a free one (retried if the bind loses a race). */
  port?: number;
  /** Echo back what is received (default true), through the s_server -quiet stdout→stdin loop. */
  echo?: boolean;
  /** Exit after this many connections (-naccept). */
  naccept?: number;
  /** Issue session tickets (RFC 5077): leaves out -no_ticket. Default false. */
  tickets?: boolean;
  /**
   * -listen (the cookie exchange). Default true. OpenSSL 3.0's s_server -listen never resumes a
   * session (each connection's is new, IDs and tickets alike): resumption tests turn it off.
   */
  listen?: boolean;
  /** Write an NSS key log (-keylogfile), for decrypting a capture. */
  keylogFile?: string;
  /** Appended to the command line (e.g. ['-msg'], ['-trace']). */
  extraArgs?: readonly string[];
  /** Bound on waiting for the server to bind its port (default 5000 ms). */
  startTimeoutMs?: number;
  maxLifetimeMs?: number;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

function checkPsk(psk: string | undefined, identity: string | undefined): void {
  if (psk === undefined) return;
  if (!HEX.test(psk)) throw new Error(`PSK must be non-empty hex with an even length, got "${psk}"`);
  if (identity === undefined) throw new Error('a PSK needs an identity');
}

/**
 * Starts `openssl s_server -dtls1_2 -listen` (cookie exchange on) on 127.0.0.1 and
 * resolves once its UDP port is bound.
 *
 * Echo: s_server has no echo mode for DTLS; with -quiet its stdout is exactly the
 * application data received and its stdin is sent to the client, so piping stdout back
 * into stdin (done here in-process instead of the FIFO of peers.md) makes it an echo
 * server. -quiet also makes it ignore stdin EOF, which would otherwise end the connection.
 */
export async function startOpensslServer(options: OpensslServerOptions): Promise<PeerServer> {
  checkPsk(options.psk, options.identity);
  const attempts = options.port === undefined ? 3 : 1;
  let lastError = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freeUdpPort());
    const args = ['s_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`];
    if (options.listen !== false) args.push('-listen');
    if (options.tickets !== true) args.push('-no_ticket');
    args.push('-cipher', options.cipher);
    if (options.psk !== undefined && options.identity !== undefined) {
      args.push('-psk', options.psk, '-psk_identity', options.identity);
    }
    if (options.hint !== undefined) args.push('-psk_hint', options.hint);
    if (options.cert !== undefined) {
      args.push('-cert', options.cert);
      if (options.key !== undefined) args.push('-key', options.key);
    } else {
      args.push('-nocert');
    }
    if (options.verifyClientCa !== undefined) {
      args.push('-Verify', '1', '-CAfile', options.verifyClientCa, '-verify_return_error');
    }
    if (options.mtu !== undefined) args.push('-mtu', String(options.mtu));
    if (options.naccept !== undefined) args.push('-naccept', String(options.naccept));
    if (options.keylogFile !== undefined) args.push('-keylogfile', options.keylogFile);
    if (options.echo ?? true) args.push('-quiet');
    args.push(...(options.extraArgs ?? []));

    const proc = spawnPeer('openssl', args, { maxLifetimeMs: options.maxLifetimeMs });
    if (options.echo ?? true) proc.onStdout((chunk) => proc.write(chunk));

    const bound = await waitForUdpBind(port, {
      timeoutMs: options.startTimeoutMs ?? 5000,
      alive: () => proc.running(),
    });
    if (bound) return serverHandle(proc, port, async () => {});
    await proc.stop(500);
    lastError = `${proc.commandLine}\n${proc.output()}`;
  }
  throw new Error(`openssl s_server did not start listening:\n${lastError}`);
}

export interface OpensslClientOptions {
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  cipher: string;
  psk?: string;
  identity?: string;
  /** CA file to verify the server certificate; without it no CA store is loaded. */
  caFile?: string;
  /** Client certificate and key (PEM files). */
  cert?: string;
  key?: string;
  /** Check the server certificate against this host name (-verify_hostname). */
  verifyHostname?: string;
  mtu?: number;
  /** Lines to send; each is sent after the previous one's echo came back (see expectEcho). */
  messages: readonly string[];
  /** Overall bound; the client is killed past it (default 10 000 ms). */
  timeoutMs?: number;
  /** Default true: wait for each message's echo. */
  expectEcho?: boolean;
  lingerMs?: number;
  keylogFile?: string;
  /** Ask for a session ticket (RFC 5077): leaves out -no_ticket. Default false. */
  tickets?: boolean;
  extraArgs?: readonly string[];
}

export interface PeerClientResult extends ClientResult {
  /** The negotiated suite as the client printed it, if it did. */
  cipher: string | undefined;
}

/**
 * Runs `openssl s_client -dtls1_2 -nbio` against 127.0.0.1:port, sends the messages as
 * stdin lines, then closes stdin (close_notify) and resolves when it exits.
 * stdout holds the session summary and the data received.
 */
export async function runOpensslClient(options: OpensslClientOptions): Promise<PeerClientResult> {
  checkPsk(options.psk, options.identity);
  const host = options.host ?? '127.0.0.1';
  // -nbio: with blocking I/O s_client can stall in a read after a duplicated record.
  // -no_ign_eof: stdin EOF sends close_notify and exits (it must come after any -quiet).
  const args = ['s_client', '-dtls1_2', '-connect', `${host}:${options.port}`, '-nbio'];
  if (options.tickets !== true) args.push('-no_ticket');
  args.push('-cipher', options.cipher);
  if (options.psk !== undefined && options.identity !== undefined) {
    args.push('-psk', options.psk, '-psk_identity', options.identity);
  }
  if (options.caFile !== undefined) {
    args.push('-CAfile', options.caFile, '-verify_return_error');
  } else {
    // Loading the system CA bundle costs ~40 ms per start and is useless here.
    args.push('-no-CAfile', '-no-CApath', '-no-CAstore');
  }
  if (options.cert !== undefined) {
    args.push('-cert', options.cert);
    if (options.key !== undefined) args.push('-key', options.key);
  }
  if (options.verifyHostname !== undefined) args.push('-verify_hostname', options.verifyHostname);
  if (options.mtu !== undefined) args.push('-mtu', String(options.mtu));
  if (options.keylogFile !== undefined) args.push('-keylogfile', options.keylogFile);
  args.push(...(options.extraArgs ?? []));
  args.push('-no_ign_eof');

  const proc = spawnPeer('openssl', args);
  const result = await runClientProcess(proc, options);
  const cipher = /Cipher is (\S+)/.exec(result.stdout)?.[1];
  return { ...result, cipher: cipher === '(NONE)' ? undefined : cipher };
}
