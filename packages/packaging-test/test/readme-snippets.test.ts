// Every README's code runs (issue 6: "a test runs every README snippet, so the docs cannot rot"),
// in the user's project made by the global setup: the packages come from their tarballs, the
// `dtls-kit` command from node_modules/.bin, the peer from the machine's `openssl`.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { root } from './exec.js';
import { parseReadme, type Snippet } from './readme-snippets.js';

const READMES = ['README.md', ...['core', 'psk', 'x509', 'nonblocking', 'blocking', 'cli'].map((p) => `packages/${p}/README.md`)];
const app = inject('app');

interface Ran {
  code: number | null;
  output: string;
  stdout: string;
}

/** Runs a snippet in its own process group, so servers it starts in the background die with it. */
function runSnippet(snippet: Snippet, dir: string, timeoutMs: number): Promise<Ran> {
  const name = `snippet-${snippet.line}.${snippet.lang === 'js' ? 'mjs' : 'sh'}`;
  writeFileSync(join(dir, name), snippet.code);
  const [command, args] = snippet.lang === 'js' ? [process.execPath, [name]] : ['bash', ['-e', name]];
  const child = spawn(command, args, {
    cwd: dir,
    detached: true,
    env: { ...process.env, PATH: `${join(app, 'node_modules', '.bin')}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let output = '';
  child.stdout.on('data', (d: Buffer) => ((stdout += String(d)), (output += String(d))));
  child.stderr.on('data', (d: Buffer) => (output += String(d)));
  const killGroup = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  };
  const timer = setTimeout(killGroup, timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup(); // anything the snippet left running in the background
      resolve({ code, output, stdout });
    });
  });
}

describe.each(READMES)('%s', (readme) => {
  const { snippets, unrunnable } = parseReadme(readFileSync(join(root, readme), 'utf8'));
  const dir = join(app, 'readme', readme.replace(/\W+/g, '-'));
  const programs = snippets.filter((s) => s.file === undefined);

  it('has runnable code and only languages this test runs', () => {
    expect(unrunnable).toEqual([]);
    expect(programs.length).toBeGreaterThan(0);
  });

  it.each(programs.map((s) => [`${s.lang} block at line ${s.line}`, s] as const))('%s runs and prints what it says', async (_title, snippet) => {
    mkdirSync(dir, { recursive: true });
    // The modules the programs import, from the same README.
    for (const m of snippets) if (m.file !== undefined) writeFileSync(join(dir, m.file), m.code);
    expect(snippet.expected.length, 'a program says what it prints (a `// → text` line)').toBeGreaterThan(0);
    const ran = await runSnippet(snippet, dir, 45_000);
    expect(ran.code, ran.output).toBe(0);
    let from = 0;
    for (const text of snippet.expected) {
      const at = ran.stdout.indexOf(text, from);
      expect(at, `"${text}" (in order) in:\n${ran.output}`).toBeGreaterThanOrEqual(0);
      from = at + text.length;
    }
  });
});
