import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig(
  packageBuild({
    // Two entries (@dtls-kit/core and @dtls-kit/core/internal) over one set of modules: split
    // into shared chunks in CJS too, so a class (DtlsError, DtlsConnection) exists once whichever
    // entry loaded it, and instanceof holds across them.
    entry: ['src/index.ts', 'src/internal.ts'],
    splitting: true,
    // import.meta.url in the CJS build too: the sodium provider resolves its optional dependency from it.
    shims: true,
  }),
);
