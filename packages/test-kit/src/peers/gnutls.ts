/**
 * GnuTLS `gnutls-serv` / `gnutls-cli` (Debian package gnutls-bin) as DTLS 1.2 peers
 * (see peers.md).
 *
 * Quirks handled here:
 * - gnutls-serv has no bind option and listens on 0.0.0.0 and ::, so its port is chosen
 *   free on the wildcards, and clients must connect through 127.0.0.1.
 * - gnutls-serv always does the cookie exchange and has a real --echo.
 * - gnutls-cli 3.7.9 segfaults right after a successful ECDHE-PSK handshake (in its info
 *   printer): test ECDHE-PSK with GnuTLS as the server. runGnutlsClient reports it as
 *   signal 'SIGSEGV' rather than hiding it.
 * - gnutls-cli takes about 2 s to exit after stdin EOF.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, waitForUdpBind } from './ports.js';
import {
  runClientProcess,
  serverHandle,
  spawnPeer,
  trackTempDir,
  untrackTempDir,
  type ClientResult,
  type PeerServer,
} from './process.js';

export type GnutlsKx = 'PSK' | 'ECDHE-PSK' | 'ECDHE-ECDSA' | 'ECDHE-RSA';
export type GnutlsCipher = 'AES-128-GCM' | 'AES-256-GCM' | 'AES-128-CCM' | 'AES-128-CCM-8' | 'CHACHA20-POLY1305';

/**
 * A priority string that allows exactly DTLS 1.2 with one key exchange and one AEAD
 * cipher, so the peer can only negotiate the suite under test.
 */
export function gnutlsPriority(kx: GnutlsKx, cipher: GnutlsCipher): string {
  return `NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+${kx}:-CIPHER-ALL:+${cipher}:-MAC-ALL:+AEAD`;
}

/** The CBC suites of our registry (OpenSSL names) that GnuTLS 3.7.9 negotiates in DTLS 1.2. */
export const GNUTLS_CBC_SUITES = {
  'PSK-AES128-CBC-SHA256': { kx: 'PSK', cipher: 'AES-128-CBC', mac: 'SHA256' },
  'ECDHE-PSK-AES128-CBC-SHA256': { kx: 'ECDHE-PSK', cipher: 'AES-128-CBC', mac: 'SHA256' },
  'ECDHE-ECDSA-AES128-SHA256': { kx: 'ECDHE-ECDSA', cipher: 'AES-128-CBC', mac: 'SHA256' },
  'ECDHE-ECDSA-AES256-SHA384': { kx: 'ECDHE-ECDSA', cipher: 'AES-256-CBC', mac: 'SHA384' },
} as const satisfies Record<string, { kx: GnutlsKx; cipher: string; mac: string }>;

/**
 * The priority string for one CBC suite (OpenSSL name): exactly DTLS 1.2, its key exchange, cipher
 * and MAC; with `encryptThenMac: false`, %NO_ETM (GnuTLS then neither offers nor accepts RFC 7366).
 */
export function gnutlsCbcPriority(openSslName: keyof typeof GNUTLS_CBC_SUITES, encryptThenMac: boolean): string {
  const { kx, cipher, mac } = GNUTLS_CBC_SUITES[openSslName];
  return `NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+${kx}:-CIPHER-ALL:+${cipher}:-MAC-ALL:+${mac}${encryptThenMac ? '' : ':%NO_ETM'}`;
}

/**
 * Our suites (by OpenSSL name, as in the core's suite registry) that GnuTLS 3.7.9 can
 * negotiate in DTLS 1.2, with its key exchange and cipher names. ECDHE-PSK with AES-GCM
 * (RFC 8442) exists in neither OpenSSL 3.0 nor GnuTLS 3.7, hence absent.
 */
