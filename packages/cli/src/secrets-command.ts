/**
 * `dtls-kit secrets`: writes and rotates the secrets file that several `dtls-kit server
 * --secrets-file F` processes share (format: @dtls-kit/core's parseSecretsFile). The file is
 * always replaced by a rename of a complete temporary file (mode 0600) in the same directory, so
 * a server never reads it half-written, and every server follows the change without a restart.
 * The rotation rule (core's rotateSecrets): a new ticket key first, at most --keep older ones;
 * a new cookie secret once the previous one has had its grace period.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { formatSecretsFile, newSecrets, rotateSecrets, type SharedSecrets } from '@dtls-kit/core';
import { loadSecretsFileSync } from '@dtls-kit/core/internal';
import type { Io } from './io.js';

export interface SecretsArgs {
  command: 'secrets';
  /** --out FILE: a new file (refused if it exists); --rotate FILE: rotate an existing one. */
  action: 'out' | 'rotate';
  file: string;
  /** --keep K: older ticket keys kept (undefined: core's default, 2). */
  keep: number | undefined;
  /** --cookie-grace SECONDS, in ms (undefined: core's default, 180 s). */
  cookieGraceMs: number | undefined;
}

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** Writes `text` to `path` atomically: a temporary file in the same directory, fsync'ed, renamed over it. */
export function replaceFileAtomically(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

export function runSecrets(args: SecretsArgs, io: Io): number {
  const now = Date.now();
  if (args.action === 'out') {
    if (existsSync(args.file)) {
      io.stderr(`dtls-kit: ${args.file} exists: use --rotate ${args.file} to rotate its secrets (replacing it would end every ticket and cookie in flight)\n`);
      return 1;
    }
    const secrets = newSecrets(random, now);
    replaceFileAtomically(args.file, formatSecretsFile(secrets));
    io.stderr(`wrote ${args.file}: a cookie secret and 1 ticket key${describeKeys(secrets)}\n`);
    return 0;
  }
  const old = loadSecretsFileSync(args.file);
  const r = rotateSecrets(old, { random, now, keep: args.keep, cookieGraceMs: args.cookieGraceMs });
  replaceFileAtomically(args.file, formatSecretsFile(r.secrets));
  const cookie = r.cookieRotated
    ? 'new cookie secret (the previous one is still accepted)'
    : `cookie secret kept (less than --cookie-grace ${Math.round((args.cookieGraceMs ?? 180_000) / 1000)} s since the last cookie rotation: the previous one is still in its grace period)`;
  const dropped = r.ticketKeysDropped > 0 ? `, ${r.ticketKeysDropped} dropped` : '';
  io.stderr(`rotated ${args.file}: new ticket key, ${r.secrets.ticketKeys.length} in all${dropped}${describeKeys(r.secrets)}; ${cookie}\n`);
  return 0;
}

/** The sealing key's name (public: tickets carry it in the clear, RFC 5077 4). */
function describeKeys(s: SharedSecrets): string {
  const first = s.ticketKeys[0];
  return first === undefined ? '' : ` (sealing key name ${Buffer.from(first.subarray(0, 16)).toString('hex')})`;
}
