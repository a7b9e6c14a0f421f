#!/usr/bin/env node
// The `dtls-kit` binary. A file that exists before the build, so that `pnpm install` links it
// on a fresh clone (pnpm skips bins whose file is missing); the command itself is dist/cli.js.
import '../dist/cli.js';
