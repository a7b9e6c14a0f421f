/**
 * wolfSSL 5.5.4's example `server` and `client` as DTLS 1.2 and 1.3 peers on 127.0.0.1 (issue 17;
 * /work/shared/peers/wolfssl.md). They are built from Debian's source package by
 * scripts/peers/build-wolfssl.sh into a cache folder outside the clone (once; `make peers` does
 * it before `make test`) and must run from the wolfSSL source root: they read ./certs.
 *
 * Quirks handled here:
 * - The PSK is hard-coded in the examples (DTLS 1.2: 1a2b3c4d; DTLS 1.3: 0123456789abcdef four
 *   times), identity Client_identity: `-s` only switches PSK on (WOLFSSL_PSK_* below).
 * - The client sends one fixed message, "hello wolfssl!", prints the reply on its own line, and
 *   exits; it reads no stdin. The server with -e echoes what it reads, -i keeps accepting.
 * - The server binds 127.0.0.1 only (without -b); ready = its UDP port bound (/proc/net/udp).
 * - Connection IDs are raw ASCII of at most 2 bytes (--cid), DTLS 1.3 only in 5.5.4.
 * - The MTU is glued to -u (-u300): the option takes an optional argument.
 * - Their stdout is made line-buffered (stdbuf), so a running server's output can be read.
 * - 'downgrade' (-v d, DTLS 1.3 with fallback to 1.2) works with certificates; with -s (PSK) the
 *   5.5.4 client never completes against a cookie-exchanging 1.2 server (its own included): it
 *   answers the HelloVerifyRequest with an ACK record in epoch 0.
 * - DTLS 1.3 ChaCha20: its record number mask reads the counter big-endian on Linux
 *   (packages/core/test/fixtures/wolfssl13/README.md): our side needs chacha20MaskCounter: 'big-endian'.
 * - DTLS 1.3 CCM_8: it does not pad a record to the 16 bytes of ciphertext the record number mask
 *   needs (RFC 9147 4.2.3): a record of under 7 content bytes fails in its
 *   Dtls13EncryptRecordNumber (BUFFER_ERROR) and is never sent, its close_notify included.
 * - The 1.3 client hangs with a small MTU of its own (-u300); the server's works.
 * - Variant 'keylog' (a second cache folder) writes the TLS 1.3 secrets to $SSLKEYLOGFILE.
 * - Variant 'curve25519' (a third) adds --enable-curve25519 --enable-ed25519: the X25519 group
 *   (its client's -t) and Ed25519 certificates, which Debian's configuration leaves out.
 * - Variant 'tickets' (a fourth) has session tickets (--enable-session-ticket): without them 5.5.4
 *   sends no DTLS 1.3 NewSessionTicket and its -r prints "Can't do TLS 1.3 resumption". Its
 *   resumption PSK is derived with the label "tls13 resumption" in DTLS 1.3 too (src/tls13.c
 *   DeriveResumptionPSK hard-codes the TLS prefix), not RFC 9147 5.9's "dtls13resumption".
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeUdpPort, waitForUdpBind } from './ports.js';
import { serverHandle, spawnPeer, type ClientResult, type PeerServer } from './process.js';

/** The examples' hard-coded DTLS 1.2 PSK (wolfssl/test.h my_psk_client_cb: 0x1a2b3c4d). */
export const WOLFSSL_PSK_12 = '1a2b3c4d';
/** The examples' hard-coded DTLS 1.3 PSK (wolfssl/test.h my_psk_client_tls13_cb). */
export const WOLFSSL_PSK_13 = '0123456789abcdef'.repeat(4);
/** The identity both examples use. */
export const WOLFSSL_PSK_IDENTITY = 'Client_identity';
/** What the example client sends once connected. */
export const WOLFSSL_CLIENT_MESSAGE = 'hello wolfssl!';

/** 'curve25519': also --enable-curve25519 --enable-ed25519; 'tickets': also --enable-session-ticket (DTLS 1.3 NewSessionTicket and resumption, `-r`). */
export type WolfsslVariant = 'default' | 'keylog' | 'curve25519' | 'tickets' | 'sni';
/** '1.2' (-v 3), '1.3' (-v 4), or 'downgrade' (-v d: the client offers DTLS 1.3 and accepts down to 1.2). */
export type WolfsslVersion = '1.2' | '1.3' | 'downgrade';

