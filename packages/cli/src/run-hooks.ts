import { appendFileSync } from 'node:fs';

/** What `dtls-kit server` / `client` hand to others besides their output (main.ts wires them). */
export interface RunHooks {
  /** Each key log line of every connection (newline included), e.g. for --trace's DTLS 1.3 ladder. */
  keyLogLine?: (line: string) => void;
}

/**
 * The `keylog` option of connect()/createServer(): the --keylog file (appended to at once, as the
 * runtimes append to a path) and the hook, each line to both; undefined when neither wants it.
 */
export function keylogOption(file: string | undefined, hooks: RunHooks): ((line: string) => void) | string | undefined {
  const hook = hooks.keyLogLine;
  if (hook === undefined) return file;
  return (line) => {
    if (file !== undefined && file !== '') {
      try {
        appendFileSync(file, line, { mode: 0o600 });
      } catch {
        // A failed write loses that line (a key log is a debugging aid), never the process.
      }
    }
    hook(line);
  };
}
