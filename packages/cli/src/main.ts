import { createInterface } from 'node:readline';
import { parseCommandLine, USAGE, UsageError } from './args.js';
import { runClient } from './client.js';
import type { Io } from './io.js';
import { runSecrets } from './secrets-command.js';
import { runLbConfig } from './lb-config.js';
import { runServer } from './server.js';
import { Ladder, startTrace } from './trace.js';
import type { RunHooks } from './run-hooks.js';
import { packageVersion } from './version.js';

/** The process's stdin, stdout and stderr. */
export const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stdinLines: () => createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false }),
};

/**
 * Runs `dtls-kit` with these arguments (without node and the script) and resolves with the exit
 * code: 0 success, 1 a failed connection or timeout, 2 a usage error.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let stopTrace: (() => void) | undefined;
  try {
    // `lb-config` prints an nginx configuration: its own flags, no connection (see lb-config.ts).
    if (argv[0] === 'lb-config') return runLbConfig(argv.slice(1), io);
    const args = parseCommandLine(argv);
    if (args.command === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    if (args.command === 'version') {
      io.stdout(`dtls-kit ${packageVersion()}\n`);
      return 0;
    }
    if (args.command === 'secrets') return runSecrets(args, io);
    // --trace: a DTLS 1.3 ladder opens the encrypted records with the session's key log lines.
    const ladder = args.trace ? new Ladder(io.stderr, { waitForKeyLog: true }) : undefined;
    if (ladder !== undefined) stopTrace = startTrace(io.stderr, performance.now(), ladder);
    const hooks: RunHooks = ladder === undefined ? {} : { keyLogLine: (line) => ladder.keyLogLine(line) };
    return args.command === 'server' ? await runServer(args, io, hooks) : await runClient(args, io, hooks);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`dtls-kit: ${error.message} (see dtls-kit --help)\n`);
      return 2;
    }
    io.stderr(`dtls-kit: ${(error as Error).message}\n`);
    return 1;
  } finally {
    stopTrace?.();
  }
}
