/**
 * The CLI's record size limit flags: --recordsize (RFC 8449 record_size_limit, both commands) and
 * --maxfraglen (RFC 6066 4 max_fragment_length, the client: only a client asks for it; a server
 * honours any client's request), and the note on the connection line.
 */
import { MAX_RECORD_SIZE_LIMIT, MIN_RECORD_SIZE_LIMIT, type MaxFragmentLength, type RecordSizeLimit } from '@dtls-kit/core';

/** The usage error of a wrong flag value (args.ts makes it a UsageError). */
export type RecordLimitUsage = (message: string) => Error;

/** --recordsize N: 64..16384 (RFC 8449 4, DTLS 1.2); undefined when not given. */
export function recordSizeFlag(text: string | undefined, usage: RecordLimitUsage): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= MIN_RECORD_SIZE_LIMIT && n <= MAX_RECORD_SIZE_LIMIT)) {
    throw usage(`--recordsize must be ${MIN_RECORD_SIZE_LIMIT}..${MAX_RECORD_SIZE_LIMIT} (RFC 8449 record_size_limit), got "${text}"`);
  }
  return n;
}

const MFL: readonly MaxFragmentLength[] = [512, 1024, 2048, 4096];

/** --maxfraglen N: 512, 1024, 2048 or 4096 (RFC 6066 4; the values of openssl s_client -maxfraglen). */
export function maxFragLenFlag(text: string | undefined, usage: RecordLimitUsage): MaxFragmentLength | undefined {
  if (text === undefined) return undefined;
  const length = MFL.find((l) => String(l) === text);
  if (length === undefined) throw usage(`--maxfraglen must be 512, 1024, 2048 or 4096 (RFC 6066 max_fragment_length), got "${text}"`);
  return length;
}

/** ` record_size_limit=send/receive` (or ` max_fragment_length=N`) when one was negotiated, else nothing. */
export function recordLimitNote(limit: RecordSizeLimit | undefined): string {
  if (limit === undefined) return '';
  if (limit.extension === 'max_fragment_length') return ` max_fragment_length=${limit.send}`;
  return ` record_size_limit=${limit.send}/${limit.receive}`;
}

/**
 * The message of a message over the peer's record size limit, when that limit (not the MTU) is
 * the bound; undefined otherwise (message-limit.ts then says what the MTU allows).
 */
export function overPeerRecordLimit(what: string, size: number, maxPayload: number, limit: RecordSizeLimit | undefined): string | undefined {
  if (limit === undefined || size <= maxPayload || maxPayload !== limit.send) return undefined;
  return `${what} is ${size} bytes: the peer accepts records of at most ${limit.send} bytes (its ${limit.extension}); split the message`;
}
