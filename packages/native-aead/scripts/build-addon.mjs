#!/usr/bin/env node
// Builds the addon with node-gyp, without downloading anything: node's headers (N-API and the
// OpenSSL ones node:crypto is built from) are taken from beside the running node when they are
// there (--nodedir), and node-gyp is ours (devDependency) or the one npm/pnpm hands to install
// scripts (npm_config_node_gyp), or the one bundled with npm. Exits non-zero when the build
// fails: npm and pnpm then drop this optional dependency and @dtls-kit/core keeps node:crypto.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

/** node-gyp's CLI script: ours, the package manager's, or npm's bundled one; undefined when none. */
function findNodeGyp() {
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // not a devDependency install (a consumer's npm install of the tarball)
  }
  const fromManager = process.env.npm_config_node_gyp;
  if (fromManager !== undefined && fromManager !== '' && existsSync(fromManager)) return fromManager;
  const bundled = join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(bundled) ? bundled : undefined;
}

/** The node prefix when its headers sit beside it (a release install: <prefix>/include/node), else undefined. */
function localNodeDir() {
  const prefix = dirname(dirname(process.execPath));
  const include = join(prefix, 'include', 'node');
  const complete = ['node_api.h', 'common.gypi', join('openssl', 'evp.h')].every((f) => existsSync(join(include, f)));
  return complete ? prefix : undefined;
}

const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) {
  console.error('@dtls-kit/native-aead: node-gyp not found; the addon is not built (@dtls-kit/core keeps node:crypto)');
  process.exit(1);
}
const nodeDir = localNodeDir();
const args = [nodeGyp, 'rebuild', ...(nodeDir === undefined ? [] : [`--nodedir=${nodeDir}`])];
const result = spawnSync(process.execPath, args, { cwd: packageDir, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(`@dtls-kit/native-aead: the addon build failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}); @dtls-kit/core keeps node:crypto`);
  process.exit(1);
}
