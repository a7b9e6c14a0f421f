import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CIPHER_SUITES } from '../../src/suites/registry.js';

/**
 * The root README's table of cipher suites is generated from the registry, never typed by hand:
 * this test fails when they differ. `UPDATE_README=1 npx vitest run test/docs` rewrites it.
 */
const README = new URL('../../../../README.md', import.meta.url);
const BEGIN = '<!-- suites:begin (generated from the registry by packages/core/test/docs/readme-suites.test.ts) -->';
const END = '<!-- suites:end -->';

const KX: Record<string, string> = { psk: 'PSK', ecdhe_psk: 'ECDHE_PSK', ecdhe_ecdsa: 'ECDHE_ECDSA', ecdhe_rsa: 'ECDHE_RSA' };

function table(): string {
  const rows = CIPHER_SUITES.map(
    (s) => `| \`${s.name}\` | \`${s.opensslName}\` | 0x${s.id.toString(16).padStart(4, '0')} | ${KX[s.keyExchange] ?? s.keyExchange} | ${s.aead} | ${s.prfHash} |`,
  );
  return [BEGIN, '| IANA name | OpenSSL name | id | key exchange | AEAD | PRF hash |', '|---|---|---|---|---|---|', ...rows, END].join('\n');
}

describe('README', () => {
  it('lists exactly the suites of the registry', () => {
    const text = readFileSync(README, 'utf8');
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    expect(start, 'README has no generated suites table').toBeGreaterThanOrEqual(0);
    const current = text.slice(start, end + END.length);
    if (current !== table() && process.env['UPDATE_README'] === '1') {
      writeFileSync(README, text.slice(0, start) + table() + text.slice(end + END.length));
      return;
    }
    expect(current).toBe(table());
  });
});
