/**
 * The flags of `dtls-kit secrets` and the server's flags for running several processes
 * (`--secrets-file`, `--server-id`): checked here, UsageError for a mistake.
 */
import { MAX_TICKET_KEYS } from '@dtls-kit/core';
import type { SecretsArgs } from './secrets-command.js';

/** The CID length `--server-id` turns on without `--cid`: 1 id byte and 7 random ones. */
export const SERVER_ID_CID_LENGTH = 8;
/** RFC 9146 7, 8: a CID with a server id keeps at least 4 random bytes (core's rule). */
const MIN_CID_WITH_SERVER_ID = 5;

export interface SecretsFlags {
  out?: string;
  rotate?: string;
  keep?: string;
  'cookie-grace'?: string;
}

/** The flags only `dtls-kit secrets` takes (another command given one is a usage error). */
export const SECRETS_ONLY = ['out', 'rotate', 'keep', 'cookie-grace'] as const;

export function secretsArgs(values: SecretsFlags, fail: (message: string) => Error): SecretsArgs {
  if ((values.out === undefined) === (values.rotate === undefined)) throw fail('secrets needs --out FILE (a new secrets file) or --rotate FILE (rotate one), one of them');
  if (values.out !== undefined && (values.keep !== undefined || values['cookie-grace'] !== undefined)) throw fail('--keep and --cookie-grace go with --rotate');
  let keep: number | undefined;
  if (values.keep !== undefined) {
    if (!/^\d+$/.test(values.keep) || Number(values.keep) > MAX_TICKET_KEYS - 1) throw fail(`--keep must be 0..${MAX_TICKET_KEYS - 1} (older ticket keys kept), got "${values.keep}"`);
    keep = Number(values.keep);
  }
  let cookieGraceMs: number | undefined;
  if (values['cookie-grace'] !== undefined) {
    if (!/^\d+$/.test(values['cookie-grace'])) throw fail(`--cookie-grace must be a whole number of seconds, got "${values['cookie-grace']}"`);
    cookieGraceMs = Number(values['cookie-grace']) * 1000;
  }
  const file = values.out ?? values.rotate ?? '';
  return { command: 'secrets', action: values.out !== undefined ? 'out' : 'rotate', file, keep, cookieGraceMs };
}

/**
 * `--server-id N` (0..255): the first byte of every connection ID the server issues (RFC 9146),
 * which a load balancer routes by. It needs CIDs: `--cid` (at least 5) or, without it, 8 bytes.
 */
export function serverIdFlag(text: string | undefined, cid: number | undefined, fail: (message: string) => Error): { serverId: number | undefined; cid: number | undefined } {
  if (text === undefined) return { serverId: undefined, cid };
  if (!/^\d+$/.test(text) || Number(text) > 255) throw fail(`--server-id must be 0..255 (one byte, the first of each connection ID), got "${text}"`);
  if (cid !== undefined && cid < MIN_CID_WITH_SERVER_ID) {
    throw fail(`--server-id needs --cid ${MIN_CID_WITH_SERVER_ID} or more: the id byte, then at least 4 random bytes (RFC 9146 7, 8); got --cid ${cid}`);
  }
  return { serverId: Number(text), cid: cid ?? SERVER_ID_CID_LENGTH };
}
