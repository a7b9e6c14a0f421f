/**
 * The `groups` option read for both versions: DTLS 1.2's ECDHE (RFC 8422 5.1.1) runs the
 * elliptic curves of the list, DTLS 1.3's key_share (RFC 8446 4.2.7, 4.2.8) every group of it,
 * the hybrid X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem) included when it is named, for it is
 * never offered by default (key-share-groups-13.ts).
 */
import type { NamedGroupName } from '../../crypto/provider.js';
import type { DtlsVersionName } from '../../protocol-versions.js';
import { keyShareGroup13, KEY_SHARE_GROUPS_13, type Tls13GroupName } from './key-share-groups-13.js';

/** The groups of each version, in the order given. */
export interface GroupOptions {
  /** DTLS 1.2's ECDHE curves (supported_groups, RFC 8422 5.1.1). */
  readonly groups: readonly NamedGroupName[];
  /** DTLS 1.3's key_share groups (RFC 8446 4.2.7); the first is the one a client sends a share for. */
  readonly groups13: readonly Tls13GroupName[];
}

const DEFAULT_GROUPS: readonly NamedGroupName[] = ['x25519', 'secp256r1', 'secp384r1'];

function isEcdheGroup(name: Tls13GroupName): name is NamedGroupName {
  return name !== 'x25519mlkem768';
}

/**
 * Checks and splits `groups` (default x25519, secp256r1, secp384r1). TypeError for an unknown
 * name, an empty list, a 1.3-only group when DTLS 1.3 is not enabled, or a list without any
 * curve when DTLS 1.2's ECDHE suites may run (`ecdhe12`).
 */
export function resolveGroupOptions(option: readonly Tls13GroupName[] | undefined, maxVersion: DtlsVersionName, ecdhe12: boolean): GroupOptions {
  if (option === undefined) return { groups: DEFAULT_GROUPS, groups13: DEFAULT_GROUPS };
  if (!Array.isArray(option)) throw new TypeError('groups must be an array of group names');
  if (option.length === 0) throw new TypeError('groups must not be empty');
  const groups13: Tls13GroupName[] = [];
  for (const name of option) {
    if (!KEY_SHARE_GROUPS_13.some((g) => g.name === name)) {
      throw new TypeError(`unknown group ${String(name)}; groups takes ${KEY_SHARE_GROUPS_13.map((g) => g.name).join(', ')}`);
    }
    if (!groups13.includes(name)) groups13.push(keyShareGroup13(name).name);
  }
  const groups = groups13.filter(isEcdheGroup);
  if (groups.length < groups13.length && maxVersion !== 'DTLSv1.3') {
    throw new TypeError("x25519mlkem768 is a DTLS 1.3 group (draft-ietf-tls-ecdhe-mlkem): it needs maxVersion 'DTLSv1.3'");
  }
  if (groups.length === 0 && ecdhe12) {
    throw new TypeError('groups names no elliptic curve (x25519, secp256r1, secp384r1) for the DTLS 1.2 ECDHE suites: add one, or set minVersion DTLSv1.3');
  }
  return { groups, groups13 };
}
