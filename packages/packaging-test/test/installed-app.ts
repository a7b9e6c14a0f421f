// Global setup (runs once for every test file): packaging tried as a user would. `pnpm pack` every
// publishable package, then `npm install` the tarballs into an empty folder outside the workspace.
// The test files get the folder and the tarballs through `inject`. Nothing is built here: turbo
// runs every package's build before this test (turbo.json: ^build).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PUBLISHABLE, exec, fixtures, must, root } from './exec.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The user's project: a package.json, the fixtures, node_modules from the tarballs. */
    app: string;
    /** Package name (without scope) → its tarball. */
    tarballs: Record<string, string>;
  }
}

/**
 * The @types/node this package is developed against: the version the workspace installed (its
 * package.json says `catalog:`, a pnpm protocol npm does not know).
 */
function nodeTypesVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(join(root, 'packages', 'packaging-test', 'node_modules', '@types', 'node', 'package.json'), 'utf8'));
  const version: unknown = typeof pkg === 'object' && pkg !== null ? Reflect.get(pkg, 'version') : undefined;
  if (typeof version !== 'string') throw new Error('packages/packaging-test has no @types/node installed');
  return version;
}

export default async function setup(project: TestProject): Promise<() => void> {
  const work = mkdtempSync(join(tmpdir(), 'dtls-kit-packaging-'));
  const packs = join(work, 'tarballs');
  const app = join(work, 'app');
  // pnpm pack rewrites `workspace:^` into a semver range, as publishing would.
  await Promise.all(
    PUBLISHABLE.map(async (name) => {
      must(await exec(join(root, 'node_modules', '.bin', 'pnpm'), ['pack', '--pack-destination', packs], join(root, 'packages', name)), `pnpm pack ${name}`);
    }),
  );
  const tarballs: Record<string, string> = {};
  for (const file of readdirSync(packs)) {
    const name = PUBLISHABLE.find((n) => file.startsWith(`dtls-kit-${n}-`) && /^\d/.test(file.slice(`dtls-kit-${n}-`.length)));
    if (name) tarballs[name] = join(packs, file);
  }
  // An empty project, outside the workspace, installing every tarball in one npm install (the
  // siblings' ranges are met by the tarballs; third-party dependencies come from the registry).
  // A TypeScript user adds Node's types: the README blocks are type-checked against them.
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'dtls-kit-packaging-app', version: '1.0.0', private: true }, null, 2));
  for (const f of readdirSync(fixtures)) copyFileSync(join(fixtures, f), join(app, f));
  must(
    await exec('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', ...Object.values(tarballs), `@types/node@${nodeTypesVersion()}`], app, 110_000),
    'npm install of the tarballs',
  );
  project.provide('app', app);
  project.provide('tarballs', tarballs);
  return () => rmSync(work, { recursive: true, force: true });
}
