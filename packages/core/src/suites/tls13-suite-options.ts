import type { DtlsOptions } from '../config.js';
import { TLS13_CIPHER_SUITES, tls13CipherSuiteById, tls13CipherSuiteByName } from './tls13-cipher-suites.js';
import type { Tls13CipherSuite } from './tls13-cipher-suites.js';

/**
 * The TLS 1.3 suites offered by default: AES-GCM and ChaCha20 (RFC 8446 9.1 makes
 * TLS_AES_128_GCM_SHA256 mandatory), as OpenSSL's default TLS 1.3 list; the CCM suites only when
 * named.
 */
const DEFAULT_TLS13_SUITES: readonly Tls13CipherSuite[] = TLS13_CIPHER_SUITES.filter((s) => s.aead !== 'aes-128-ccm' && s.aead !== 'aes-128-ccm-8');

type SuiteList = DtlsOptions['cipherSuites'];

function entries(list: SuiteList): (string | number)[] {
  if (list === undefined) return [];
  return typeof list === 'string' ? list.split(/[,:]/).map((s) => s.trim()).filter((s) => s !== '') : [...list];
}

function tls13Suite(entry: string | number): Tls13CipherSuite | undefined {
  return typeof entry === 'number' ? tls13CipherSuiteById(entry) : tls13CipherSuiteByName(entry);
}

/**
 * The TLS 1.3 suites named in `cipherSuites` (node:tls takes both versions' names in one list), in
 * its order; the default list when it names none.
 */
export function requestedTls13Suites(list: SuiteList): Tls13CipherSuite[] {
  const out: Tls13CipherSuite[] = [];
  for (const e of entries(list)) {
    const s = tls13Suite(e);
    if (s !== undefined && !out.includes(s)) out.push(s);
  }
  return out.length > 0 ? out : [...DEFAULT_TLS13_SUITES];
}

/** `cipherSuites` without its TLS 1.3 names (the DTLS 1.2 list), undefined (the default) when it named only 1.3 suites. */
export function withoutTls13Suites(list: SuiteList): SuiteList {
  if (list === undefined) return undefined;
  const rest = entries(list).filter((e) => tls13Suite(e) === undefined);
  if (rest.length === entries(list).length) return list;
  if (rest.length === 0) return undefined;
  return typeof list === 'string' ? rest.join(':') : rest;
}
