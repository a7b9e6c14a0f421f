import type { NamedGroupName } from '../../crypto/provider.js';

/** RFC 8422 5.1.1 / RFC 7919 NamedGroup values we run ECDHE over. */
export enum NamedGroup {
  secp256r1 = 23,
  secp384r1 = 24,
  x25519 = 29,
}

/** The provider's name of a NamedGroup id, or undefined for a group we do not run. */
export function namedGroupName(id: number): NamedGroupName | undefined {
  switch (id) {
    case NamedGroup.secp256r1:
      return 'secp256r1';
    case NamedGroup.secp384r1:
      return 'secp384r1';
    case NamedGroup.x25519:
      return 'x25519';
    default:
      return undefined;
  }
}

/** The wire id of a group name. */
export function namedGroupId(name: NamedGroupName): number {
  switch (name) {
    case 'secp256r1':
      return NamedGroup.secp256r1;
    case 'secp384r1':
      return NamedGroup.secp384r1;
    case 'x25519':
      return NamedGroup.x25519;
  }
}
