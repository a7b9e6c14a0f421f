import { defineConfig } from 'vitest/config';
import { packageTests } from '../../vitest.base.js';

/** `pnpm fuzz`: the long structured fuzz run (FUZZ_DATAGRAMS, FUZZ_SEED), not part of `test`. */
export default defineConfig(
  packageTests('core-fuzz', { include: ['test/fuzz/**/*.fuzz.ts'], testTimeout: 0, execArgv: ['--expose-gc'] }),
);
