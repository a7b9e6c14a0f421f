/**
 * Runs the built command (`node dist/cli.js`) as a user would: a server that is waited for until
 * it prints its "listening on" line, and clients that run to their exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const PSK = '000102030405060708090a0b0c0d0e0f';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliServer {
  readonly port: number;
  stderr(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** SIGTERM (a clean shutdown), then waits for the exit. */
  stop(): Promise<number | null>;
}

const live = new Set<ChildProcess>();

/** Kills whatever a failed test left running. */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function spawnCli(args: readonly string[]): { child: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  return { child, out, exited };
}

/** Runs `dtls-kit ARGS` to its exit (killed after timeoutMs), with `input` on stdin. */
export async function runCli(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const { child, out, exited } = spawnCli(args);
  if (options.input !== undefined) child.stdin?.end(options.input);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  const code = await exited;
  clearTimeout(timer);
  return { code, ...out };
}

/**
 * How long a server may take to say it listens: the blocking runtime starts its worker threads
 * first (~1.6 s at load 8 on 2 cores, over 5 s at load 12).
 */
const LISTEN_TIMEOUT_MS = 15_000;

/** Starts `dtls-kit server ARGS --port 0` and resolves once it listens, with its port. */
export async function startCliServer(args: readonly string[]): Promise<CliServer> {
  const { child, out, exited } = spawnCli(['server', '--port', '0', ...args]);
  child.stdin?.end();
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not listen:\n${out.stderr}`)), LISTEN_TIMEOUT_MS);
    const check = (): void => {
      const m = /listening on [^\n]*:(\d+)/.exec(out.stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stderr?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited:\n${out.stderr}`));
    });
  });
  return {
    port,
    stderr: () => out.stderr,
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
