/**
 * Spawning and reaping real peer processes (openssl, gnutls-serv, gnutls-cli).
 *
 * Every process is tracked and killed on stop(), on test-process exit and on
 * SIGINT/SIGTERM/SIGHUP. As a last resort, against a test process killed with SIGKILL,
 * each peer runs under coreutils `timeout` with a lifetime cap, so an orphan cannot
 * outlive it by more than that cap.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants as fsConstants, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { sleep } from '../wait.js';

/** Where to get each binary, for the error a missing one raises. */
const INSTALL_HINTS: Record<string, string> = {
  openssl: 'install it with "apt-get install -y openssl"',
  'gnutls-serv': 'install it with "apt-get install -y gnutls-bin"',
  'gnutls-cli': 'install it with "apt-get install -y gnutls-bin"',
  timeout: 'it is part of coreutils',
};

/** The absolute path of an executable on PATH, or undefined. */
export function findBinary(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/**
 * The absolute path of an executable, or a clear error. Interop tests must fail, never
 * skip, when a peer is missing: a silently skipped interop suite looks like a green one.
 */
export function requireBinary(name: string): string {
  const path = findBinary(name);
  if (path === undefined) {
    const hint = INSTALL_HINTS[name] ?? 'install it';
    throw new Error(`${name} not found on PATH (${process.env['PATH'] ?? ''}): ${hint}`);
  }
  return path;
}

/** `path` itself if it is an executable file, else a clear error. */
export function requireExecutable(path: string): string {
  try {
    accessSync(path, fsConstants.X_OK);
    return path;
  } catch {
    throw new Error(`${path} is not an executable file`);
  }
}

export interface SpawnPeerOptions {
  /** Extra environment variables (e.g. SSLKEYLOGFILE). */
  env?: Record<string, string>;
  /** Hard cap on the process's life, enforced by `timeout` (default 120 000 ms). */
  maxLifetimeMs?: number;
  /** Working directory (wolfSSL's examples must run from its source root). */
  cwd?: string;
}

export interface PeerProcess {
  /** The command line, for error messages. */
  readonly commandLine: string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** stdout and stderr interleaved in arrival order. */
  output(): string;
  /** Writes to stdin (ignored once stdin is closed). */
  write(data: string | Uint8Array): void;
  /** Closes stdin. */
  endInput(): void;
  /** Called with every stdout chunk, in order. */
  onStdout(listener: (chunk: Buffer) => void): void;
  /** Resolves with the exit code, or null when a signal ended the process. */
  readonly exited: Promise<number | null>;
  /** The signal that ended the process, once it has exited that way. */
  signal(): NodeJS.Signals | null;
  /** True until the process has exited. */
  running(): boolean;
  /** SIGTERM, then SIGKILL after graceMs (default 2000); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcessWithoutNullStreams>();
let cleanupInstalled = false;

/**
 * Kills the peer and its `timeout` wrapper. `timeout` makes itself the leader of a new
 * process group holding the peer, so signalling the group reaches both; SIGKILL to the
 * wrapper alone would orphan the peer.
 */
function killTree(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // No such group yet (timeout has not called setpgid) or already gone: the wrapper
    // alone still forwards SIGTERM to the peer.
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

const tempDirs = new Set<string>();

/** Registers a temporary directory (a PSK file's) to delete if the process exits first. */
export function trackTempDir(dir: string): void {
  installCleanup();
  tempDirs.add(dir);
}

export function untrackTempDir(dir: string): void {
  tempDirs.delete(dir);
}

function killAll(): void {
  for (const child of live) killTree(child, 'SIGKILL');
  live.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  }
  tempDirs.clear();
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      killAll();
      process.off(signal, handler);
      // Listening to a signal disables Node's default "exit on signal"; if nobody else
      // handles it, re-raise it so the process still dies the way it was asked to.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/**
 * Spawns `binary args...` under `timeout`, with pipes on all three streams, and tracks it
 * for cleanup. Throws if the binary (or `timeout`) is missing.
 */
export function spawnPeer(binary: string, args: readonly string[], options: SpawnPeerOptions = {}): PeerProcess {
  // An absolute path (a peer built into a cache folder) is taken as is; a name is looked up on PATH.
  const path = binary.startsWith('/') ? requireExecutable(binary) : requireBinary(binary);
  const timeoutPath = requireBinary('timeout');
  installCleanup();
  const lifetimeS = Math.max(1, Math.ceil((options.maxLifetimeMs ?? 120_000) / 1000));
  // -k: if the peer ignores the SIGTERM sent at the cap, SIGKILL it 2 s later.
  const child = spawn(timeoutPath, ['-k', '2', String(lifetimeS), path, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
  });
  live.add(child);
  const commandLine = [binary, ...args].join(' ');

  let out = '';
  let err = '';
  let all = '';
  let exitSignal: NodeJS.Signals | null = null;
  let isRunning = true;
  const stdoutListeners: Array<(chunk: Buffer) => void> = [];

  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    out += text;
    all += text;
    for (const listener of stdoutListeners) listener(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    err += text;
    all += text;
  });
  // EPIPE when the peer exits while we still write to it: expected, not a test failure.
  child.stdin.on('error', () => {});

  const exited = new Promise<number | null>((resolve) => {
    let settled = false;
    const settle = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      isRunning = false;
      live.delete(child);
      // `timeout` reports a command killed by a signal as 128+n (or re-raises it).
      exitSignal = signal ?? (code !== null && code > 128 ? signalName(code - 128) : null);
      resolve(signal !== null || (code !== null && code > 128) ? null : code);
    };
    child.on('error', (error) => {
      err += `spawn error: ${error.message}\n`;
      all += `spawn error: ${error.message}\n`;
      settle(null, null);
    });
    // 'close' rather than 'exit': it comes after stdout/stderr are fully read.
    child.on('close', (code, signal) => settle(code, signal));
  });

  const stop = async (graceMs = 2000): Promise<void> => {
    if (!isRunning) return;
    // SIGTERM to the wrapper only: `timeout` forwards it to the peer and reports the
    // peer's own exit status.
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (isRunning) killTree(child, 'SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(timer);
  };

  return {
    commandLine,
    stdout: () => out,
    stderr: () => err,
    output: () => all,
    write: (data) => {
      if (isRunning && child.stdin.writable) child.stdin.write(data);
    },
    endInput: () => {
      if (child.stdin.writable) child.stdin.end();
    },
    onStdout: (listener) => {
      stdoutListeners.push(listener);
    },
    exited,
    signal: () => exitSignal,
    running: () => isRunning,
    stop,
  };
}

const SIGNALS: Record<number, NodeJS.Signals> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  6: 'SIGABRT',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  15: 'SIGTERM',
};

function signalName(n: number): NodeJS.Signals | null {
  return SIGNALS[n] ?? null;
}

export interface ClientRunOptions {
  messages: readonly string[];
  /** Overall bound; the client is killed past it (default 10 000 ms). */
  timeoutMs?: number;
  /**
   * Wait for each message to come back on stdout before sending the next one and before
   * closing stdin (default true: the peer is an echo server). Sending one message at a
   * time also makes each message its own record.
   */
  expectEcho?: boolean;
  /** With expectEcho false: the pause after each message and before closing stdin (default 300 ms). */
  lingerMs?: number;
}

export interface ClientResult {
  /** Exit code; null when killed by a signal (see `signal`) or by the timeout. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the client had to be killed at timeoutMs. */
  timedOut: boolean;
  /** True when every message was seen on stdout (only meaningful with expectEcho). */
  echoed: boolean;
  /** Wall-clock ms from spawn to exit. */
  durationMs: number;
}

/**
 * Feeds messages (one stdin line each) to a client process that prints what it receives
 * on stdout, then closes stdin so the client sends close_notify and exits.
 */
export async function runClientProcess(proc: PeerProcess, options: ClientRunOptions): Promise<ClientResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const expectEcho = options.expectEcho ?? true;
  const lingerMs = options.lingerMs ?? 300;
  const deadline = started + timeoutMs;
  let timedOut = false;
  const killTimer = setTimeout(() => {
    timedOut = true;
    void proc.stop(500);
  }, timeoutMs);

  // Keep ~1.5 s of the budget for close_notify and exit (gnutls-cli takes ~2 s to exit
  // after stdin EOF, s_client ~0.5 s).
  const echoDeadline = deadline - Math.min(1500, timeoutMs / 3);
  let searchFrom = 0;
  let echoed = expectEcho;
  for (const message of options.messages) {
    if (!proc.running()) break;
    proc.write(`${message}\n`);
    if (expectEcho) {
      const found = await waitFor(() => {
        const at = proc.stdout().indexOf(message, searchFrom);
        if (at < 0) return false;
        searchFrom = at + message.length;
        return true;
      }, echoDeadline, proc);
      if (!found) {
        echoed = false;
        break;
      }
    } else {
      await sleep(lingerMs);
    }
  }
  proc.endInput();
  const code = await proc.exited;
  clearTimeout(killTimer);
  return {
    code,
    signal: proc.signal(),
    stdout: proc.stdout(),
    stderr: proc.stderr(),
    timedOut,
    echoed: expectEcho && echoed,
    durationMs: performance.now() - started,
  };
}

