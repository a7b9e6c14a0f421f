import { appendFile } from 'node:fs';

/**
 * Where to write SSLKEYLOGFILE lines (NSS key log format, which Wireshark reads to decrypt a
 * capture): a file path (appended to), a writable stream, or a function given each line.
 * Opt-in only: nothing reads the SSLKEYLOGFILE environment variable for you
 * (pass `keylog: process.env.SSLKEYLOGFILE` to do what browsers and curl do).
 */
export type KeylogTarget = string | { write(chunk: string): unknown } | ((line: string) => void);

/** A function that writes one line (newline included), or undefined when no key log was asked for. */
export function keylogWriter(target: KeylogTarget | undefined): ((line: string) => void) | undefined {
  if (target === undefined || target === '') return undefined;
  if (typeof target === 'function') return target;
  if (typeof target === 'string') return orderedAppender(target);
  return (line) => {
    target.write(line);
  };
}

/**
 * Appends lines to a file in the order they were given. Two appendFile calls in flight at once
 * may land in either order, and a connection writes two lines in a row (its `# CONNECTION_ID`
 * comment, then the CLIENT_RANDOM line it describes): lines given while a write is in flight
 * wait, and go together in the next one.
 */
function orderedAppender(path: string): (line: string) => void {
  let pending = '';
  let writing = false;
  const flush = (): void => {
    if (pending === '') {
      writing = false;
      return;
    }
    const chunk = pending;
    pending = '';
    writing = true;
    // A failed write loses that chunk (a key log is a debugging aid), never the process.
    appendFile(path, chunk, { mode: 0o600 }, flush);
  };
  return (line) => {
    pending += line;
    if (writing) return;
    // On the next microtask: lines given together (a comment and its line) go in one write, so
    // that another writer of the same file (a client in the same process) cannot come between.
    writing = true;
    queueMicrotask(flush);
  };
}
