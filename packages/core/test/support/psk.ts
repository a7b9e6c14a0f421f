/** The PSK credentials both engine harnesses (Pair and SimPair) and their tests start from. */
import { fromHex, utf8 } from '../../src/bytes.js';
import type { PskClientCredentials, PskServerCredentials } from '../../src/key-exchange/psk-credentials.js';

export const PSK_KEY = fromHex('000102030405060708090a0b0c0d0e0f');
export const PSK_IDENTITY = utf8('Client_identity');

/** A client that always offers `identity` with `key`. */
export function clientPsk(key: Uint8Array = PSK_KEY, identity: Uint8Array = PSK_IDENTITY): PskClientCredentials {
  return { type: 'psk', resolve: () => ({ identity, key }) };
}

/** A server that looks identities up with `lookup` (default: every identity has PSK_KEY). */
export function serverPsk(lookup: PskServerCredentials['lookup'] = () => PSK_KEY, identityHint?: Uint8Array): PskServerCredentials {
  return { type: 'psk', identityHint, lookup };
}
