import { defineProject } from 'vitest/config';
import { packageTests } from '../../vitest.base.js';
import { TIMING_TESTS } from './vitest.timing.config.js';

// The fuzz slice measures the heap after a full GC (test/fuzz). Two test files at a time: most of
// core's tests are CPU in one process (simulated clocks and links), and vitest's default on a
// 2-core machine (cores - 1) would run its 150-odd files one after the other. The files that
// compare timings are left out here and run alone afterwards (vitest.timing.config.ts).
export default defineProject(packageTests('core', { execArgv: ['--expose-gc'], maxWorkers: 2, exclude: ['**/node_modules/**', ...TIMING_TESTS] }));
