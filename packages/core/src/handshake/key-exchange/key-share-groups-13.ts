/**
 * The named groups a DTLS 1.3 key_share may use (RFC 8446 4.2.7, 4.2.8), one entry each, as the
 * 1.3 handshake will read them: X25519, P-256 and P-384 over the provider's ECDHE code, and the
 * hybrid X25519MLKEM768, off by default until a peer we can test against offers it.
 *
 * A group is a KEM-shaped pair of steps, which fits both kinds: the client makes a share and
 * later completes it with the server's; the server answers a client's share with its own and
 * holds the secret at once (for ECDHE, a fresh key pair; for ML-KEM, an encapsulation).
 */

import { checkPeerPublicKey, PUBLIC_KEY_LENGTH } from '../../crypto/peer-key.js';
import type { CryptoProvider, KeyShare, NamedGroupName } from '../../crypto/provider.js';
import { IllegalParameterError } from '../../errors.js';
import { NamedGroup } from '../extensions/named-group.js';
import {
  X25519_MLKEM768_CLIENT_SHARE_LENGTH,
  X25519_MLKEM768_ID,
  X25519_MLKEM768_SERVER_SHARE_LENGTH,
  x25519MlKem768ClientShare,
  x25519MlKem768ServerShare,
} from './x25519-mlkem768.js';

export type Tls13GroupName = NamedGroupName | 'x25519mlkem768';

/** The client's side of one KeyShareEntry it offers. */
export interface ClientKeyShare13 {
  readonly group: Tls13GroupName;
  /** KeyShareEntry.key_exchange (RFC 8446 4.2.8). */
  readonly keyExchange: Uint8Array;
  /** The shared secret from the server's key_exchange; IllegalParameterError for a bad one. */
  complete(serverKeyExchange: Uint8Array): Uint8Array;
}

