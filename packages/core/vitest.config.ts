import { defineProject } from 'vitest/config';
import { packageTests } from '../../vitest.base.js';

// The fuzz slice measures the heap after a full GC (test/fuzz). Two test files at a time: most of
// core's tests are CPU in one process (simulated clocks and links), and vitest's default on a
// 2-core machine (cores - 1) would run its 150-odd files one after the other.
export default defineProject(packageTests('core', { execArgv: ['--expose-gc'], maxWorkers: 2 }));
