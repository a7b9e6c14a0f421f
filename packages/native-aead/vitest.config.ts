import { defineProject } from 'vitest/config';
import { packageTests } from '../../vitest.base.js';

// --expose-gc: the memory test collects dropped contexts to see that their memory comes back.
export default defineProject(packageTests('native-aead', { execArgv: ['--expose-gc'] }));
