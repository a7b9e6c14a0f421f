/**
 * The load-balancer test bed: dtls-kit server processes (fixtures/lb-backend.mjs) on loopback
 * ports, and Debian's nginx in front of them with the configuration `dtls-kit lb-config` prints
 * (run through main(), as a user would run the command).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freeUdpPort, startNginx, type NginxProcess } from '@dtls-kit/test-kit';
import { main } from '../../src/main.js';

export const BACKEND_SCRIPT = fileURLToPath(new URL('./fixtures/lb-backend.mjs', import.meta.url));

/** What a backend process tells the test. */
export type BackendEvent =
  | { type: 'ready'; serverId: number }
  | { type: 'connection'; serverId: number; cid: string; address: string; port: number; resumed: boolean }
  | { type: 'move'; serverId: number; cid: string; address: string; port: number };

export interface Backend {
  readonly serverId: number;
  readonly port: number;
  readonly child: ChildProcess;
  readonly events: BackendEvent[];
  /** Its server's stats (createServer().stats) via IPC. */
  stats(): Promise<BackendStats>;
}

export interface Cluster {
  /** nginx's UDP port on 127.0.0.1. */
  readonly port: number;
  readonly nginx: NginxProcess;
  readonly backends: readonly Backend[];
  /** The configuration `dtls-kit lb-config` printed. */
  readonly config: string;
  stop(): Promise<void>;
}

/** Runs `dtls-kit lb-config ARGS` in-process; resolves with its stdout (throws on a non-zero exit). */
export async function lbConfigOutput(args: readonly string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await main(['lb-config', ...args], {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    stdinLines: () => (async function* () {})(),
  });
  if (code !== 0) throw new Error(`dtls-kit lb-config exited ${code}: ${err}`);
  return out;
}

export interface BackendStats {
  connections: number;
  accepted: number;
  dropped: Record<string, number>;
}

/** An IPC message's fields, or undefined for anything that is not an object. */
function fields(m: unknown): Record<string, unknown> | undefined {
  return typeof m === 'object' && m !== null ? Object.fromEntries(Object.entries(m)) : undefined;
}

/** A backend's IPC message as a BackendEvent (checked field by field), or undefined. */
function backendEvent(m: unknown): BackendEvent | undefined {
  const f = fields(m);
  if (f === undefined || typeof f['serverId'] !== 'number') return undefined;
  const serverId = f['serverId'];
  if (f['type'] === 'ready') return { type: 'ready', serverId };
  const { cid, address, port } = f;
  if (typeof cid !== 'string' || typeof address !== 'string' || typeof port !== 'number') return undefined;
  if (f['type'] === 'connection') return { type: 'connection', serverId, cid, address, port, resumed: f['resumed'] === true };
  if (f['type'] === 'move') return { type: 'move', serverId, cid, address, port };
  return undefined;
}

function backendStats(m: unknown): BackendStats | undefined {
  const stats = fields(fields(m)?.['stats']);
  if (stats === undefined) return undefined;
  const dropped: Record<string, number> = {};
  for (const [k, v] of Object.entries(fields(stats['dropped']) ?? {})) if (typeof v === 'number') dropped[k] = v;
  return { connections: Number(stats['connections']), accepted: Number(stats['accepted']), dropped };
}

async function startBackend(serverId: number, ticketKey: string | undefined): Promise<Backend> {
  const port = await freeUdpPort();
  const child = fork(BACKEND_SCRIPT, [String(port), String(serverId), ...(ticketKey ? [ticketKey] : [])], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const events: BackendEvent[] = [];
  const waiters: Array<(s: BackendStats) => void> = [];
  child.on('message', (m: unknown) => {
    const stats = fields(m)?.['type'] === 'stats' ? backendStats(m) : undefined;
    if (stats !== undefined) {
      waiters.shift()?.(stats);
      return;
    }
    const event = backendEvent(m);
    if (event !== undefined) events.push(event);
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend ${serverId} did not start`)), 15_000);
    const check = (m: unknown): void => {
      if (backendEvent(m)?.type === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    };
    child.on('message', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`backend ${serverId} exited (${String(code)}) before it was ready`));
    });
  });
  await ready;
  return {
    serverId,
    port,
    child,
    events,
    stats: () =>
      new Promise((resolve) => {
        waiters.push(resolve);
        child.send('stats');
      }),
  };
}

/** `count` backends (server ids 0..count-1) behind nginx; `ticketKey` (hex, 48 bytes) shared by all. */
export async function startCluster(count: number, options: { ticketKey?: string; extraArgs?: readonly string[] } = {}): Promise<Cluster> {
  const backends: Backend[] = [];
  try {
    for (let id = 0; id < count; id++) backends.push(await startBackend(id, options.ticketKey));
    const port = await freeUdpPort();
    const config = await lbConfigOutput([
      '--backends',
      backends.map((b) => `127.0.0.1:${b.port}`).join(','),
      '--listen',
      `127.0.0.1:${port}`,
      ...(options.extraArgs ?? []),
    ]);
    const nginx = await startNginx(config);
    return {
      port,
      nginx,
      backends,
      config,
      stop: async () => {
        await nginx.stop();
        await Promise.all(backends.map((b) => stopBackend(b)));
      },
    };
  } catch (error) {
    await Promise.all(backends.map((b) => stopBackend(b)));
    throw error;
  }
}

export async function stopBackend(b: Backend): Promise<void> {
  if (b.child.exitCode !== null || b.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => b.child.once('exit', () => resolve()));
  b.child.kill('SIGKILL');
  await exited;
}