/** The server's answer to a client's KeyShareEntry. */
export interface ServerKeyShare13 {
  readonly keyExchange: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

export interface KeyShareGroup13 {
  readonly name: Tls13GroupName;
  /** NamedGroup code point (RFC 8446 4.2.7; 0x11EC from draft-ietf-tls-ecdhe-mlkem). */
  readonly id: number;
  /** Exact length of the client's key_exchange: anything else is illegal_parameter. */
  readonly clientShareLength: number;
  /** Exact length of the server's key_exchange. */
  readonly serverShareLength: number;
  /** Whether a default configuration offers it. */
  readonly offeredByDefault: boolean;
  /**
   * The curve of the ephemeral key pair a share of this group holds (the group itself for ECDHE,
   * X25519 for the hybrid): the kind of pair a KeyShareReserve must have made ahead for it.
   */
  readonly keyPairCurve: NamedGroupName;
  /** Makes the client's share; `ephemeral` is a waiting key pair of the group's curve (KeyShareReserve). */
  clientShare(provider: CryptoProvider, ephemeral?: KeyShare): ClientKeyShare13;
  /** Answers the client's share; IllegalParameterError when it is malformed or not a valid key. */
  serverShare(provider: CryptoProvider, clientKeyExchange: Uint8Array, ephemeral?: KeyShare): ServerKeyShare13;
}

/** The curve a waiting key pair must have for `group`, or a fresh one. */
function keyPairOf(provider: CryptoProvider, curve: NamedGroupName, ephemeral: KeyShare | undefined): KeyShare {
  if (ephemeral === undefined) return provider.generateKeyShare(curve);
  if (ephemeral.group !== curve) throw new TypeError(`a ${curve} share needs a ${curve} key pair, got ${ephemeral.group}`);
  return ephemeral;
}

/**
 * An ECDHE group (RFC 8446 4.2.8.1 for X25519, 4.2.8.2 for the NIST curves: the uncompressed
 * point 0x04 || X || Y; the shared secret is the X coordinate, RFC 8446 7.4.2). The peer's value
 * is checked for length and form (checkPeerPublicKey), then by the curve code.
 */
function ecdheGroup(name: NamedGroupName, id: number): KeyShareGroup13 {
  const length = PUBLIC_KEY_LENGTH[name];
  return Object.freeze({
    name,
    id,
    clientShareLength: length,
    serverShareLength: length,
    offeredByDefault: true,
    keyPairCurve: name,
    clientShare(provider: CryptoProvider, ephemeral?: KeyShare): ClientKeyShare13 {
      const pair = keyPairOf(provider, name, ephemeral);
      return {
        group: name,
        keyExchange: pair.publicKey,
        complete(serverKeyExchange: Uint8Array): Uint8Array {
          checkPeerPublicKey(name, serverKeyExchange);
          return pair.deriveSecret(serverKeyExchange);
        },
      };
    },
    serverShare(provider: CryptoProvider, clientKeyExchange: Uint8Array, ephemeral?: KeyShare): ServerKeyShare13 {
      checkPeerPublicKey(name, clientKeyExchange);
      const pair = keyPairOf(provider, name, ephemeral);
      return { keyExchange: pair.publicKey, sharedSecret: pair.deriveSecret(clientKeyExchange) };
    },
  });
}

const X25519_MLKEM768: KeyShareGroup13 = Object.freeze({
  name: 'x25519mlkem768',
  id: X25519_MLKEM768_ID,
  clientShareLength: X25519_MLKEM768_CLIENT_SHARE_LENGTH,
  serverShareLength: X25519_MLKEM768_SERVER_SHARE_LENGTH,
  // Off by default: no peer we can test against offers it yet (issue 17), and its 1216-byte
  // share does not fit one datagram at small MTUs.
  offeredByDefault: false,
  keyPairCurve: 'x25519',
  clientShare(provider: CryptoProvider, ephemeral?: KeyShare): ClientKeyShare13 {
    const share = x25519MlKem768ClientShare(provider, ephemeral === undefined ? undefined : keyPairOf(provider, 'x25519', ephemeral));
    return { group: 'x25519mlkem768', keyExchange: share.keyExchange, complete: share.complete };
  },
  serverShare(provider: CryptoProvider, clientKeyExchange: Uint8Array, ephemeral?: KeyShare): ServerKeyShare13 {
    return x25519MlKem768ServerShare(provider, clientKeyExchange, ephemeral === undefined ? undefined : keyPairOf(provider, 'x25519', ephemeral));
  },
});

/** Every group in our order of preference (the classical ones first while the hybrid is off by default). */
export const KEY_SHARE_GROUPS_13: readonly KeyShareGroup13[] = Object.freeze([
  ecdheGroup('x25519', NamedGroup.x25519),
  ecdheGroup('secp256r1', NamedGroup.secp256r1),
  ecdheGroup('secp384r1', NamedGroup.secp384r1),
  X25519_MLKEM768,
]);

/** The group of a NamedGroup code point, or undefined for one we do not run. */
export function keyShareGroup13ById(id: number): KeyShareGroup13 | undefined {
  return KEY_SHARE_GROUPS_13.find((g) => g.id === id);
}

/** The group of a name. */
export function keyShareGroup13(name: Tls13GroupName): KeyShareGroup13 {
  const group = KEY_SHARE_GROUPS_13.find((g) => g.name === name);
  if (group === undefined) throw new TypeError(`unknown TLS 1.3 group ${name}`);
  return group;
}

/**
 * RFC 8446 4.2.8: the server's one KeyShareEntry "MUST be in the same group as the KeyShareEntry
 * value offered by the client that the server has selected": a group we sent no share for is
 * illegal_parameter.
 */
export function offeredShare13(shares: readonly ClientKeyShare13[], selectedId: number): ClientKeyShare13 {
  const group = keyShareGroup13ById(selectedId);
  const share = group === undefined ? undefined : shares.find((s) => s.group === group.name);
  if (share === undefined) throw new IllegalParameterError(`server chose key_share group 0x${selectedId.toString(16).padStart(4, '0')}, for which we sent no share`);
  return share;
}
