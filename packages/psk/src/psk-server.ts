import type { PskServerCredentials } from '@dtls-kit/core';
import { identityToString, type PskIdentityInput, type PskKeyInput, toIdentityBytes, toKeyBytes } from './psk-key.js';

export interface PskServerOptions {
  /** RFC 4279 2: a hint sent to clients to help them pick an identity (optional). */
  pskIdentityHint?: PskIdentityInput;
  /** identity → key, as a plain object or a Map. */
  keys?: Readonly<Record<string, PskKeyInput>> | ReadonlyMap<string, PskKeyInput>;
  /**
   * identity → key, for keys that live elsewhere (a database, a KMS). Return undefined for an
   * unknown identity (the client gets unknown_psk_identity). May be async: the handshake waits.
   */
  pskCallback?: (identity: string) => PskKeyInput | undefined | Promise<PskKeyInput | undefined>;
}

/** Server credentials for the PSK and ECDHE_PSK suites (RFC 4279, RFC 5489). */
export function pskServer(options: PskServerOptions): PskServerCredentials {
  const { keys, pskCallback } = options;
  if ((keys === undefined) === (pskCallback === undefined)) throw new TypeError('pskServer needs exactly one of keys or pskCallback');
  const hint = options.pskIdentityHint === undefined ? undefined : toIdentityBytes(options.pskIdentityHint, 'pskIdentityHint');
  if (keys !== undefined) {
    const table = new Map<string, Uint8Array>();
    const entries = keys instanceof Map ? [...keys.entries()] : Object.entries(keys);
    for (const [id, key] of entries) table.set(id, toKeyBytes(key, `key for identity ${JSON.stringify(id)}`));
    return { type: 'psk', identityHint: hint, lookup: (identity) => table.get(identityToString(identity)) };
  }
  if (typeof pskCallback !== 'function') throw new TypeError('pskCallback must be a function');
  const convert = (k: PskKeyInput | undefined): Uint8Array | undefined => (k === undefined ? undefined : toKeyBytes(k));
  return {
    type: 'psk',
    identityHint: hint,
    lookup(identity) {
      const key = pskCallback(identityToString(identity));
      return key instanceof Promise ? key.then(convert) : convert(key);
    },
  };
}
