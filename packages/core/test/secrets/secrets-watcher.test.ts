import { randomBytes } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretsFileError } from '../../src/secrets/secrets-file-error.js';
import { formatSecretsFile, type SharedSecrets } from '../../src/secrets/secrets-file.js';
import { loadSecretsFileSync, SecretsWatcher } from '../../src/secrets/secrets-watcher.js';
import { newSecrets, rotateSecrets } from '../../src/secrets/rotate-secrets.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const dirs: string[] = [];
const watchers: SecretsWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(): { path: string; write: (s: SharedSecrets) => void; s0: SharedSecrets } {
  const dir = mkdtempSync(join(tmpdir(), 'dtls-secrets-'));
  dirs.push(dir);
  const path = join(dir, 'secrets.json');
  let n = 0;
  // As `dtls-kit secrets --rotate` writes: a temporary file renamed over the old one.
  const write = (s: SharedSecrets): void => {
    const tmp = `${path}.tmp${n++}`;
    writeFileSync(tmp, formatSecretsFile(s));
    renameSync(tmp, path);
  };
  const s0 = newSecrets(random, Date.now());
  write(s0);
  return { path, write, s0 };
}

/** Resolves when `check` holds, polling every 10 ms; rejects after `ms`. */
async function until(check: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('SecretsWatcher', () => {
  it('loads at startup with a typed error for a bad file', () => {
    const { path, s0 } = setup();
    expect(loadSecretsFileSync(path)).toEqual(s0);
    expect(() => loadSecretsFileSync(`${path}.missing`)).toThrow(SecretsFileError);
    writeFileSync(path, '{"format": "dtls-kit-secrets/1", "cookieSecret": "AAAA"');
    expect(() => loadSecretsFileSync(path)).toThrow(/not valid JSON/);
  });

  it('follows a rename-replaced file; a half-written or bad one keeps the secrets in force and is reported once', async () => {
    const { path, write, s0 } = setup();
    const loads: SharedSecrets[] = [];
    const errors: SecretsFileError[] = [];
    // A long poll: fs.watch must see these changes by itself.
    watchers.push(new SecretsWatcher(path, { onLoad: (s) => loads.push(s), onError: (e) => errors.push(e), pollMs: 60_000 }));
    const s1 = rotateSecrets(s0, { random, now: Date.now() }).secrets;
    write(s1);
    await until(() => loads.length === 1);
    expect(loads[0]).toEqual(s1);

    // Written in place and cut off half-way (a writer that does not rename, caught mid-write).
    const text = formatSecretsFile(rotateSecrets(s1, { random, now: Date.now() }).secrets);
    writeFileSync(path, text.slice(0, 40));
    await until(() => errors.length >= 1);
    expect(errors[0]?.field).toBe('');
    expect(loads).toHaveLength(1);
    // Finished: the good version is applied.
    writeFileSync(path, text);
    await until(() => loads.length === 2);
    expect(formatSecretsFile(loads[1] as SharedSecrets)).toBe(text);

    // A bad field: reported with its name, nothing loaded.
    const before = errors.length;
    writeFileSync(path, text.replace(/"ticketKeys": \[\n\s+"[^"]+"/, '"ticketKeys": [\n    "AAAA"'));
    await until(() => errors.length > before);
    expect(errors.at(-1)?.field).toBe('ticketKeys[0]');
    expect(loads).toHaveLength(2);
  });

  it('a periodic stat finds a change fs.watch did not report (the fallback)', async () => {
    const { path, s0 } = setup();
    const loads: SharedSecrets[] = [];
    // No directory watch: only the poll is left.
    watchers.push(new SecretsWatcher(path, { onLoad: (s) => loads.push(s), onError: () => undefined, pollMs: 50, fsWatch: false }));
    const s1 = rotateSecrets(s0, { random, now: Date.now() }).secrets;
    writeFileSync(path, formatSecretsFile(s1));
    await until(() => loads.length === 1);
    expect(loads[0]).toEqual(s1);
  });
});
