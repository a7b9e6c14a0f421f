import { readFileSync } from 'node:fs';
import { fromHex } from '../../src/bytes.js';

/**
 * A known-answer fixture under test/fixtures/: a flat JSON object of hex strings (plus a `source`
 * saying where the values come from) with an optional `secrets` object of hex strings.
 */
export interface HexFixture {
  readonly source: string;
  /** The top-level hex field `name`, as bytes; throws when missing. */
  bytes(name: string): Uint8Array;
  /** The `secrets` field `name`, as bytes; throws when missing. */
  secret(name: string): Uint8Array;
  /** The `secrets` field `name` as lower-case hex, for readable failures. */
  secretHex(name: string): string;
}

function stringsOf(v: unknown, what: string): Map<string, string> {
  if (typeof v !== 'object' || v === null) throw new Error(`${what}: not an object`);
  const out = new Map<string, string>();
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out.set(k, x);
  return out;
}

export function loadHexFixture(relativePath: string): HexFixture {
  const parsed: unknown = JSON.parse(readFileSync(new URL(`../fixtures/${relativePath}`, import.meta.url), 'utf8'));
  const top = stringsOf(parsed, relativePath);
  const secrets = typeof parsed === 'object' && parsed !== null && 'secrets' in parsed ? stringsOf(parsed.secrets, `${relativePath} secrets`) : new Map<string, string>();
  const get = (m: Map<string, string>, name: string): string => {
    const v = m.get(name);
    if (v === undefined) throw new Error(`${relativePath}: no field ${name}`);
    return v.toLowerCase();
  };
  return {
    source: get(top, 'source'),
    bytes: (name) => fromHex(get(top, name)),
    secret: (name) => fromHex(get(secrets, name)),
    secretHex: (name) => get(secrets, name),
  };
}
