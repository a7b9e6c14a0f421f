import type { UserWorkspaceConfig } from 'vitest/config';

type TestOptions = NonNullable<UserWorkspaceConfig['test']>;

/**
 * What every package's tests share: the files under test/, 30 s per test, each test file in a
 * child process ('forks': the tests open sockets, spawn OpenSSL and start worker threads).
 */
export const testBase = {
  include: ['test/**/*.test.ts'],
  testTimeout: 30_000,
  pool: 'forks',
} as const satisfies TestOptions;

/**
 * A package's test configuration: the shared options, then its own. `name` is the project name at
 * the root (`npx vitest run --project core`). Options are replaced, not merged (an `include`
 * given here is the whole list).
 */
export function packageTests(name: string, options: TestOptions = {}): UserWorkspaceConfig {
  return { test: { ...testBase, name, ...options } };
}
