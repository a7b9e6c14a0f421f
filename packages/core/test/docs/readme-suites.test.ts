import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CipherSuite } from '../../src/suites/cipher-suite.js';
import { CIPHER_SUITES, DEFAULT_CIPHER_SUITES } from '../../src/suites/registry.js';

/**
 * The root README's table of cipher suites is generated from the registry, never typed by hand:
 * this test fails when they differ. `UPDATE_README=1 npx vitest run test/docs` rewrites it.
 */
const README = new URL('../../../../README.md', import.meta.url);
const BEGIN = '<!-- suites:begin (generated from the registry by packages/core/test/docs/readme-suites.test.ts) -->';
const END = '<!-- suites:end -->';

const KX: Record<string, string> = { psk: 'PSK', ecdhe_psk: 'ECDHE_PSK', ecdhe_ecdsa: 'ECDHE_ECDSA', ecdhe_rsa: 'ECDHE_RSA' };

/** The AEAD, or the CBC cipher and HMAC (encrypt-then-MAC when negotiated, RFC 7366). */
function protection(s: CipherSuite): string {
  if (s.cbc !== undefined) return `${s.cbc.cipher} + HMAC-${s.cbc.macHash.toUpperCase()}, EtM or MtE`;
  return s.aead ?? '';
}

function table(): string {
  const rows = CIPHER_SUITES.map(
    (s) =>
      `| \`${s.name}\` | \`${s.opensslName}\` | 0x${s.id.toString(16).padStart(4, '0')} | ${KX[s.keyExchange] ?? s.keyExchange} | ${protection(s)} | ${s.prfHash} | ${DEFAULT_CIPHER_SUITES.includes(s) ? 'yes' : 'no'} |`,
  );
  return [BEGIN, '| IANA name | OpenSSL name | id | key exchange | record protection | PRF hash | default |', '|---|---|---|---|---|---|---|', ...rows, END].join('\n');
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
