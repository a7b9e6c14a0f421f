// The code blocks of a README, as the snippet test runs them. A ```js block is a program, or a
// module that programs import when its first line names a file (`// echo-handler.mjs — ...`);
// a ```sh block is a shell script. Lines `// → text` / `# → text` say what the block prints.
// Blocks fenced without a language (output, synopses) are text, not code.

export interface Snippet {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: 'js' | 'sh';
  /** Set for a module other blocks import: written under this name, not run. */
  readonly file?: string;
  readonly code: string;
  /** Text that must appear on stdout, in order. */
  readonly expected: readonly string[];
}

export interface ParsedReadme {
  readonly snippets: readonly Snippet[];
  /** Fences with a language we cannot run (e.g. ts): a README should not have any. */
  readonly unrunnable: readonly { line: number; lang: string }[];
}

// Commands a shell block may show that this test does not run: the monorepo's own (make, pnpm
// inside the repo — CI runs them) and installing from the registry (the packaging test installs
// the same packages from their tarballs).
const NOT_RUN = /^\s*(make|pnpm add|npx pnpm@|npm install)\b/;
const MODULE_NAME = /^\/\/ ([\w.-]+\.(?:mjs|cjs|js))(?:\s|$)/;
const EXPECTED = /^\s*(?:\/\/|#) → (.+)$/;

export function parseReadme(markdown: string): ParsedReadme {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  const unrunnable: { line: number; lang: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i] ?? '');
    if (!open) continue;
    const lang = open[1] ?? '';
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? '').startsWith('```'); i++) body.push(lines[i] ?? '');
    const expected = body.map((l) => EXPECTED.exec(l)?.[1]).filter((t): t is string => t !== undefined);
    if (lang === 'js') {
      const file = MODULE_NAME.exec(body[0] ?? '')?.[1];
      snippets.push({ line: start + 1, lang, code: body.join('\n'), expected, ...(file ? { file } : {}) });
    } else if (lang === 'sh') {
      const commands = body.filter((l) => !NOT_RUN.test(l));
      if (commands.some((l) => l.trim() !== '' && !l.trim().startsWith('#'))) snippets.push({ line: start + 1, lang, code: commands.join('\n'), expected });
    } else if (lang !== '' && lang !== 'text') {
      unrunnable.push({ line: start + 1, lang });
    }
  }
  return { snippets, unrunnable };
}