/** Polls `condition` every 5 ms until it holds, the deadline passes, or the process exits. */
async function waitFor(condition: () => boolean, deadline: number, proc: PeerProcess): Promise<boolean> {
  for (;;) {
    if (condition()) return true;
    if (!proc.running() || performance.now() >= deadline) return condition();
    await sleep(5);
  }
}

export interface PeerServer {
  /** The UDP port the server listens on (127.0.0.1 for OpenSSL; all addresses for GnuTLS). */
  readonly port: number;
  /** stdout and stderr so far, interleaved. For an echo s_server, stdout is exactly what it received. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** The command line, for failure messages. */
  readonly commandLine: string;
  /** Kills the server (SIGTERM, then SIGKILL) and removes its temporary files. */
  stop(): Promise<void>;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
}

/** Wraps a started server process; `cleanup` runs after it has exited (temp files). */
export function serverHandle(proc: PeerProcess, port: number, cleanup: () => Promise<void>): PeerServer {
  return {
    port,
    output: () => proc.output(),
    stdout: () => proc.stdout(),
    stderr: () => proc.stderr(),
    commandLine: proc.commandLine,
    stop: async () => {
      await proc.stop();
      await cleanup();
    },
    exited: proc.exited,
  };
}

/** A peer server's command line and output, for failure messages. */
export function describePeerServer(server: PeerServer): string {
  return `peer: ${server.commandLine}\n${server.output()}`;
}

/** How a peer client ended and what it printed, for failure messages. */
export function describePeerClient(client: ClientResult): string {
  return [`peer client: code=${client.code} signal=${client.signal} timedOut=${client.timedOut} echoed=${client.echoed}`, client.stdout, client.stderr].join('\n');
}
