// Builds bench/c/openssl-bench.c into bench/build/ (git-ignored) with the system's OpenSSL 3.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function buildC() {
  const source = fileURLToPath(new URL('../c/openssl-bench.c', import.meta.url));
  const dir = fileURLToPath(new URL('../build/', import.meta.url));
  const binary = `${dir}openssl-bench`;
  mkdirSync(dir, { recursive: true });
  let fresh = false;
  try {
    fresh = statSync(binary).mtimeMs >= statSync(source).mtimeMs;
  } catch {
    fresh = false;
  }
  if (!fresh) execFileSync(process.env.CC ?? 'cc', ['-O2', '-Wall', '-Wextra', '-o', binary, source, '-lssl', '-lcrypto'], { stdio: 'inherit' });
  return binary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(buildC());
