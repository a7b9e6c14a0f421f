import { AES_BLOCK_LENGTH, CBC_KEY_LENGTHS } from '../crypto/aes-cbc-spec.js';
import type { AeadAlgorithm, CbcAlgorithm, HashAlgorithm } from '../crypto/provider.js';
import type { CipherSuite, KeyExchangeAlgorithm } from './cipher-suite.js';

/** Per-AEAD record parameters: key, fixed IV, explicit nonce and tag lengths. */
const AEAD_PARAMS: Record<AeadAlgorithm, { keyLength: number; fixedIvLength: number; recordIvLength: number; tagLength: number }> = {
  'aes-128-gcm': { keyLength: 16, fixedIvLength: 4, recordIvLength: 8, tagLength: 16 },
  'aes-256-gcm': { keyLength: 32, fixedIvLength: 4, recordIvLength: 8, tagLength: 16 },
  'aes-128-ccm': { keyLength: 16, fixedIvLength: 4, recordIvLength: 8, tagLength: 16 },
  'aes-128-ccm-8': { keyLength: 16, fixedIvLength: 4, recordIvLength: 8, tagLength: 8 },
  'chacha20-poly1305': { keyLength: 32, fixedIvLength: 12, recordIvLength: 0, tagLength: 16 },
};

function suite(
  id: number,
  name: string,
  opensslName: string,
  keyExchange: KeyExchangeAlgorithm,
  aead: AeadAlgorithm,
  prfHash: HashAlgorithm,
): CipherSuite {
  return Object.freeze({ id, name, opensslName, keyExchange, aead, cbc: undefined, prfHash, macKeyLength: 0, ...AEAD_PARAMS[aead] });
}

/** HMAC output (mac_length) per hash (RFC 5246 6.2.3.1, FIPS 180-4). */
const MAC_LENGTHS: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48 };

/**
 * A CBC suite (RFC 5246 6.2.3.2): a fresh IV of one block in each record, the MAC key from the key
 * block, no fixed IV. Its MAC hash is also its PRF hash for every suite we carry (RFC 5487 4,
 * RFC 5289 3.2, RFC 5489 4).
 */
function cbcSuite(id: number, name: string, opensslName: string, keyExchange: KeyExchangeAlgorithm, cipher: CbcAlgorithm, hash: HashAlgorithm): CipherSuite {
  const macLength = MAC_LENGTHS[hash];
  return Object.freeze({
    id,
    name,
    opensslName,
    keyExchange,
    aead: undefined,
    cbc: Object.freeze({ cipher, macHash: hash, macLength }),
    prfHash: hash,
    keyLength: CBC_KEY_LENGTHS[cipher],
    macKeyLength: macLength,
    fixedIvLength: 0,
    recordIvLength: AES_BLOCK_LENGTH,
    tagLength: macLength + AES_BLOCK_LENGTH,
  });
}

/**
 * The one registry of cipher suites: negotiation, the CLI and the docs all read it.
 * Order is our default preference (strongest and most widely interoperable first within a family).
 */
