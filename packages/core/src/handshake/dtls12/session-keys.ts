import type { CryptoProvider } from '../../crypto/provider.js';
import { extendedMasterSecret, keyBlock, masterSecret } from '../../crypto/key-schedule.js';
import type { EpochKeys } from '../../record/epoch-keys.js';
import type { CipherSuite } from '../../suites/cipher-suite.js';

/** The secrets of one session, from the premaster secret on. */
export interface SessionKeys {
  readonly masterSecret: Uint8Array;
  /** What the client writes and the server reads in epoch 1. */
  readonly client: EpochKeys;
  /** What the server writes and the client reads in epoch 1. */
  readonly server: EpochKeys;
}

/**
 * RFC 5246 8.1 master secret — or RFC 7627 4 extended master secret over the session hash
 * (the transcript through the ClientKeyExchange) when both sides negotiated it — then the
 * key block of RFC 5246 6.3, keyed into one AEAD per direction.
 */
export function deriveSessionKeys(
  provider: CryptoProvider,
  suite: CipherSuite,
  premaster: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  sessionHash: Uint8Array | undefined,
): SessionKeys {
  const master =
    sessionHash === undefined
      ? masterSecret(provider, suite.prfHash, premaster, clientRandom, serverRandom)
      : extendedMasterSecret(provider, suite.prfHash, premaster, sessionHash);
  return sessionKeysFromMaster(provider, suite, master, clientRandom, serverRandom);
}

/**
 * The key block of RFC 5246 6.3 from a master secret: a full handshake's, or a resumed session's
 * with the new handshake's randoms (RFC 5246 7.3: "the new connection's keys" come from the
 * session's master secret and the new hello randoms).
 */
export function sessionKeysFromMaster(
  provider: CryptoProvider,
  suite: CipherSuite,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): SessionKeys {
  const kb = keyBlock(provider, suite, master, clientRandom, serverRandom);
  return {
    masterSecret: master,
    client: { aead: provider.aead(suite.aead, kb.clientWriteKey), fixedIv: kb.clientWriteIv, recordIvLength: suite.recordIvLength },
    server: { aead: provider.aead(suite.aead, kb.serverWriteKey), fixedIv: kb.serverWriteIv, recordIvLength: suite.recordIvLength },
  };
}
