// The snippet test is only as good as its reading of the README: these cases pin it down.
import { describe, expect, it } from 'vitest';
import { parseReadme } from './readme-snippets.js';

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
