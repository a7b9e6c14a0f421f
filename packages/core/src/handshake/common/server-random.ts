import type { CryptoProvider } from '../../crypto/provider.js';
import type { DtlsVersionName } from '../../protocol-versions.js';
import { withDowngradeSentinel } from '../messages/downgrade-sentinel.js';
import { DTLS_1_2 } from '../protocol-version.js';

/**
 * ServerHello.random of a DTLS 1.2 handshake: 32 random bytes, whose last 8 are RFC 8446 4.1.3's
 * downgrade sentinel when we could have spoken DTLS 1.3 ("TLS 1.3 servers which negotiate TLS 1.2
 * or below in response to a ClientHello MUST set the last 8 bytes of their Random value
 * specially"), so that a 1.3 client whose offer was stripped on the way notices.
 */
export function dtls12ServerRandom(provider: CryptoProvider, maxVersion: DtlsVersionName): Uint8Array {
  const random = provider.randomBytes(32);
  return maxVersion === 'DTLSv1.3' ? withDowngradeSentinel(random, DTLS_1_2) : random;
}
