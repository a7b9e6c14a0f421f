import { defineProject } from 'vitest/config';
import { packageTests } from '../vitest.base.ts';

export default defineProject(packageTests('bench', { include: ['test/**/*.test.mjs'], testTimeout: 180_000 }));
