// README code must compile as a user's strict TypeScript project would check it (issue 14: "the
// packaging test compiles every README code block with `tsc --strict --noUncheckedIndexedAccess`").
// Every ```js block is written as a file of one project and checked with checkJs in ONE tsc run;
// tsc's diagnostics are then mapped back to the README line they come from.
import type { Snippet } from './readme-snippets.js';

/**
 * The user's tsconfig: strict JavaScript checking against the installed packages' types. Node's
 * types are named (TypeScript 7 no longer picks up every @types package by itself).
 */
export const STRICT_COMPILER_OPTIONS = {
  strict: true,
  noUncheckedIndexedAccess: true,
  allowJs: true,
  checkJs: true,
  noEmit: true,
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  target: 'ES2022',
  types: ['node'],
} as const;

/** The file a block is checked (and run) as: its own name for a module, else by its line. */
export function snippetFileName(snippet: Snippet): string {
  return snippet.file ?? `snippet-${snippet.line}.mjs`;
}

export interface TscDiagnostic {
  readonly file: string;
  /** 1-based line and column in `file`. */
  readonly line: number;
  readonly column: number;
  /** `error TS2322: ...`, with the indented lines of its chain. */
  readonly message: string;
}

export interface TscOutput {
  readonly diagnostics: readonly TscDiagnostic[];
  /** Output that is not a located diagnostic (e.g. an option error): it fails the check too. */
  readonly other: readonly string[];
}

const LOCATED = /^(.+?)\((\d+),(\d+)\): (.*)$/;

/** Parses `tsc --pretty false` output: `file(line,col): error TSn: text`, continued by indented lines. */
export function parseTscOutput(output: string): TscOutput {
  const diagnostics: { file: string; line: number; column: number; message: string }[] = [];
  const other: string[] = [];
  for (const text of output.split('\n')) {
    if (text.trim() === '') continue;
    const located = LOCATED.exec(text);
    const last = diagnostics[diagnostics.length - 1];
    if (located) {
      diagnostics.push({ file: located[1] ?? '', line: Number(located[2]), column: Number(located[3]), message: located[4] ?? '' });
    } else if (/^\s/.test(text) && last !== undefined) {
      last.message += `\n${text}`;
    } else {
      other.push(text);
    }
  }
  return { diagnostics, other };
}

/** `README.md:31:7 error TS...`: where a diagnostic in a block's file is in the README. */
export function readmeLocation(readme: string, snippet: Snippet, diagnostic: TscDiagnostic): string {
  // The block's first line is the one after its opening fence.
  return `${readme}:${snippet.line + diagnostic.line}:${diagnostic.column} ${diagnostic.message}`;
}
