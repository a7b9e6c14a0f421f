/**
 * Follows a shared secrets file (secrets-file.ts) so that every server process picks up a
 * rotation without a restart. The file is usually replaced by a rename (write a temporary file,
 * rename it over the old one: `dtls-kit secrets --rotate` does), which gives it a new inode, so
 * the watch is on its directory (fs.watch), with a periodic stat as a fallback where fs.watch
 * reports nothing (network file systems, containers with a bind-mounted file): at most one stat
 * per interval and one read per change. A file that cannot be used (half-written, bad field,
 * missing) keeps the secrets in force and is reported through `onError`, once per version of
 * the file; the next good version is applied.
 *
 * The one file of @dtls-kit/core that does I/O: the runtimes share it (the engine never calls it).
 */
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { SecretsFileError } from './secrets-file-error.js';
import { MAX_SECRETS_FILE_BYTES, parseSecretsFile, type SharedSecrets } from './secrets-file.js';

/** Default interval of the stat fallback. */
export const DEFAULT_SECRETS_POLL_MS = 2000;
/** Changes seen within this many ms are read once (a writer's several events, a rename's two). */
const SETTLE_MS = 30;

/** The secrets in a file, read now (at startup: a bad file is an error the caller throws). */
export function loadSecretsFileSync(path: string): SharedSecrets {
  let text: string;
  try {
    if (statSync(path).size > MAX_SECRETS_FILE_BYTES) throw new SecretsFileError('', `larger than ${MAX_SECRETS_FILE_BYTES} bytes`, path);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof SecretsFileError) throw error;
    throw new SecretsFileError('', `cannot read it (${errorCode(error)})`, path, { cause: error });
  }
  return parseSecretsFile(text, path);
}

export interface SecretsWatcherOptions {
  /** Called with each new good version of the file. */
  readonly onLoad: (secrets: SharedSecrets) => void;
  /** Called once per unusable version of the file (the secrets in force stay). */
  readonly onError: (error: SecretsFileError) => void;
  /** The stat fallback's interval, ms. Default 2000. */
  readonly pollMs?: number;
  /** false: no fs.watch, the periodic stat alone (for file systems whose change events are unreliable). Default true. */
  readonly fsWatch?: boolean;
}

export class SecretsWatcher {
  private readonly pollMs: number;
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  /** The version of the file last handled (read, good or not): inode, size, mtime. */
  private seen: string | undefined;
  private checking = false;
  private again = false;
  private closed = false;

  /**
   * Starts watching `path`. The version there now is taken as the one in force (the caller has just
   * loaded it with loadSecretsFileSync): only later versions are reported.
   */
  constructor(
    readonly path: string,
    private readonly options: SecretsWatcherOptions,
  ) {
    this.pollMs = options.pollMs ?? DEFAULT_SECRETS_POLL_MS;
    if (!Number.isInteger(this.pollMs) || this.pollMs < 10) throw new RangeError(`the secrets file's poll interval must be an integer >= 10 ms (got ${String(options.pollMs)})`);
    try {
      this.seen = versionOf(statSync(path));
    } catch {
      this.seen = undefined;
    }
    const name = basename(path);
    if (options.fsWatch !== false) this.watchDirectory(name);
    this.poll = setInterval(() => void this.check(), this.pollMs);
    this.poll.unref();
  }

  private watchDirectory(name: string): void {
    try {
      // persistent: false — watching a file never keeps a process alive on its own.
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        if (file === null || file === name) this.soon();
      });
      this.watcher.on('error', () => {
        // The directory went away or the watch broke: the poll carries on alone.
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // No fs.watch here (inotify limits, an unsupported file system): the poll alone.
      this.watcher = undefined;
    }
  }

  /** Stops watching (idempotent). */
  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poll !== undefined) clearInterval(this.poll);
    if (this.settle !== undefined) clearTimeout(this.settle);
    this.poll = undefined;
    this.settle = undefined;
  }

  private soon(): void {
    if (this.closed || this.settle !== undefined) return;
    this.settle = setTimeout(() => {
      this.settle = undefined;
      void this.check();
    }, SETTLE_MS);
    this.settle.unref();
  }

  /** Reads the file if it changed since last time; one check at a time (a change during one runs another). */
  private async check(): Promise<void> {
    if (this.closed) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.again = false;
        await this.checkOnce();
      } while (this.again && !this.closed);
    } finally {
      this.checking = false;
    }
  }

  private async checkOnce(): Promise<void> {
    let version: string;
    let text: string | undefined;
    let problem: SecretsFileError | undefined;
    try {
      const st = await stat(this.path);
      version = versionOf(st);
      if (version === this.seen) return;
      if (st.size > MAX_SECRETS_FILE_BYTES) problem = new SecretsFileError('', `larger than ${MAX_SECRETS_FILE_BYTES} bytes`, this.path);
      else text = await readFile(this.path, 'utf8');
    } catch (error) {
      version = `missing:${errorCode(error)}`;
      if (version === this.seen) return;
      problem = new SecretsFileError('', `cannot read it (${errorCode(error)}); the secrets in force stay`, this.path, { cause: error });
    }
    if (this.closed) return;
    this.seen = version;
    if (problem === undefined && text !== undefined) {
      let secrets: SharedSecrets | undefined;
      try {
        secrets = parseSecretsFile(text, this.path);
      } catch (error) {
        problem = error instanceof SecretsFileError ? error : new SecretsFileError('', String(error), this.path);
      }
      if (secrets !== undefined) {
        this.options.onLoad(secrets);
        return;
      }
    }
    if (problem !== undefined) this.options.onError(problem);
  }
}

function versionOf(st: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

function errorCode(error: unknown): string {
  if (error instanceof Error) return 'code' in error && typeof error.code === 'string' ? error.code : error.message;
  return String(error);
}
