import { describe, expect, it } from 'vitest';
import { keyExchangeFor } from '../../src/handshake/key-exchange/registry.js';
import type { ClientOffer } from '../../src/handshake/key-exchange/key-exchange.js';
import { resolveServerOptions } from '../../src/options.js';
import { CIPHER_SUITES, cipherSuiteByName } from '../../src/suites/registry.js';
import { serverPsk } from '../support/psk.js';
import { SIGNER_SCHEMES, serverX509 } from '../support/test-certificates.js';

const OFFER: ClientOffer = { group: 'x25519', uncompressedPoints: true, signatureSchemes: [...SIGNER_SCHEMES.ecdsa] };

function suite(name: string): NonNullable<ReturnType<typeof cipherSuiteByName>> {
  const s = cipherSuiteByName(name);
  if (!s) throw new Error(`no suite ${name}`);
  return s;
}

describe('key exchange strategies', () => {
  it('every registered suite has one, with the traits of its RFC', () => {
    for (const s of CIPHER_SUITES) {
      const kx = keyExchangeFor(s);
      const expected = { psk: 'psk', ecdhe_psk: 'ecdhe_psk', ecdhe_ecdsa: 'ecdhe_signed', ecdhe_rsa: 'ecdhe_signed' }[s.keyExchange];
      expect(kx.name, s.name).toBe(expected);
      // RFC 4279: plain PSK needs no group; RFC 5489 and RFC 8422 do. Only RFC 8422's signed suites use certificates.
      expect(kx.ecdhe, s.name).toBe(s.keyExchange !== 'psk');
      expect(kx.certificates, s.name).toBe(s.keyExchange === 'ecdhe_ecdsa' || s.keyExchange === 'ecdhe_rsa');
    }
  });

  it('the server takes a suite only when the ClientHello can do its key exchange (RFC 8422 5.1, RFC 5246 7.4.1.4.1)', () => {
    const config = resolveServerOptions({ psk: serverPsk(), x509: serverX509('ecdsa') });
    const psk = suite('TLS_PSK_WITH_AES_128_GCM_SHA256');
    const ecdhePsk = suite('TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256');
    const ecdsa = suite('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    const rsa = suite('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    const noGroup: ClientOffer = { ...OFFER, group: undefined };
    const compressedOnly: ClientOffer = { ...OFFER, uncompressedPoints: false };
    const noSignatureAlgorithms: ClientOffer = { ...OFFER, signatureSchemes: undefined };

    expect(keyExchangeFor(psk).server(psk, noGroup, config)).toBeDefined();
    expect(keyExchangeFor(ecdhePsk).server(ecdhePsk, OFFER, config)).toBeDefined();
    expect(keyExchangeFor(ecdhePsk).server(ecdhePsk, noGroup, config)).toBeUndefined();
    expect(keyExchangeFor(ecdhePsk).server(ecdhePsk, compressedOnly, config)).toBeUndefined();
    expect(keyExchangeFor(ecdsa).server(ecdsa, OFFER, config)?.certificates).toBe(true);
    expect(keyExchangeFor(ecdsa).server(ecdsa, noSignatureAlgorithms, config)).toBeUndefined();
    // An ECDSA key cannot serve an ECDHE_RSA suite.
    expect(keyExchangeFor(rsa).server(rsa, OFFER, config)).toBeUndefined();
  });
});
