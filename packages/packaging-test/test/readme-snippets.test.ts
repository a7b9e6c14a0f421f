// Every README's code runs (issue 6: "a test runs every README snippet, so the docs cannot rot"),
// in the user's project made by the global setup: the packages come from their tarballs, the
// `dtls-kit` command from node_modules/.bin, the peer from the machine's `openssl`. Every ```js
// block also compiles under `tsc --strict --noUncheckedIndexedAccess` with checkJs against the
// installed packages' types (issue 14), all blocks in one tsc run.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { exec, fixtures, root } from './exec.js';
import { parseReadme, type Snippet } from './readme-snippets.js';
import { STRICT_COMPILER_OPTIONS, parseTscOutput, readmeLocation, snippetFileName, type TscOutput } from './readme-typecheck.js';

const READMES = ['README.md', ...['core', 'psk', 'x509', 'nonblocking', 'blocking', 'cli'].map((p) => `packages/${p}/README.md`)];
const app = inject('app');
/** The packaging test's own user scripts (copied into the user's project): checked in the same run. */
const FIXTURES = readdirSync(fixtures).filter((f) => /\.[cm]?js$/.test(f));

/** Every README's ```js blocks, written into the user's project and checked by one tsc run. */
let checked: Promise<{ dirs: Map<string, string>; result: TscOutput }> | undefined;
function typecheck(): Promise<{ dirs: Map<string, string>; result: TscOutput }> {
  checked ??= (async () => {
    const dirs = new Map<string, string>();
    const files: string[] = FIXTURES.map((f) => join(app, f));
    for (const readme of READMES) {
      const dir = join(app, 'typecheck', readme.replace(/\W+/g, '-'));
      mkdirSync(dir, { recursive: true });
      dirs.set(readme, dir);
      for (const s of parseReadme(readFileSync(join(root, readme), 'utf8')).snippets) {
        if (s.lang !== 'js') continue;
        writeFileSync(join(dir, snippetFileName(s)), s.code);
        files.push(join(dir, snippetFileName(s)));
      }
    }
    const config = join(app, 'tsconfig.typecheck.json');
    writeFileSync(config, JSON.stringify({ compilerOptions: STRICT_COMPILER_OPTIONS, files }, null, 2));
    const tsc = join(root, 'packages', 'packaging-test', 'node_modules', 'typescript', 'bin', 'tsc');
    const ran = await exec(process.execPath, [tsc, '-p', config, '--pretty', 'false'], app, 120_000);
    // tsc names files relative to its working directory.
    const parsed = parseTscOutput(ran.stdout);
    const result = { ...parsed, diagnostics: parsed.diagnostics.map((d) => ({ ...d, file: resolve(app, d.file) })) };
    // A failed run says why (exit code, stderr) even when it printed no diagnostic.
    return { dirs, result: ran.code !== 0 && result.diagnostics.length === 0 && result.other.length === 0 ? { diagnostics: [], other: [ran.stderr] } : result };
  })();
  return checked;
}

describe('tsc --strict --noUncheckedIndexedAccess over every README block', () => {
  it('reports nothing outside the blocks and fixtures (options, the packages\' own .d.ts files)', async () => {
    const { dirs, result } = await typecheck();
    const inBlocks = [...dirs.values()];
    const fixtureFiles = FIXTURES.map((f) => join(app, f));
    const outside = result.diagnostics.filter((d) => !inBlocks.some((dir) => d.file.startsWith(`${dir}/`)) && !fixtureFiles.includes(d.file));
    expect([...result.other, ...outside.map((d) => `${d.file}(${d.line},${d.column}): ${d.message}`)].join('\n')).toBe('');
  }, 150_000);

  it.each(FIXTURES)('fixture %s compiles too', async (fixture) => {
    const { result } = await typecheck();
    const errors = result.diagnostics.filter((d) => d.file === join(app, fixture)).map((d) => `fixtures/${fixture}:${d.line}:${d.column} ${d.message}`);
    expect(errors.join('\n')).toBe('');
  }, 150_000);
});

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

  const jsBlocks = snippets.filter((s) => s.lang === 'js');
  it.each(jsBlocks.map((s) => [`js block at line ${s.line}`, s] as const))('%s compiles under strict TypeScript', async (_title, snippet) => {
    const { dirs, result } = await typecheck();
    const file = join(dirs.get(readme) ?? '', snippetFileName(snippet));
    const errors = result.diagnostics.filter((d) => d.file === file).map((d) => readmeLocation(readme, snippet, d));
    expect(errors.join('\n')).toBe('');
  }, 150_000);

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
