/** Where the commands read and write (the process by default; tests may pass their own). */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Lines of input for `client` without --message. */
  stdinLines(): AsyncIterable<string>;
}