const BUILD_SCRIPT = fileURLToPath(new URL('../../../../scripts/peers/build-wolfssl.sh', import.meta.url));
const roots = new Map<WolfsslVariant, string>();

/**
 * The wolfSSL source root of a build variant, built first if the cache lacks it (minutes, once;
 * serialised by the script's lock). A failed build throws: wolfSSL tests fail, never skip.
 */
export function wolfsslRoot(variant: WolfsslVariant = 'default'): string {
  const known = roots.get(variant);
  if (known !== undefined) return known;
  let out: string;
  try {
    out = execFileSync(BUILD_SCRIPT, [variant], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30 * 60_000 });
  } catch (error) {
    const stderr = typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr) : '';
    throw new Error(`building wolfSSL (${BUILD_SCRIPT} ${variant}) failed: ${String(error)}\n${stderr}`);
  }
  const root = out.trim().split('\n').at(-1) ?? '';
  for (const program of ['examples/server/server', 'examples/client/client']) {
    if (!existsSync(join(root, program))) throw new Error(`${BUILD_SCRIPT} printed "${root}", which has no ${program}`);
  }
  roots.set(variant, root);
  return root;
}

/** What both programs take. */
interface WolfsslCommonOptions {
  version: WolfsslVersion;
  /** -l: wolfSSL cipher names, colon-separated (OpenSSL-style for 1.2, TLS13-AES128-GCM-SHA256 for 1.3). */
  cipher?: string;
  /** -s: PSK with the hard-coded key and identity. */
  psk?: boolean;
  /** -K: PSK without (EC)DHE (psk_ke, DTLS 1.3). */
  pskOnly?: boolean;
  /** Certificate and key (PEM files): -c / -k. */
  cert?: string;
  key?: string;
  /** --cid: our connection ID, raw ASCII, at most 2 bytes (DTLS 1.3). */
  cid?: string;
  /** DTLS MTU (-u<mtu>). */
  mtu?: number;
  /** Build variant (default 'default'); 'keylog' with keylogFile writes the TLS 1.3 secrets. */
  variant?: WolfsslVariant;
  /** SSLKEYLOGFILE for the 'keylog' variant. */
  keylogFile?: string;
  extraArgs?: readonly string[];
  maxLifetimeMs?: number;
}

export interface WolfsslServerOptions extends WolfsslCommonOptions {
  /** -A: require a client certificate from this CA; without it -d (no client authentication). */
  verifyClientCa?: string;
  /** -e (default true): echo what is read. */
  echo?: boolean;
  /** -i (default true): keep accepting connections. */
  loop?: boolean;
  /** -J: the cookie extension (5.5.4 as a DTLS 1.3 server sends a HelloRetryRequest with a cookie even without it). */
  helloRetryCookie?: boolean;
  /** -U: KeyUpdate before sending (DTLS 1.3, RFC 9147 8). */
  keyUpdate?: boolean;
  port?: number;
  startTimeoutMs?: number;
}

export interface WolfsslClientOptions extends WolfsslCommonOptions {
  port: number;
  /** -A: verify the server with this CA; without it -d (no verification). */
  caFile?: string;
  /** -J: offer no key share first, so the server must ask with a HelloRetryRequest (DTLS 1.3). */
  helloRetry?: boolean;
  /** -I: KeyUpdate before sending its message (DTLS 1.3). */
  keyUpdate?: boolean;
  /**
   * -r: after the first connection, a second one resuming its session ("resuming wolfssl!"); it
   * prints "reused session id" when the server resumed it. DTLS 1.3 needs variant 'tickets'.
   */
  resume?: boolean;
  /** Overall bound; the client is killed past it (default 10 000 ms). */
  timeoutMs?: number;
}

export interface WolfsslClientResult extends ClientResult {
  /** The command line run (from the wolfSSL source root). */
  commandLine: string;
  /** "DTLSv1.2" / "DTLSv1.3", as the client printed it. */
  version: string | undefined;
  /** The IANA name of the suite ("TLS_PSK_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"). */
  cipher: string | undefined;
}

const VERSION_FLAGS: Record<WolfsslVersion, string> = { '1.2': '3', '1.3': '4', downgrade: 'd' };

