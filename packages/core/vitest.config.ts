import { defineProject } from 'vitest/config';
import { packageTests } from '../../vitest.base.js';

// The fuzz slice measures the heap after a full GC (test/fuzz).
export default defineProject(packageTests('core', { execArgv: ['--expose-gc'] }));
