import { defineProject } from 'vitest/config';
import { packageTests } from '../../vitest.base.js';

/**
 * Test files whose assertions compare timings (cbc-timing.test.ts: Lucky Thirteen, RFC 7457 2.4).
 * package.json's `test` runs them after the rest, alone and one at a time, so that no other test
 * file shares the two cores with their measurement: next to another busy file, one such
 * comparison failed a fresh-clone CI (ratio 1.152 against a bound of 1.15).
 */
export const TIMING_TESTS = ['test/record/cbc-timing.test.ts'];

export default defineProject(packageTests('core-timing', { include: TIMING_TESTS, maxWorkers: 1 }));
