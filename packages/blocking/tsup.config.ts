import { defineConfig } from 'tsup';

export default defineConfig({
  // The worker is its own file (dist/worker.js), loaded by Piscina from both the ESM and CJS builds.
  entry: ['src/index.ts', 'src/worker.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
