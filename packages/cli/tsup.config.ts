import { rmSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// The two builds below run side by side, so neither may `clean`: dist is emptied once, here.
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });

export default defineConfig([
  packageBuild({
    // cli.js is the `dtls-kit` binary (ESM: it uses top-level await); index.js exports main()
    // and the argument parser.
    // blocking-echo-handler.js and blocking-credentials.js are loaded by path in the worker
    // threads of `server --runtime blocking`, so they are entries of their own next to cli.js.
    entry: ['src/index.ts', 'src/cli.ts', 'src/blocking-echo-handler.ts', 'src/blocking-credentials.ts'],
    format: ['esm'],
    dts: { entry: { index: 'src/index.ts' } },
    clean: false,
    // A hashbang is valid at the top of any ES module, so every output file may carry it.
    banner: { js: '#!/usr/bin/env node' },
  }),
  // The library entry for `require('@dtls-kit/cli')`: dist/index.cjs and dist/index.d.cts.
  packageBuild({ entry: ['src/index.ts'], format: ['cjs'], clean: false }),
]);
