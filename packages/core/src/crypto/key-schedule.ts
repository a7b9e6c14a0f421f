/**
 * The TLS 1.2 key schedule as DTLS 1.2 uses it unchanged (RFC 6347 4.2): master secret
 * (RFC 5246 8.1) or extended master secret (RFC 7627 4), key expansion (RFC 5246 6.3),
 * Finished verify_data (RFC 5246 7.4.9) and the keying-material exporter (RFC 5705 4).
 */

import type { CipherSuite } from '../suites/cipher-suite.js';
import { prf } from './prf.js';
import type { CryptoProvider, HashAlgorithm } from './provider.js';

/** RFC 5246 8.1: the master secret is always 48 bytes. */
const MASTER_SECRET_LENGTH = 48;

/** RFC 5246 7.4.9: verify_data_length is 12 for every cipher suite we support. */
const VERIFY_DATA_LENGTH = 12;

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** RFC 5246 8.1: PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47]. */
export function masterSecret(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  premaster: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Uint8Array {
  return prf(provider, hash, premaster, 'master secret', concat2(clientRandom, serverRandom), MASTER_SECRET_LENGTH);
}

/**
 * RFC 7627 4: PRF(pre_master_secret, "extended master secret", session_hash)[0..47], where
 * session_hash is the transcript hash up to and including the ClientKeyExchange.
 */
export function extendedMasterSecret(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  premaster: Uint8Array,
  sessionHash: Uint8Array,
): Uint8Array {
  return prf(provider, hash, premaster, 'extended master secret', sessionHash, MASTER_SECRET_LENGTH);
}

/** The write keys, MAC keys and fixed IVs of both directions for one epoch. */
export interface TrafficKeys {
  /** mac_key_length bytes (RFC 5246 6.3): empty for AEAD suites. */
  readonly clientWriteMacKey: Uint8Array;
  readonly serverWriteMacKey: Uint8Array;
  readonly clientWriteKey: Uint8Array;
  readonly serverWriteKey: Uint8Array;
  /** fixed_iv_length bytes: the implicit nonce part (RFC 5288 3, RFC 6655 3, RFC 7905 2); empty for CBC. */
  readonly clientWriteIv: Uint8Array;
  readonly serverWriteIv: Uint8Array;
}

/**
 * RFC 5246 6.3: key_block = PRF(master_secret, "key expansion", server_random + client_random),
 * cut into client_write_MAC_key, server_write_MAC_key, client_write_key, server_write_key,
 * client_write_IV, server_write_IV. AEAD suites have no MAC keys (mac_key_length = 0); CBC
 * suites no IVs (fixed_iv_length = 0: each record carries its IV, RFC 5246 6.2.3.2).
 */
export function keyBlock(
  provider: CryptoProvider,
  suite: CipherSuite,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): TrafficKeys {
  const m = suite.macKeyLength;
  const k = suite.keyLength;
  const iv = suite.fixedIvLength;
  const block = prf(provider, suite.prfHash, master, 'key expansion', concat2(serverRandom, clientRandom), 2 * m + 2 * k + 2 * iv);
  // slice() rather than subarray(): each key owns its memory, so one can be wiped or kept alone.
  let at = 0;
  const next = (length: number): Uint8Array => block.slice(at, (at += length));
  return {
    clientWriteMacKey: next(m),
    serverWriteMacKey: next(m),
    clientWriteKey: next(k),
    serverWriteKey: next(k),
    clientWriteIv: next(iv),
    serverWriteIv: next(iv),
  };
}

/**
 * RFC 5246 7.4.9: verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11].
 * `handshakeHash` is that hash, taken with the PRF hash; in DTLS it covers the messages as
 * unfragmented handshake messages with their DTLS headers (RFC 6347 4.2.6).
 */
export function verifyData(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  label: 'client finished' | 'server finished',
  handshakeHash: Uint8Array,
): Uint8Array {
  return prf(provider, hash, master, label, handshakeHash, VERIFY_DATA_LENGTH);
}

/** RFC 5705 4 (and RFC 7627 for the last): labels the exporter MUST NOT be asked for. */
const RESERVED_EXPORTER_LABELS: ReadonlySet<string> = new Set([
  'client finished',
  'server finished',
  'master secret',
  'key expansion',
  'extended master secret',
]);

/**
 * RFC 5705 4: PRF(master_secret, label, client_random + server_random [+ context_value_length +
 * context_value])[length]. An absent context and an empty context give different output, as the
 * RFC requires. Throws TypeError for a reserved label and RangeError for a context of 2^16 bytes
 * or more.
 */
export function exportKeyingMaterial(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  label: string,
  context: Uint8Array | undefined,
  length: number,
): Uint8Array {
  if (RESERVED_EXPORTER_LABELS.has(label)) throw new TypeError(`exporter label is reserved: ${JSON.stringify(label)}`);
  const randoms = concat2(clientRandom, serverRandom);
  let seed = randoms;
  if (context !== undefined) {
    if (context.length > 0xffff) throw new RangeError('exporter context must be shorter than 2^16 bytes');
    seed = new Uint8Array(randoms.length + 2 + context.length);
    seed.set(randoms);
    seed[randoms.length] = context.length >>> 8;
    seed[randoms.length + 1] = context.length & 0xff;
    seed.set(context, randoms.length + 2);
  }
  return prf(provider, hash, master, label, seed, length);
}
