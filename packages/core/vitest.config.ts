import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    // The fuzz slice measures the heap after a full GC (test/fuzz).
    execArgv: ['--expose-gc'],
  },
});
