import type { SharedSecrets } from './secrets-file.js';

/** The cookie secrets a server takes from a secrets file: the current one first, then the previous one (still accepted). */
export function cookieSecretsOf(secrets: SharedSecrets): Uint8Array[] {
  return secrets.previousCookieSecret === undefined ? [secrets.cookieSecret] : [secrets.cookieSecret, secrets.previousCookieSecret];
}

/** What a secrets file changed, for a runtime's 'secrets' event (no secret material: ticket key names are public, RFC 5077 4). */
export interface SecretsLoadInfo {
  /** The file. */
  readonly path: string;
  /** How many ticket keys it holds (the first seals). */
  readonly ticketKeys: number;
  /** The 16-byte name of the key that seals new tickets, in hex (tickets carry it in the clear). */
  readonly ticketKeyName: string;
  /** Whether a previous cookie secret is still accepted. */
  readonly previousCookieSecret: boolean;
}

export function secretsLoadInfo(path: string, secrets: SharedSecrets): SecretsLoadInfo {
  const first = secrets.ticketKeys[0] ?? new Uint8Array(0);
  let name = '';
  for (const b of first.subarray(0, 16)) name += b.toString(16).padStart(2, '0');
  return { path, ticketKeys: secrets.ticketKeys.length, ticketKeyName: name, previousCookieSecret: secrets.previousCookieSecret !== undefined };
}

/**
 * The option `secretsFile` given with `cookieSecret` or `ticketKeys`: which wins would be a guess.
 * TypeError.
 */
export function checkSecretsFileAlone(options: { readonly cookieSecret?: unknown; readonly ticketKeys?: unknown }): void {
  if (options.cookieSecret !== undefined || options.ticketKeys !== undefined) {
    throw new TypeError('give secretsFile, or cookieSecret and ticketKeys, not both: the secrets file holds the cookie secret and the ticket keys');
  }
}
