// Packaging, tried as a user would (issue 6, "Each package stands alone"): `pnpm pack` every
// publishable package, `npm install` the tarballs into an empty folder outside the workspace, and
// run echoes from there with `import` and with `require`. publint and attw judge each tarball.
// Nothing is built here: turbo runs every package's build before this test (turbo.json: ^build).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/** The packages users install: every one must pass on its own. */
const PUBLISHABLE = ['core', 'psk', 'x509', 'nonblocking', 'blocking', 'cli'] as const;

let work: string;
let app: string;
const tarballs = new Map<string, string>();

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
async function exec(file: string, args: string[], cwd: string, timeout = 60_000): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, timeout, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: `${e.stderr ?? ''}\n${e.message}` };
  }
}
function must(r: Result, what: string): Result {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dtls-kit-packaging-'));
  const packs = join(work, 'tarballs');
  app = join(work, 'app');
  // pnpm pack rewrites `workspace:^` into a semver range, as publishing would.
  await Promise.all(
    PUBLISHABLE.map(async (name) => {
      must(await exec(bin('pnpm'), ['pack', '--pack-destination', packs], join(root, 'packages', name)), `pnpm pack ${name}`);
    }),
  );
  for (const file of readdirSync(packs)) {
    const name = PUBLISHABLE.find((n) => file.startsWith(`dtls-kit-${n}-`) && /^\d/.test(file.slice(`dtls-kit-${n}-`.length)));
    if (name) tarballs.set(name, join(packs, file));
  }
  // An empty project, outside the workspace, installing every tarball in one npm install (the
  // siblings' ranges are met by the tarballs; third-party dependencies come from the registry).
  const fixtures = join(here, '..', 'fixtures');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'dtls-kit-packaging-app', version: '1.0.0', private: true }, null, 2));
  for (const f of readdirSync(fixtures)) copyFileSync(join(fixtures, f), join(app, f));
  must(
    await exec('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', ...PUBLISHABLE.map((n) => tarballs.get(n) as string)], app, 110_000),
    'npm install of the tarballs',
  );
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed packages, installed with npm outside the workspace', () => {
  it('packs every publishable package with semver ranges for its siblings', async () => {
    expect([...tarballs.keys()].sort()).toEqual([...PUBLISHABLE].sort());
    for (const name of PUBLISHABLE) {
      const manifest = JSON.parse(readFileSync(join(app, 'node_modules', '@dtls-kit', name, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) expect(range, `${name} → ${dep}`).not.toMatch(/^workspace:/);
    }
  });

  it.each([
    ['PSK echo, import (ESM)', 'psk-echo.mjs', 'hello from import'],
    ['PSK echo, require (CJS)', 'psk-echo.cjs', 'hello from require'],
    ['certificate echo (non-blocking), import (ESM)', 'x509-echo.mjs', 'signed and sealed'],
    ['certificate echo (blocking, workers), import (ESM)', 'x509-blocking-echo.mjs', 'blocking and certified'],
    ['certificate echo (blocking, workers), require (CJS)', 'x509-blocking-echo.cjs', 'required and certified'],
  ])('%s', async (_title, script, expected) => {
    const r = must(await exec(process.execPath, [script], app, 30_000), script);
    expect(r.stdout).toContain(`: ${expected}`);
    // The blocking echoes report from the client's worker: chain verified, loop off the main thread.
    if (script.includes('blocking')) expect(r.stdout).toMatch(/authorized true, worker [1-9]\d*\)/);
  });

  it('the dtls-kit binary runs and @dtls-kit/cli loads with import and require', async () => {
    must(await exec(process.execPath, ['-e', "require('@dtls-kit/cli'); import('@dtls-kit/cli').then(() => {})"], app), 'load @dtls-kit/cli');
    const r = must(await exec(join(app, 'node_modules', '.bin', 'dtls-kit'), ['--help'], app), 'dtls-kit --help');
    expect(r.stdout).toContain('dtls-kit server');
  });
});

describe('publint and attw report nothing', () => {
  it.each(PUBLISHABLE)('publint @dtls-kit/%s', async (name) => {
    const r = await exec(bin('publint'), ['run', tarballs.get(name) as string, '--strict', '--level', 'suggestion'], root);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout, r.stdout).toContain('All good!');
  });

  it.each(PUBLISHABLE)('attw @dtls-kit/%s', async (name) => {
    const r = await exec(bin('attw'), [tarballs.get(name) as string, '--format', 'ascii'], root);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout, r.stdout).toContain('No problems found');
  });
});
