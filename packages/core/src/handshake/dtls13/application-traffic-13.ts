import type { LabelledHkdf } from '../../crypto/hkdf-label.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { nextApplicationTrafficSecret, trafficKeys13 } from '../../crypto/traffic-keys-13.js';
import { dtls13EpochKeys, type Dtls13EpochKeys } from '../../record/dtls13-epoch-keys.js';
import type { Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';
import { packBytes } from '../../packed-bytes.js';

/**
 * The application traffic secrets of each direction and the epoch each keys (RFC 9147 6.1: epoch
 * 3 for application_traffic_secret_0, one more per KeyUpdate, RFC 9147 8), moved on one at a time
 * with RFC 8446 7.2's "traffic upd".
 */
export class ApplicationTraffic13 {
  constructor(
    private readonly provider: CryptoProvider,
    private readonly kdf: LabelledHkdf,
    private readonly suite: Tls13CipherSuite,
    private secrets: { client: Uint8Array; server: Uint8Array },
    private epochs = { client: 3, server: 3 },
  ) {
    // Kept for the connection's life (a KeyUpdate derives from them): one buffer for both (packed-bytes.ts).
    const [client = secrets.client, server = secrets.server] = packBytes([secrets.client, secrets.server]);
    this.secrets = { client, server };
  }

  /** The keys of the current epoch of `side`. */
  keys(side: 'client' | 'server'): { epoch: number; keys: Dtls13EpochKeys } {
    return { epoch: this.epochs[side], keys: this.keysOf(this.secrets[side]) };
  }

  /** application_traffic_secret_N+1 of `side` and its epoch, now in force (RFC 8446 7.2). */
  update(side: 'client' | 'server'): { epoch: number; keys: Dtls13EpochKeys } {
    this.secrets = { ...this.secrets, [side]: nextApplicationTrafficSecret(this.kdf, this.secrets[side]) };
    this.epochs = { ...this.epochs, [side]: this.epochs[side] + 1 };
    return this.keys(side);
  }

  private keysOf(secret: Uint8Array): Dtls13EpochKeys {
    return dtls13EpochKeys(this.provider, this.suite.aead, trafficKeys13(this.kdf, secret, this.suite.keyLength, this.suite.ivLength));
  }
}
