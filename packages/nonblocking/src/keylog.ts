import { appendFileSync } from 'node:fs';

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
  if (typeof target === 'string') return fileAppender(target);
  return (line) => {
    target.write(line);
  };
}

/**
 * Appends each line to the file at once, synchronously. A key log is a debugging aid written once
 * per handshake (two lines with a connection ID: its `# CONNECTION_ID` comment, then the
 * CLIENT_RANDOM line it describes): a synchronous append keeps the lines in order, lets no other
 * writer of the same file come between the two, and loses nothing when the process exits right
 * after the handshake (an asynchronous append still in flight at process.exit() is lost).
 */
function fileAppender(path: string): (line: string) => void {
  return (line) => {
    try {
      appendFileSync(path, line, { mode: 0o600 });
    } catch {
      // A failed write loses that line (a key log is a debugging aid), never the process.
    }
  };
}
