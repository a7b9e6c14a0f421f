import { AlertDescription } from '../../alert.js';
import { DtlsError } from '../../errors.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { extendedMasterSecret, keyBlock, masterSecret } from '../../crypto/key-schedule.js';
import type { RecordKeys } from '../../record/epoch-keys.js';
import type { CipherSuite } from '../../suites/cipher-suite.js';

/** The secrets of one session, from the premaster secret on. */
export interface SessionKeys {
  readonly masterSecret: Uint8Array;
  /** What the client writes and the server reads in epoch 1. */
  readonly client: RecordKeys;
  /** What the server writes and the client reads in epoch 1. */
  readonly server: RecordKeys;
}

/** The record keys of one direction: the suite's AEAD, or its CBC cipher and HMAC (RFC 5246 6.2.3.2). */
function recordKeys(provider: CryptoProvider, suite: CipherSuite, key: Uint8Array, macKey: Uint8Array, iv: Uint8Array, encryptThenMac: boolean): RecordKeys {
  const cbc = suite.cbc;
  if (cbc === undefined) {
    if (suite.aead === undefined) throw new DtlsError(AlertDescription.internal_error, `suite ${suite.name} has neither an AEAD nor a CBC cipher`);
    return { aead: provider.aead(suite.aead, key), fixedIv: iv, recordIvLength: suite.recordIvLength };
  }
  if (provider.cbc === undefined) {
    throw new DtlsError(AlertDescription.internal_error, `crypto provider ${provider.name} has no AES-CBC, which ${suite.name} needs`);
  }
  return {
    cbc: provider.cbc(cbc.cipher, key),
    macKey,
    macHash: cbc.macHash,
    macLength: cbc.macLength,
    encryptThenMac,
    recordIvLength: suite.recordIvLength,
    provider,
  };
}

/**
 * RFC 5246 8.1 master secret — or RFC 7627 4 extended master secret over the session hash
 * (the transcript through the ClientKeyExchange) when both sides negotiated it — then the
 * key block of RFC 5246 6.3, keyed into one AEAD (or CBC cipher and HMAC) per direction.
 * `encryptThenMac`: both sides negotiated RFC 7366 (CBC suites only).
 */
export function deriveSessionKeys(
  provider: CryptoProvider,
  suite: CipherSuite,
  premaster: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  sessionHash: Uint8Array | undefined,
  encryptThenMac = false,
): SessionKeys {
  const master =
    sessionHash === undefined
      ? masterSecret(provider, suite.prfHash, premaster, clientRandom, serverRandom)
      : extendedMasterSecret(provider, suite.prfHash, premaster, sessionHash);
  return sessionKeysFromMaster(provider, suite, master, clientRandom, serverRandom, encryptThenMac);
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
  encryptThenMac = false,
): SessionKeys {
  const kb = keyBlock(provider, suite, master, clientRandom, serverRandom);
  return {
    masterSecret: master,
    client: recordKeys(provider, suite, kb.clientWriteKey, kb.clientWriteMacKey, kb.clientWriteIv, encryptThenMac),
    server: recordKeys(provider, suite, kb.serverWriteKey, kb.serverWriteMacKey, kb.serverWriteIv, encryptThenMac),
  };
}
