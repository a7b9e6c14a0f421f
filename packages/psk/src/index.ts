/**
 * @dtls-kit/psk — pre-shared-key credentials for dtls-kit: PSK (RFC 4279) and ECDHE_PSK
 * (RFC 5489) suites. Pass what `pskClient`/`pskServer` return as the `psk` option.
 */
import { CIPHER_SUITES, type CipherSuite } from '@dtls-kit/core';

export { pskClient, type PskClientChoice, type PskClientOptions } from './psk-client.js';
export { pskServer, type PskServerOptions } from './psk-server.js';
export { identityToString, type PskIdentityInput, type PskKeyInput } from './psk-key.js';

/** The PSK and ECDHE_PSK suites of the registry, in default preference order. */
export const PSK_CIPHER_SUITES: readonly CipherSuite[] = CIPHER_SUITES.filter((s) => s.keyExchange === 'psk' || s.keyExchange === 'ecdhe_psk');