export const GNUTLS_SUITES = {
  'PSK-AES128-GCM-SHA256': { kx: 'PSK', cipher: 'AES-128-GCM' },
  'PSK-AES256-GCM-SHA384': { kx: 'PSK', cipher: 'AES-256-GCM' },
  'PSK-AES128-CCM': { kx: 'PSK', cipher: 'AES-128-CCM' },
  'PSK-AES128-CCM8': { kx: 'PSK', cipher: 'AES-128-CCM-8' },
  'PSK-CHACHA20-POLY1305': { kx: 'PSK', cipher: 'CHACHA20-POLY1305' },
  'ECDHE-PSK-CHACHA20-POLY1305': { kx: 'ECDHE-PSK', cipher: 'CHACHA20-POLY1305' },
  'ECDHE-ECDSA-AES128-GCM-SHA256': { kx: 'ECDHE-ECDSA', cipher: 'AES-128-GCM' },
  'ECDHE-ECDSA-AES256-GCM-SHA384': { kx: 'ECDHE-ECDSA', cipher: 'AES-256-GCM' },
  'ECDHE-ECDSA-AES128-CCM': { kx: 'ECDHE-ECDSA', cipher: 'AES-128-CCM' },
  'ECDHE-ECDSA-AES128-CCM8': { kx: 'ECDHE-ECDSA', cipher: 'AES-128-CCM-8' },
  'ECDHE-ECDSA-CHACHA20-POLY1305': { kx: 'ECDHE-ECDSA', cipher: 'CHACHA20-POLY1305' },
  'ECDHE-RSA-AES128-GCM-SHA256': { kx: 'ECDHE-RSA', cipher: 'AES-128-GCM' },
  'ECDHE-RSA-AES256-GCM-SHA384': { kx: 'ECDHE-RSA', cipher: 'AES-256-GCM' },
  'ECDHE-RSA-CHACHA20-POLY1305': { kx: 'ECDHE-RSA', cipher: 'CHACHA20-POLY1305' },
} as const satisfies Record<string, { kx: GnutlsKx; cipher: GnutlsCipher }>;

export type GnutlsSuiteName = keyof typeof GNUTLS_SUITES;

function isGnutlsSuite(name: string): name is GnutlsSuiteName {
  return Object.hasOwn(GNUTLS_SUITES, name);
}

/** The GnuTLS priority string for one of our suites (OpenSSL name); throws for unknown ones. */
export function gnutlsPriorityForSuite(openSslName: string): string {
  if (!isGnutlsSuite(openSslName)) {
    throw new Error(`no GnuTLS mapping for suite ${openSslName} (known: ${Object.keys(GNUTLS_SUITES).join(', ')})`);
  }
  const { kx, cipher } = GNUTLS_SUITES[openSslName];
  return gnutlsPriority(kx, cipher);
}

