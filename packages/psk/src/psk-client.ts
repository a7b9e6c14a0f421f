import type { PskClientCredentials, PskIdentityKey } from '@dtls-kit/core';
import { identityToString, type PskIdentityInput, type PskKeyInput, toIdentityBytes, toKeyBytes } from './psk-key.js';

/** What a client callback returns, in node:tls terms (`psk`, `identity`). */
export interface PskClientChoice {
  identity: PskIdentityInput;
  psk: PskKeyInput;
}

export type PskClientOptions =
  | { identity: PskIdentityInput; key: PskKeyInput }
  /** Chooses the identity and key from the server's hint (null when it sent none), like node:tls `pskCallback`. May be async. */
  | { pskCallback: (hint: string | null) => PskClientChoice | Promise<PskClientChoice> };

/**
 * Client credentials for the PSK and ECDHE_PSK suites (RFC 4279, RFC 5489).
 * Keys and identities are checked here, once, so a typo fails at startup, not mid-handshake.
 */
export function pskClient(options: PskClientOptions): PskClientCredentials {
  if ('pskCallback' in options) {
    const callback = options.pskCallback;
    if (typeof callback !== 'function') throw new TypeError('pskCallback must be a function');
    const convert = (c: PskClientChoice): PskIdentityKey => ({ identity: toIdentityBytes(c.identity), key: toKeyBytes(c.psk) });
    return {
      type: 'psk',
      resolve(hint) {
        const choice = callback(hint === undefined ? null : identityToString(hint));
        return choice instanceof Promise ? choice.then(convert) : convert(choice);
      },
    };
  }
  const fixed: PskIdentityKey = { identity: toIdentityBytes(options.identity), key: toKeyBytes(options.key) };
  return { type: 'psk', resolve: () => fixed };
}
