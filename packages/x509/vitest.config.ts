import { defineProject } from 'vitest/config';
import { packageTests } from '../../vitest.base.js';

export default defineProject(packageTests('x509'));
