import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // pnpm pack + one npm install from the registry happen in beforeAll.
    hookTimeout: 120_000,
    testTimeout: 60_000,
    pool: 'forks',
  },
});
