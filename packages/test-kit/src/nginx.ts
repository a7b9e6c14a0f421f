/**
 * Debian's nginx (packages nginx, libnginx-mod-stream, libnginx-mod-stream-js; `make peers`
 * installs them) as a UDP load balancer in tests: run as the current user with a prefix of its
 * own in a temporary folder (`nginx -p DIR -c DIR/nginx.conf -e stderr -g 'daemon off;'`), so
 * nothing under /etc/nginx or /var/log/nginx is read or written. The configuration is the
 * caller's (`dtls-kit lb-config` writes one whose pid and error log are relative to the prefix).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from './peers/process.js';
import { sleep } from './wait.js';

export interface NginxProcess {
  /** The prefix folder (nginx.conf, nginx.pid, error.log). */
  readonly prefix: string;
  readonly commandLine: string;
  /** nginx's error log so far (notice level with lb-config's configuration), and its stderr. */
  log(): string;
  /**
   * Replaces the configuration and has nginx load it (SIGHUP, as `nginx -s reload`): resolves once
   * new worker processes have started and the old ones have exited (they linger while they hold
   * UDP sessions); rejects when that takes longer than the start timeout.
   */
  reload(config: string): Promise<void>;
  /** Stops nginx (SIGTERM: fast shutdown), waits for it and removes the prefix folder. */
  stop(): Promise<void>;
}

/** Debian's module folder, where libnginx-mod-stream(-js) put their .so files. */
export const NGINX_MODULES_DIR = '/usr/lib/nginx/modules';

/**
 * The nginx binary, with a clear error when it or the stream modules are missing (a load
 * balancer test must fail, not skip, without them).
 */
export function requireNginx(): string {
  const binary = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : requireBinary('nginx');
  for (const module of ['ngx_stream_module.so', 'ngx_stream_js_module.so']) {
    if (!existsSync(join(NGINX_MODULES_DIR, module))) {
      throw new Error(`${join(NGINX_MODULES_DIR, module)} is missing: apt-get install -y nginx libnginx-mod-stream libnginx-mod-stream-js (make peers)`);
    }
  }
  return binary;
}

/**
 * Starts nginx with `config` and resolves once its worker processes have started (they log
 * "start worker process"; the master binds the listening sockets before that). Rejects with
 * nginx's own messages when the configuration is refused or nothing starts within `timeoutMs`.
 */
export async function startNginx(config: string, timeoutMs = 10_000): Promise<NginxProcess> {
  const binary = requireNginx();
  const prefix = mkdtempSync(join(tmpdir(), 'dtls-kit-nginx-'));
  const confPath = join(prefix, 'nginx.conf');
  writeFileSync(confPath, config);
  const args = ['-p', prefix, '-c', confPath, '-e', 'stderr', '-g', 'daemon off;'];
  const commandLine = `${binary} ${args.map((a) => (/[\s;]/.test(a) ? `'${a}'` : a)).join(' ')}`;
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    // Bounded: a test's nginx logs a few lines per session at most; keep the last 256 KiB.
    stderr = (stderr + chunk).slice(-262_144);
  });
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      exited = code;
      resolve();
    });
    child.once('error', (error) => {
      stderr += `\nspawn failed: ${error.message}`;
      exited = -1;
      resolve();
    });
  });
  const errorLog = join(prefix, 'error.log');
  const log = (): string => {
    const file = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '';
    return `${stderr}${file}`;
  };
  const stop = async (): Promise<void> => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exit.then(() => true), sleep(5000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exit;
      }
    }
    rmSync(prefix, { recursive: true, force: true });
  };
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) {
      const text = log();
      rmSync(prefix, { recursive: true, force: true });
      throw new Error(`nginx exited (${String(exited)}) at start: ${commandLine}\n${text}`);
    }
    if (existsSync(join(prefix, 'nginx.pid')) && log().includes('start worker process')) break;
    if (performance.now() > deadline) {
      const text = log();
      await stop();
      throw new Error(`nginx did not start within ${timeoutMs} ms: ${commandLine}\n${text}`);
    }
    await sleep(20);
  }
  const reload = async (next: string): Promise<void> => {
    const count = (pattern: RegExp): number => log().match(pattern)?.length ?? 0;
    const started = /start worker process \d+/g;
    const ended = /worker process \d+ exited with code/g;
    // Every worker started so far must be gone afterwards: until the old ones exit, a flow may
    // reach an old worker (old configuration) or a new one.
    const workers = count(started);
    writeFileSync(confPath, next);
    child.kill('SIGHUP');
    const until = performance.now() + timeoutMs;
    while (count(started) === workers || count(ended) < workers) {
      if (exited !== undefined || performance.now() > until) throw new Error(`nginx did not reload: ${log()}`);
      await sleep(20);
    }
  };
  return { prefix, commandLine, log, reload, stop };
}
