import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // pnpm pack + one npm install from the registry, once for every test file.
    globalSetup: ['test/installed-app.ts'],
    hookTimeout: 120_000,
    testTimeout: 60_000,
    pool: 'forks',
    // One file at a time: the README snippets use fixed ports (4433, ...).
    fileParallelism: false,
  },
});
