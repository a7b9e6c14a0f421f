// The snippet test is only as good as its reading of the README: these cases pin it down.
import { describe, expect, it } from 'vitest';
import { parseReadme } from './readme-snippets.js';
import { STRICT_COMPILER_OPTIONS, parseTscOutput, readmeLocation, snippetFileName } from './readme-typecheck.js';

const fence = '```';
describe('parseReadme', () => {
  it('tells programs from the modules they import, and collects the expected output in order', () => {
    const md = [`${fence}js`, '// echo-handler.mjs — a module', 'export default 1;', fence, '', `${fence}js`, "console.log('a'); console.log('b');", '// → a', '// → b', fence].join('\n');
    const { snippets, unrunnable } = parseReadme(md);
    expect(unrunnable).toEqual([]);
    expect(snippets.map((s) => [s.line, s.file, s.expected])).toEqual([
      [1, 'echo-handler.mjs', []],
      [6, undefined, ['a', 'b']],
    ]);
  });

  it('runs shell blocks without the commands CI runs itself, and skips blocks left with none', () => {
    const md = [`${fence}sh`, 'make demo   # builds', 'make test', fence, `${fence}sh`, 'pnpm add @dtls-kit/psk', 'echo hi', '# → hi', fence].join('\n');
    const { snippets } = parseReadme(md);
    expect(snippets).toHaveLength(1);
    expect(snippets[0]?.code).toBe('echo hi\n# → hi');
  });

  it('reports code in languages it cannot run, and leaves plain fences (output, synopses) alone', () => {
    const md = [`${fence}ts`, 'const x: number = 1;', fence, fence, 'dtls-kit server [--port N]', fence, `${fence}text`, 'out', fence].join('\n');
    expect(parseReadme(md)).toEqual({ snippets: [], unrunnable: [{ line: 1, lang: 'ts' }] });
  });
});

describe('type-checking the blocks', () => {
  it('checks a module under its own name and a program under its line', () => {
    const { snippets } = parseReadme([`${fence}js`, '// sites.mjs — a module', fence, `${fence}js`, 'run();', fence].join('\n'));
    expect(snippets.map(snippetFileName)).toEqual(['sites.mjs', 'snippet-4.mjs']);
  });

  it("reads tsc's diagnostics with their chains, and keeps what is not located", () => {
    const out = [
      "a/snippet-6.mjs(23,5): error TS2322: Type 'x' is not assignable to type 'y'.",
      "  Type 'undefined' is not assignable to type 'PskKeyInput'.",
      'a/b.mjs(1,2): error TS7006: Parameter \'conn\' implicitly has an \'any\' type.',
      "error TS5023: Unknown compiler option 'bogus'.",
      '',
    ].join('\n');
    expect(parseTscOutput(out)).toEqual({
      diagnostics: [
        { file: 'a/snippet-6.mjs', line: 23, column: 5, message: "error TS2322: Type 'x' is not assignable to type 'y'.\n  Type 'undefined' is not assignable to type 'PskKeyInput'." },
        { file: 'a/b.mjs', line: 1, column: 2, message: "error TS7006: Parameter 'conn' implicitly has an 'any' type." },
      ],
      other: ["error TS5023: Unknown compiler option 'bogus'."],
    });
  });

  it("names the README line of a diagnostic: the block's line N is the fence's line + N", () => {
    const md = ['# t', '', `${fence}js`, 'const a = 1;', 'a.b;', fence].join('\n');
    const [block] = parseReadme(md).snippets;
    if (block === undefined) throw new Error('no block');
    expect(readmeLocation('README.md', block, { file: 'snippet-3.mjs', line: 2, column: 3, message: 'error TS2339: no b' })).toBe('README.md:5:3 error TS2339: no b');
    expect(md.split('\n')[5 - 1]).toBe('a.b;');
  });

  it('checks as a strict user project: strict, noUncheckedIndexedAccess, checkJs, NodeNext, types node', () => {
    expect(STRICT_COMPILER_OPTIONS).toMatchObject({ strict: true, noUncheckedIndexedAccess: true, allowJs: true, checkJs: true, module: 'NodeNext', types: ['node'] });
    expect(STRICT_COMPILER_OPTIONS).not.toHaveProperty('skipLibCheck');
  });
});
