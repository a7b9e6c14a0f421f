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
  if (typeof target === 'string') {
    return (line) => appendFile(target, line, { mode: 0o600 }, () => {});
  }
  return (line) => {
    target.write(line);
  };
}