export const CIPHER_SUITES: readonly CipherSuite[] = Object.freeze([
  // RFC 8422 / RFC 5289 / RFC 7905 / RFC 7251 — certificate suites
  suite(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ecdhe_ecdsa', 'aes-128-gcm', 'sha256'),
  suite(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ecdhe_ecdsa', 'aes-256-gcm', 'sha384'),
  suite(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ecdhe_ecdsa', 'chacha20-poly1305', 'sha256'),
  suite(0xc0ac, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM', 'ECDHE-ECDSA-AES128-CCM', 'ecdhe_ecdsa', 'aes-128-ccm', 'sha256'),
  suite(0xc0ae, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8', 'ECDHE-ECDSA-AES128-CCM8', 'ecdhe_ecdsa', 'aes-128-ccm-8', 'sha256'),
  suite(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ecdhe_rsa', 'aes-128-gcm', 'sha256'),
  suite(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'ecdhe_rsa', 'aes-256-gcm', 'sha384'),
  suite(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305', 'ecdhe_rsa', 'chacha20-poly1305', 'sha256'),
  // RFC 5489 / RFC 7905 / RFC 8442 — ECDHE_PSK
  suite(0xccac, 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-PSK-CHACHA20-POLY1305', 'ecdhe_psk', 'chacha20-poly1305', 'sha256'),
  suite(0xd001, 'TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256', 'ECDHE-PSK-AES128-GCM-SHA256', 'ecdhe_psk', 'aes-128-gcm', 'sha256'),
  // RFC 5487 / RFC 6655 / RFC 7905 — plain PSK
  suite(0x00a8, 'TLS_PSK_WITH_AES_128_GCM_SHA256', 'PSK-AES128-GCM-SHA256', 'psk', 'aes-128-gcm', 'sha256'),
  suite(0x00a9, 'TLS_PSK_WITH_AES_256_GCM_SHA384', 'PSK-AES256-GCM-SHA384', 'psk', 'aes-256-gcm', 'sha384'),
  suite(0xccab, 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256', 'PSK-CHACHA20-POLY1305', 'psk', 'chacha20-poly1305', 'sha256'),
  suite(0xc0a4, 'TLS_PSK_WITH_AES_128_CCM', 'PSK-AES128-CCM', 'psk', 'aes-128-ccm', 'sha256'),
  suite(0xc0a8, 'TLS_PSK_WITH_AES_128_CCM_8', 'PSK-AES128-CCM8', 'psk', 'aes-128-ccm-8', 'sha256'),
  // CBC with HMAC (RFC 5246 6.2.3.2), encrypt-then-MAC when negotiated (RFC 7366). Not offered
  // unless asked for (DEFAULT_CIPHER_SUITES): AEAD first. RFC 5487 / RFC 5289 / RFC 5489.
  cbcSuite(0x00ae, 'TLS_PSK_WITH_AES_128_CBC_SHA256', 'PSK-AES128-CBC-SHA256', 'psk', 'aes-128-cbc', 'sha256'),
  cbcSuite(0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'ECDHE-ECDSA-AES128-SHA256', 'ecdhe_ecdsa', 'aes-128-cbc', 'sha256'),
  cbcSuite(0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'ECDHE-ECDSA-AES256-SHA384', 'ecdhe_ecdsa', 'aes-256-cbc', 'sha384'),
  cbcSuite(0xc037, 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256', 'ECDHE-PSK-AES128-CBC-SHA256', 'ecdhe_psk', 'aes-128-cbc', 'sha256'),
]);

/**
 * The suites offered (client) and accepted (server) when no cipherSuites option is given: every
 * AEAD suite. CBC suites only when named (RFC 7457 2.1/2.3, RFC 9325 4.2: AEAD is the recommended
 * protection; CBC stays for peers that need it, e.g. LwM2M 1.0's TLS_PSK_WITH_AES_128_CBC_SHA256).
 */
export const DEFAULT_CIPHER_SUITES: readonly CipherSuite[] = Object.freeze(CIPHER_SUITES.filter((s) => s.cbc === undefined));

const BY_ID = new Map(CIPHER_SUITES.map((s) => [s.id, s]));
const BY_NAME = new Map<string, CipherSuite>();
for (const s of CIPHER_SUITES) {
  BY_NAME.set(s.name.toUpperCase(), s);
  BY_NAME.set(s.opensslName.toUpperCase(), s);
}

export function cipherSuiteById(id: number): CipherSuite | undefined {
  return BY_ID.get(id);
}

/** Looks a suite up by its IANA or OpenSSL name (case-insensitive). */
export function cipherSuiteByName(name: string): CipherSuite | undefined {
  return BY_NAME.get(name.trim().toUpperCase());
}

/**
 * Parses a cipher list as users type it: IANA or OpenSSL names, separated by commas or
 * colons. Throws TypeError naming the first unknown entry.
 */
export function parseCipherList(list: string): CipherSuite[] {
  const out: CipherSuite[] = [];
  for (const part of list.split(/[,:]/)) {
    if (part.trim() === '') continue;
    const s = cipherSuiteByName(part);
    if (!s) throw new TypeError(`unknown cipher suite: ${part.trim()}`);
    if (!out.includes(s)) out.push(s);
  }
  return out;
}
