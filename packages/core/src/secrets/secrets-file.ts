/**
 * The secrets file that several server processes share (behind a load balancer, see the README's
 * "Running more than one process"): the cookie secret (RFC 6347 4.2.1) and the session-ticket keys
 * (RFC 5077 4). JSON, so that any tool can write it:
 *
 *   {
 *     "format": "dtls-kit-secrets/1",
 *     "cookieSecret": "<base64, 32..1024 bytes>",            makes and verifies cookies
 *     "previousCookieSecret": "<base64>",                    optional: still verifies cookies
 *     "cookieSecretSince": 1764745888000,                    optional: when cookieSecret became current (ms since 1970)
 *     "ticketKeys": ["<base64, 48 bytes>", ...]              1..16, newest first: the first seals, all open
 *   }
 *
 * Pure functions: text in, checked secrets out (and back); reading and watching the file is
 * secrets-watcher.ts's.
 */
import { checkCookieSecret } from '../endpoint/shared-cookie-keys.js';
import { MAX_TICKET_KEYS, TICKET_KEY_LENGTH } from '../session/ticket-keys.js';
import { SecretsFileError } from './secrets-file-error.js';

/** The format tag of the file this code reads and writes. */
export const SECRETS_FILE_FORMAT = 'dtls-kit-secrets/1';
/** The largest secrets file read: 16 ticket keys and two 1024-byte secrets fit many times over. */
export const MAX_SECRETS_FILE_BYTES = 64 * 1024;

/** What a secrets file holds, checked. */
export interface SharedSecrets {
  /** Makes cookies (and verifies them): a server's `cookieSecret`. */
  readonly cookieSecret: Uint8Array;
  /** The cookie secret before the last rotation, still accepted: undefined when none. */
  readonly previousCookieSecret: Uint8Array | undefined;
  /** When cookieSecret became current (ms since 1970; the rotation's grace rule reads it); undefined: unknown. */
  readonly cookieSecretSince: number | undefined;
  /** A server's `ticketKeys`: 48 bytes each, newest first. */
  readonly ticketKeys: readonly Uint8Array[];
}

const FIELDS = new Set(['format', 'cookieSecret', 'previousCookieSecret', 'cookieSecretSince', 'ticketKeys']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The secrets in a file's text; SecretsFileError naming the field at fault. `path`: for the messages. */
export function parseSecretsFile(text: string, path?: string): SharedSecrets {
  const fail = (field: string, message: string, cause?: unknown): SecretsFileError =>
    new SecretsFileError(field, message, path, cause === undefined ? undefined : { cause });
  if (text.length > MAX_SECRETS_FILE_BYTES) throw fail('', `larger than ${MAX_SECRETS_FILE_BYTES} bytes`);
  if (text.trim() === '') throw fail('', 'empty (a file being written? it is read again when it changes)');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // A half-written file ends here. The message says where JSON stopped, never the text around
    // it (JSON.parse's own message may quote the file: secret material).
    const at = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined;
    throw fail('', `not valid JSON${at === undefined ? '' : ` (at character ${at})`}${/end of (JSON )?input/i.test(String(error)) ? ': it ends too early (a file being written?)' : ''}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('', 'must be a JSON object');
  const record = json as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!FIELDS.has(key)) throw fail(key, `unknown field (expected ${[...FIELDS].join(', ')})`);
  }
  if (record.format !== SECRETS_FILE_FORMAT) throw fail('format', `must be "${SECRETS_FILE_FORMAT}" (got ${JSON.stringify(record.format) ?? 'nothing'})`);
  const bytes = (field: string, value: unknown): Uint8Array => {
    if (typeof value !== 'string') throw fail(field, 'must be a base64 string');
    if (!BASE64.test(value)) throw fail(field, 'is not valid base64');
    return fromBase64(value);
  };
  const secret = (field: string, value: unknown): Uint8Array => {
    const b = bytes(field, value);
    try {
      return checkCookieSecret(b, field);
    } catch (error) {
      throw fail(field, error instanceof Error ? error.message.replace(`${field} `, '') : String(error));
    }
  };
  if (record.cookieSecret === undefined) throw fail('cookieSecret', 'missing');
  const cookieSecret = secret('cookieSecret', record.cookieSecret);
  const previousCookieSecret = record.previousCookieSecret === undefined ? undefined : secret('previousCookieSecret', record.previousCookieSecret);
  const since = record.cookieSecretSince;
  if (since !== undefined && (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0)) {
    throw fail('cookieSecretSince', 'must be a whole number of ms since 1970');
  }
  const list = record.ticketKeys;
  if (list === undefined) throw fail('ticketKeys', 'missing');
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_TICKET_KEYS) {
    throw fail('ticketKeys', `must be a list of 1..${MAX_TICKET_KEYS} base64 keys, newest first`);
  }
  const ticketKeys: Uint8Array[] = [];
  const names = new Set<string>();
  list.forEach((entry: unknown, i) => {
    const field = `ticketKeys[${i}]`;
    const key = bytes(field, entry);
    if (key.length !== TICKET_KEY_LENGTH) throw fail(field, `must be ${TICKET_KEY_LENGTH} bytes (a 16-byte name, then 32 bytes of secret; got ${key.length})`);
    // RFC 5077 4: the key name picks the key; two keys of one name would make tickets ambiguous.
    const name = toBase64(key.subarray(0, 16));
    if (names.has(name)) throw fail(field, 'has the same 16-byte name as an earlier key');
    names.add(name);
    ticketKeys.push(key);
  });
  return { cookieSecret, previousCookieSecret, cookieSecretSince: since, ticketKeys };
}

/** The text of a secrets file (with a newline at the end), as parseSecretsFile reads it. */
export function formatSecretsFile(secrets: SharedSecrets): string {
  const out: Record<string, unknown> = { format: SECRETS_FILE_FORMAT, cookieSecret: toBase64(secrets.cookieSecret) };
  if (secrets.previousCookieSecret !== undefined) out.previousCookieSecret = toBase64(secrets.previousCookieSecret);
  if (secrets.cookieSecretSince !== undefined) out.cookieSecretSince = secrets.cookieSecretSince;
  out.ticketKeys = secrets.ticketKeys.map(toBase64);
  return `${JSON.stringify(out, null, 2)}\n`;
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
