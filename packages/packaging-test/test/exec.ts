// Running commands for the packaging tests: never throws, returns the exit code and the output.
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

/** The monorepo's root. */
export const root: string = resolve(here, '../../..');
/** Scripts copied into the user's project. */
export const fixtures: string = join(here, '..', 'fixtures');
/** The packages users install: every one must pass on its own. */
export const PUBLISHABLE = ['core', 'psk', 'x509', 'nonblocking', 'blocking', 'cli', 'native-aead'] as const;

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export async function exec(file: string, args: string[], cwd: string, timeout = 60_000, env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, timeout, killSignal: 'SIGKILL', maxBuffer: 16 << 20, env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    // execFile's error carries the exit code and the output so far.
    const field = (name: string): unknown => (typeof err === 'object' && err !== null ? Reflect.get(err, name) : undefined);
    const code = field('code');
    const text = (name: string): string => String(field(name) ?? '');
    return { code: typeof code === 'number' ? code : 1, stdout: text('stdout'), stderr: `${text('stderr')}\n${String(err)}` };
  }
}

export function must(r: Result, what: string): Result {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}
