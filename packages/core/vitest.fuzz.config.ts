import { defineConfig } from 'vitest/config';

/** `pnpm fuzz`: the long structured fuzz run (FUZZ_DATAGRAMS, FUZZ_SEED), not part of `test`. */
export default defineConfig({
  test: {
    include: ['test/fuzz/**/*.fuzz.ts'],
    testTimeout: 0,
    pool: 'forks',
    execArgv: ['--expose-gc'],
  },
});
