import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig(
  packageBuild({
    // The worker is its own file (dist/worker.js), loaded by Piscina from both the ESM and CJS builds.
    entry: ['src/index.ts', 'src/worker.ts'],
    dts: { entry: 'src/index.ts' },
  }),
);
