/** Running the openssl command line in a scratch directory, for tests against an implementation we did not write. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Scratch {
  readonly dir: string = mkdtempSync(join(tmpdir(), 'dtls-kit-x509-'));

  path(name: string): string {
    return join(this.dir, name);
  }

  write(name: string, data: string | Uint8Array): string {
    const path = this.path(name);
    writeFileSync(path, data);
    return path;
  }

  read(name: string): Buffer {
    return readFileSync(this.path(name));
  }

  readText(name: string): string {
    return readFileSync(this.path(name), 'utf8');
  }

  /** Runs openssl with `args` in the scratch directory; throws with its stderr when it fails. */
  openssl(args: readonly string[], input?: string | Uint8Array): string {
    try {
      return execFileSync('openssl', args, { cwd: this.dir, input, stdio: ['pipe', 'pipe', 'pipe'] }).toString('utf8');
    } catch (err) {
      const stderr = err instanceof Error && 'stderr' in err ? String(err.stderr) : '';
      throw new Error(`openssl ${args.join(' ')} failed: ${stderr}`, { cause: err });
    }
  }

  /** Runs openssl with extra environment variables (for `openssl ca`'s $ENV:: configuration). */
  opensslEnv(args: readonly string[], env: Readonly<Record<string, string>>): string {
    try {
      return execFileSync('openssl', args, { cwd: this.dir, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] }).toString('utf8');
    } catch (err) {
      const stderr = err instanceof Error && 'stderr' in err ? String(err.stderr) : '';
      throw new Error(`openssl ${args.join(' ')} failed: ${stderr}`, { cause: err });
    }
  }

  /** True when openssl exits 0. */
  opensslOk(args: readonly string[]): boolean {
    try {
      this.openssl(args);
      return true;
    } catch {
      return false;
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
