import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.js is the `dtls-kit` binary; index.js exports main() and the argument parser.
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // A hashbang is valid at the top of any ES module, so every output file may carry it.
  banner: { js: '#!/usr/bin/env node' },
});