function commonArgs(options: WolfsslCommonOptions): string[] {
  const args = [options.mtu === undefined ? '-u' : `-u${options.mtu}`, '-v', VERSION_FLAGS[options.version]];
  if (options.cipher !== undefined) args.push('-l', options.cipher);
  if (options.psk === true) args.push('-s');
  if (options.pskOnly === true) args.push('-K');
  if (options.cert !== undefined) args.push('-c', options.cert);
  if (options.key !== undefined) args.push('-k', options.key);
  if (options.cid !== undefined) {
    if (options.cid.length > 2 || !/^[\x21-\x7e]*$/.test(options.cid)) throw new Error(`wolfSSL takes a CID of at most 2 printable ASCII bytes, got "${options.cid}"`);
    args.push('--cid', options.cid);
  }
  return args;
}

/**
 * The examples print with stdio, fully buffered into a pipe: a server stopped by a signal would
 * lose all it printed. stdbuf (coreutils) makes stdout line-buffered.
 */
function lineBuffered(program: string, args: readonly string[]): string[] {
  return ['-oL', '-eL', program, ...args];
}

function environment(options: WolfsslCommonOptions): Record<string, string> {
  if (options.keylogFile === undefined) return {};
  if (options.variant !== 'keylog') throw new Error("keylogFile needs variant 'keylog' (the default build logs no TLS 1.3 secrets)");
  return { SSLKEYLOGFILE: options.keylogFile };
}

/** Starts wolfSSL's example server on 127.0.0.1 and resolves once its UDP port is bound. */
export async function startWolfsslServer(options: WolfsslServerOptions): Promise<PeerServer> {
  const root = wolfsslRoot(options.variant);
  const env = environment(options);
  const attempts = options.port === undefined ? 3 : 1;
  let lastError = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freeUdpPort());
    const args = [...commonArgs(options), '-p', String(port)];
    if (options.verifyClientCa !== undefined) args.push('-A', options.verifyClientCa);
    else args.push('-d');
    if (options.echo ?? true) args.push('-e');
    if (options.loop ?? true) args.push('-i');
    if (options.helloRetryCookie === true) args.push('-J');
    if (options.keyUpdate === true) args.push('-U');
    args.push(...(options.extraArgs ?? []));
    const proc = spawnPeer('stdbuf', lineBuffered(join(root, 'examples/server/server'), args), { cwd: root, env, maxLifetimeMs: options.maxLifetimeMs });
    const bound = await waitForUdpBind(port, { timeoutMs: options.startTimeoutMs ?? 5000, alive: () => proc.running() });
    if (bound) return serverHandle(proc, port, async () => {});
    await proc.stop(500);
    lastError = `${proc.commandLine}\n${proc.output()}`;
  }
  throw new Error(`wolfSSL's example server did not start listening:\n${lastError}`);
}

/**
 * Runs wolfSSL's example client against 127.0.0.1:port: it handshakes, sends "hello wolfssl!",
 * prints the reply and exits. Resolves when it has exited (killed past timeoutMs).
 */
export async function runWolfsslClient(options: WolfsslClientOptions): Promise<WolfsslClientResult> {
  const root = wolfsslRoot(options.variant);
  const args = [...commonArgs(options), '-h', '127.0.0.1', '-p', String(options.port)];
  if (options.caFile !== undefined) args.push('-A', options.caFile);
  else args.push('-d');
  // -x: send no client certificate unless one is given (the default would be ./certs/client-cert.pem).
  if (options.cert === undefined) args.push('-x');
  if (options.helloRetry === true) args.push('-J');
  if (options.keyUpdate === true) args.push('-I');
  if (options.resume === true) args.push('-r');
  args.push(...(options.extraArgs ?? []));
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const proc = spawnPeer('stdbuf', lineBuffered(join(root, 'examples/client/client'), args), { cwd: root, env: environment(options), maxLifetimeMs: timeoutMs + 5000 });
  proc.endInput();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void proc.stop(500);
  }, timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  const stdout = proc.stdout();
  return {
    commandLine: proc.commandLine,
    code,
    signal: proc.signal(),
    stdout,
    stderr: proc.stderr(),
    timedOut,
    echoed: stdout.split('\n').includes(WOLFSSL_CLIENT_MESSAGE),
    durationMs: performance.now() - started,
    version: /SSL version is (\S+)/.exec(stdout)?.[1],
    cipher: /SSL cipher suite is (\S+)/.exec(stdout)?.[1],
  };
}
