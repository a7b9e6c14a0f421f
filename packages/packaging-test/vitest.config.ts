import { defineProject } from 'vitest/config';
import { packageTests } from '../../vitest.base.js';

export default defineProject(
  packageTests('packaging', {
    // pnpm pack + one npm install from the registry, once for every test file.
    globalSetup: ['test/installed-app.ts'],
    hookTimeout: 120_000,
    testTimeout: 60_000,
    // One file at a time: the README snippets use fixed ports (4433, ...).
    fileParallelism: false,
  }),
);
