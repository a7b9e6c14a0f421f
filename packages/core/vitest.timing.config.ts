import { defineProject } from 'vitest/config';
import { packageTests } from '../../vitest.base.js';

/**
 * Test files whose assertions compare timings (cbc-timing.test.ts: Lucky Thirteen, RFC 7457 2.4).
 * They run alone and one at a time, so that no other test file shares the two cores with their
 * measurement: next to another busy file, one such comparison failed a fresh-clone CI (ratio 1.152
 * against a bound of 1.15). package.json's `test` leaves them out (turbo runs it next to other
 * packages' tests) and `test:timing` runs them: `make test` runs it after every package's `test`
 * has finished (`pnpm test && pnpm test:timing` here does the same for core alone).
 */
export const TIMING_TESTS = ['test/record/cbc-timing.test.ts'];

export default defineProject(packageTests('core-timing', { include: TIMING_TESTS, maxWorkers: 1 }));
