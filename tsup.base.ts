import type { Options } from 'tsup';

/**
 * The build every published package shares: ESM (.js) and CJS (.cjs) for Node 20, each with its
 * declarations (.d.ts / .d.cts) and source maps, dist/ emptied first. A package's tsup.config.ts
 * gives only what differs, its entry points.
 */
export const tsupBase = {
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
} as const satisfies Options;

/** The shared build with a package's own options (entry points, and what else it must change). */
export function packageBuild(options: Options): Options {
  return { ...tsupBase, ...options };
}