export interface GnutlsServerOptions {
  /** Priority string, e.g. from gnutlsPriority(). */
  priority: string;
  /** A PSK passwd file ("identity:hexkey" lines); or give psk + identity and one is written. */
  pskFile?: string;
  psk?: string;
  identity?: string;
  hint?: string;
  /** Certificate and key (PEM files) for certificate suites. */
  cert?: string;
  key?: string;
  /** A raw public key (RFC 7250): --rawpkkeyfile (PKCS#8 PEM) and --rawpkfile (PUBLIC KEY PEM); the priority needs +CTYPE-SRV-RAWPK. */
  rawPublicKey?: { keyFile: string; publicKeyFile: string };
  mtu?: number;
  /** UDP port (bound on all addresses); default: a free one. */
  port?: number;
  /** --echo (default true). */
  echo?: boolean;
  /** Sets SSLKEYLOGFILE for the server. */
  keylogFile?: string;
  /** Issue session tickets (RFC 5077): leaves out --noticket. Default false. */
  tickets?: boolean;
  extraArgs?: readonly string[];
  startTimeoutMs?: number;
  maxLifetimeMs?: number;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** Starts `gnutls-serv --udp` and resolves once its port is bound. */
export async function startGnutlsServer(options: GnutlsServerOptions): Promise<PeerServer> {
  let dir: string | undefined;
  let pskFile = options.pskFile;
  if (pskFile === undefined && options.psk !== undefined) {
    if (!HEX.test(options.psk)) throw new Error(`PSK must be non-empty hex with an even length, got "${options.psk}"`);
    if (options.identity === undefined) throw new Error('a PSK needs an identity');
    if (options.identity.includes(':') || options.identity.includes('\n')) {
      throw new Error(`a gnutls-serv PSK identity cannot contain ':' or a newline: "${options.identity}"`);
    }
    dir = await mkdtemp(join(tmpdir(), 'dtls-kit-gnutls-'));
    trackTempDir(dir);
    pskFile = join(dir, 'psk.passwd');
    await writeFile(pskFile, `${options.identity}:${options.psk}\n`, { mode: 0o600 });
  }
  const tempDir = dir;
  const cleanup = async (): Promise<void> => {
    if (tempDir === undefined) return;
    await rm(tempDir, { recursive: true, force: true });
    untrackTempDir(tempDir);
  };

  try {
    const attempts = options.port === undefined ? 3 : 1;
    let lastError = '';
    for (let attempt = 0; attempt < attempts; attempt++) {
      const port = options.port ?? (await freeUdpPort({ wildcard: true }));
      // -a: do not ask for a client certificate (PSK tests have none).
      const args = ['--udp', '-p', String(port), '--priority', options.priority];
      if (options.tickets !== true) args.push('--noticket');
      if (options.cert === undefined && options.rawPublicKey === undefined) args.push('-a');
      if (options.echo ?? true) args.push('--echo');
      if (pskFile !== undefined) args.push('--pskpasswd', pskFile);
      if (options.hint !== undefined) args.push('--pskhint', options.hint);
      if (options.cert !== undefined) args.push('--x509certfile', options.cert);
      if (options.key !== undefined) args.push('--x509keyfile', options.key);
      if (options.rawPublicKey !== undefined) args.push('--rawpkkeyfile', options.rawPublicKey.keyFile, '--rawpkfile', options.rawPublicKey.publicKeyFile);
      if (options.mtu !== undefined) args.push('--mtu', String(options.mtu));
      args.push(...(options.extraArgs ?? []));

      const env: Record<string, string> = {};
      if (options.keylogFile !== undefined) env['SSLKEYLOGFILE'] = options.keylogFile;
      const proc = spawnPeer('gnutls-serv', args, { env, maxLifetimeMs: options.maxLifetimeMs });
      const bound = await waitForUdpBind(port, {
        timeoutMs: options.startTimeoutMs ?? 5000,
        alive: () => proc.running(),
      });
      if (bound) return serverHandle(proc, port, cleanup);
      await proc.stop(500);
      lastError = `${proc.commandLine}\n${proc.output()}`;
    }
    throw new Error(`gnutls-serv did not start listening:\n${lastError}`);
  } catch (error) {
    await cleanup();
    throw error;
  }
}

export interface GnutlsClientOptions {
  port: number;
  /** Default 127.0.0.1 (never 'localhost': gnutls-serv's IPv6 socket would also answer). */
  host?: string;
  priority: string;
  psk?: string;
  identity?: string;
  /** CA file to verify the server certificate; without it: --insecure. */
  caFile?: string;
  /** Host name to verify the server certificate against. */
  verifyHostname?: string;
  cert?: string;
  key?: string;
  /** A raw public key (RFC 7250) to authenticate with; the priority needs +CTYPE-CLI-RAWPK. */
  rawPublicKey?: { keyFile: string; publicKeyFile: string };
  mtu?: number;
  messages: readonly string[];
  timeoutMs?: number;
  expectEcho?: boolean;
  lingerMs?: number;
  keylogFile?: string;
  extraArgs?: readonly string[];
}

export interface GnutlsClientResult extends ClientResult {
  /** The session description line, e.g. "(DTLS1.2-X.509)-(PSK)-(AES-128-CCM-8)". */
  description: string | undefined;
}

/**
 * Runs `gnutls-cli --udp` against host:port, sends the messages as stdin lines, then
 * closes stdin and resolves when it exits.
 */
export async function runGnutlsClient(options: GnutlsClientOptions): Promise<GnutlsClientResult> {
  if (options.psk !== undefined && !HEX.test(options.psk)) {
    throw new Error(`PSK must be non-empty hex with an even length, got "${options.psk}"`);
  }
  const args = ['--udp', '-p', String(options.port), '--priority', options.priority];
  if (options.psk !== undefined) {
    if (options.identity === undefined) throw new Error('a PSK needs an identity');
    args.push('--pskusername', options.identity, '--pskkey', options.psk);
  }
  if (options.caFile !== undefined) args.push('--x509cafile', options.caFile);
  else args.push('--insecure');
  if (options.verifyHostname !== undefined) args.push('--verify-hostname', options.verifyHostname);
  if (options.cert !== undefined) args.push('--x509certfile', options.cert);
  if (options.key !== undefined) args.push('--x509keyfile', options.key);
  if (options.rawPublicKey !== undefined) args.push('--rawpkkeyfile', options.rawPublicKey.keyFile, '--rawpkfile', options.rawPublicKey.publicKeyFile);
  if (options.mtu !== undefined) args.push('--mtu', String(options.mtu));
  args.push(...(options.extraArgs ?? []));
  args.push(options.host ?? '127.0.0.1');

  const env: Record<string, string> = {};
  if (options.keylogFile !== undefined) env['SSLKEYLOGFILE'] = options.keylogFile;
  const proc = spawnPeer('gnutls-cli', args, { env });
  const result = await runClientProcess(proc, options);
  const description = /- Description: (\S+)/.exec(result.stdout)?.[1];
  return { ...result, description };
}
