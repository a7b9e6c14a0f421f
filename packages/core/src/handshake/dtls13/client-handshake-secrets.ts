import { DTLS13_LABEL_PREFIX, type LabelledHkdf } from '../../crypto/hkdf-label.js';
import { clientHandshakeTrafficSecret, earlySecret, handshakeSecret, serverHandshakeTrafficSecret } from '../../crypto/key-schedule-13.js';
import { trafficKeys13 } from '../../crypto/traffic-keys-13.js';
import type { Transcript13 } from '../../crypto/transcript-13.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { dtls13EpochKeys, type Dtls13EpochKeys } from '../../record/dtls13-epoch-keys.js';
import type { Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';

/** What a DTLS 1.3 client holds from the ServerHello on: the suite, the transcript and the handshake secrets (RFC 8446 7.1). */
export interface Dtls13ClientSecrets {
  readonly suite: Tls13CipherSuite;
  readonly kdf: LabelledHkdf;
  /** ClientHello..ServerHello and every message after, in transcript form (RFC 9147 5.2). */
  readonly transcript: Transcript13;
  readonly handshakeSecret: Uint8Array;
  readonly clientHandshakeTraffic: Uint8Array;
  readonly serverHandshakeTraffic: Uint8Array;
  /** Whether a PSK authenticated the server (no Certificate/CertificateVerify then, RFC 8446 2.2). */
  readonly pskAuthenticated: boolean;
}

/**
 * RFC 8446 7.1 with RFC 9147 5.9's "dtls13" prefix: Early Secret from the PSK (or zeros),
 * Handshake Secret from the (EC)DHE shared secret (or zeros: psk_ke), the handshake traffic
 * secrets over Transcript-Hash(ClientHello..ServerHello).
 */
export function dtls13ClientSecrets(
  provider: CryptoProvider,
  suite: Tls13CipherSuite,
  transcript: Transcript13,
  psk: Uint8Array | undefined,
  sharedSecret: Uint8Array | undefined,
): Dtls13ClientSecrets {
  const kdf: LabelledHkdf = { provider, hash: suite.hash, labelPrefix: DTLS13_LABEL_PREFIX };
  const hs = handshakeSecret(kdf, earlySecret(kdf, psk), sharedSecret);
  const helloHash = transcript.hash(provider, suite.hash);
  return {
    suite,
    kdf,
    transcript,
    handshakeSecret: hs,
    clientHandshakeTraffic: clientHandshakeTrafficSecret(kdf, hs, helloHash),
    serverHandshakeTraffic: serverHandshakeTrafficSecret(kdf, hs, helloHash),
    pskAuthenticated: psk !== undefined,
  };
}

/** The record keys of one epoch and direction from its traffic secret (RFC 8446 7.3, RFC 9147 4.2.3). */
export function epochKeysFrom(secrets: Pick<Dtls13ClientSecrets, 'kdf' | 'suite'>, secret: Uint8Array): Dtls13EpochKeys {
  const { kdf, suite } = secrets;
  return dtls13EpochKeys(kdf.provider, suite.aead, trafficKeys13(kdf, secret, suite.keyLength, suite.ivLength));
}
