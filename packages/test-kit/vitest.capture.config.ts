import { defineProject } from 'vitest/config';
import { packageTests } from '../../vitest.base.js';

/**
 * Not part of `make test`: re-records the DTLS 1.3 wire fixtures of
 * packages/core/test/fixtures/wolfssl13/ (see its README.md):
 *   cd packages/test-kit && npx vitest run --config vitest.capture.config.ts
 */
export default defineProject(packageTests('test-kit-capture', { include: ['capture/**/*.capture.ts'], testTimeout: 60_000 }));
