import { defineConfig } from 'vitest/config';

// Every package's tests as one vitest project each (named after the package: core, x509, psk,
// blocking, nonblocking, hostile, cli, test-kit, packaging, examples, bench), so `npx vitest run
// --project core` runs one package from here. `make test` runs them package by package (turbo),
// each with its own vitest.config.ts, after the builds their tests load. core-timing: core's
// timing comparisons, which core's own `test` runs alone after the rest.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'packages/core/vitest.timing.config.ts', 'apps/*/vitest.config.ts', 'bench/vitest.config.mjs'],
  },
});
