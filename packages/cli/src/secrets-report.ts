import { SecretsFileError, type SecretsLoadInfo } from '@dtls-kit/core';
import { UsageError } from './args.js';

/** The server's line for secrets taken from --secrets-file (no secret material: the sealing key's name is public, RFC 5077 4). */
export function secretsLine(info: SecretsLoadInfo, reloaded: boolean): string {
  const previous = info.previousCookieSecret ? ', a previous cookie secret still accepted' : '';
  return `secrets ${reloaded ? 'reloaded' : 'loaded'} from ${info.path}: ${info.ticketKeys} ticket key${info.ticketKeys === 1 ? '' : 's'} (sealing ${info.ticketKeyName})${previous}\n`;
}

/** The server's line for a secrets file that changed into something unusable. */
export function secretsWarningLine(error: Error): string {
  return `warning: ${error.message}; the secrets in force stay\n`;
}

/** Runs `make` (which creates the server); a bad --secrets-file is a usage error (exit 2) naming the field. */
export function withSecretsFile<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof SecretsFileError) throw new UsageError(`--secrets-file: ${error.message}`);
    throw error;
  }
}
