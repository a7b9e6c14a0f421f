// Packaging, tried as a user would (issue 6, "Each package stands alone"): the tarballs of every
// publishable package, installed with npm into an empty folder outside the workspace
// (installed-app.ts, the global setup), run echoes from there with `import` and with `require`;
// publint and attw judge each tarball.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { PUBLISHABLE, exec, must, root } from './exec.js';

const app = inject('app');
const tarballs = inject('tarballs');
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);

describe('the packed packages, installed with npm outside the workspace', () => {
  it('packs every publishable package with semver ranges for its siblings and tools, and a LICENSE', async () => {
    expect(Object.keys(tarballs).sort()).toEqual([...PUBLISHABLE].sort());
    for (const name of PUBLISHABLE) {
      const text = readFileSync(join(app, 'node_modules', '@dtls-kit', name, 'package.json'), 'utf8');
      const manifest = JSON.parse(text) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      for (const [dep, range] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
        expect(range, `${name} → ${dep}`).toMatch(/^[\^~]?\d/);
      }
      // pnpm pack replaces its own protocols (pnpm-workspace.yaml's catalog, the workspace siblings).
      expect(text, name).not.toMatch(/catalog:|workspace:/);
      expect(existsSync(join(app, 'node_modules', '@dtls-kit', name, 'LICENSE')), `${name} ships its LICENSE`).toBe(true);
    }
  });

  it.each([
    ['PSK echo, import (ESM)', 'psk-echo.mjs', 'hello from import'],
    ['PSK echo, require (CJS)', 'psk-echo.cjs', 'hello from require'],
    ['certificate echo (non-blocking), import (ESM)', 'x509-echo.mjs', 'signed and sealed'],
    ['certificate echo (blocking, workers), import (ESM)', 'x509-blocking-echo.mjs', 'blocking and certified'],
    ['certificate echo (blocking, workers), require (CJS)', 'x509-blocking-echo.cjs', 'required and certified'],
    ["ChaCha20-Poly1305 echo on the sodium-native provider (core's optional dependency), require (CJS)", 'sodium-echo.cjs', 'natively sealed'],
    ["AES-128-GCM echo on the native-aead provider (core's optional dependency, its addon built by npm install), require (CJS)", 'native-echo.cjs', 'sealed by OpenSSL EVP'],
  ])('%s', async (_title, script, expected) => {
    const r = must(await exec(process.execPath, [script], app, 30_000), script);
    expect(r.stdout).toContain(`: ${expected}`);
    // The blocking echoes report from the client's worker: chain verified, loop off the main thread.
    if (script.includes('blocking')) expect(r.stdout).toMatch(/authorized true, worker [1-9]\d*\)/);
    if (script.includes('sodium')) expect(r.stdout).toContain('(TLS_CHACHA20_POLY1305_SHA256, sodium-native)');
    if (script.includes('native-echo')) expect(r.stdout).toContain('(TLS_AES_128_GCM_SHA256, native-aead, addon built at install)');
  });

  it.each(['core-entries.mjs', 'core-entries.cjs'])('@dtls-kit/core keeps its internals on @dtls-kit/core/internal (%s)', async (script) => {
    const r = must(await exec(process.execPath, [script], app), script);
    expect(JSON.parse(r.stdout)).toEqual({ internalsOnMain: [], internalsMissing: [], publicMissing: [], sharedDtlsError: true });
  });

  it('the dtls-kit binary runs and @dtls-kit/cli loads with import and require', async () => {
    must(await exec(process.execPath, ['-e', "require('@dtls-kit/cli'); import('@dtls-kit/cli').then(() => {})"], app), 'load @dtls-kit/cli');
    const r = must(await exec(join(app, 'node_modules', '.bin', 'dtls-kit'), ['--help'], app), 'dtls-kit --help');
    expect(r.stdout).toContain('dtls-kit server');
  });
});

describe('publint and attw report nothing', () => {
  it.each(PUBLISHABLE)('publint @dtls-kit/%s', async (name) => {
    const r = await exec(bin('publint'), ['run', tarballs[name] ?? '', '--strict', '--level', 'suggestion'], root);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout, r.stdout).toContain('All good!');
  });

  it.each(PUBLISHABLE)('attw @dtls-kit/%s', async (name) => {
    const r = await exec(bin('attw'), [tarballs[name] ?? '', '--format', 'ascii'], root);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout, r.stdout).toContain('No problems found');
  });
});
