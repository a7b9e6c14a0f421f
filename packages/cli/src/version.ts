import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version of @dtls-kit/cli, from its package.json (one level above dist/ and src/ alike), so
 * `dtls-kit --version` says what npm installed.
 */
export function packageVersion(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  const manifest: unknown = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8'));
  if (typeof manifest === 'object' && manifest !== null && 'version' in manifest && typeof manifest.version === 'string') return manifest.version;
  throw new Error('@dtls-kit/cli: package.json has no version');
}
