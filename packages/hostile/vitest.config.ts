import { defineProject } from 'vitest/config';
import { packageTests } from '../../vitest.base.js';

export default defineProject(
  packageTests('hostile', {
    // The loss matrix waits out OpenSSL's fixed 1 s doubling retransmission timer (RFC 6347
    // 4.2.4.1) in the loss tail; each test sets its own bound below this one.
    testTimeout: 200_000,
    hookTimeout: 60_000,
    // The cells of a matrix run concurrently (they mostly wait on timers).
    maxConcurrency: 12,
  }),
);
