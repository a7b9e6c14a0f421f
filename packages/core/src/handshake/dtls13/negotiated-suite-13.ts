import type { CipherSuite, KeyExchangeAlgorithm } from '../../suites/cipher-suite.js';
import type { Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';

/**
 * A TLS 1.3 suite in the shape NegotiatedParameters.suite has (the DTLS 1.2 registry's), so that
 * what the connection reads of it (names for getCipher, the AEAD, the tag length for maxPayload)
 * holds for a 1.3 connection: no explicit nonce (RFC 9147 4: the sequence number makes the nonce),
 * a 12-byte IV from the key schedule, the tag of the AEAD. keyExchange names the authentication
 * (TLS 1.3 suites leave both out, RFC 8446 B.4): psk / ecdhe_psk for a PSK without / with a key
 * share, ecdhe_ecdsa or ecdhe_rsa for a certificate.
 */
export function negotiatedSuite13(suite: Tls13CipherSuite, keyExchange: KeyExchangeAlgorithm): CipherSuite {
  return {
    id: suite.id,
    name: suite.name,
    opensslName: suite.name,
    keyExchange,
    aead: suite.aead,
    cbc: undefined,
    prfHash: suite.hash,
    keyLength: suite.keyLength,
    macKeyLength: 0,
    fixedIvLength: suite.ivLength,
    recordIvLength: 0,
    tagLength: suite.aead === 'aes-128-ccm-8' ? 8 : 16,
  };
}
