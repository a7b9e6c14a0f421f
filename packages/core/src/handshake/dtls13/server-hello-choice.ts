import { AlertDescription } from '../../alert.js';
import { DtlsError } from '../../errors.js';
import { findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { checkKeySharesFollowGroups, decodeKeyShareClientHello, type KeyShareEntry } from '../extensions/key-share.js';
import { decodePskKeyExchangeModes, PskKeyExchangeMode } from '../extensions/psk-key-exchange-modes.js';
import { decodeSupportedGroups } from '../extensions/supported-groups.js';
import { keyShareGroup13ById } from '../key-exchange/key-share-groups-13.js';
import type { ClientHello } from '../messages/client-hello.js';
import { tls13CipherSuiteById, type Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';

/** What a DTLS 1.3 server may choose from: its suites and key-share groups, most preferred first. */
export interface Dtls13ServerPolicy {
  /** TLS 1.3 cipher suite ids (0x13xx). */
  readonly cipherSuites: readonly number[];
  /** NamedGroup ids (RFC 8446 4.2.7) we run a key share for. */
  readonly groups: readonly number[];
}

/** The server's picks for a DTLS 1.3 ClientHello. */
export interface HelloChoice13 {
  readonly suite: Tls13CipherSuite;
  /** The client's share we answer, when it sent one for a group of ours. */
  readonly share: KeyShareEntry | undefined;
  /**
   * When it sent none we can use but supports one of our groups: the group a HelloRetryRequest
   * asks for (RFC 8446 4.1.4). Undefined with `share`, and for a psk_ke-only hello.
   */
  readonly retryGroup: number | undefined;
}

/**
 * RFC 8446 4.1.1 cryptographic negotiation, server side, in our preference order: the cipher suite,
 * then a key share of the client's for one of our groups, else a group to ask for in a
 * HelloRetryRequest, else (an offered PSK with psk_ke) no (EC)DHE at all. Nothing in common:
 * handshake_failure (RFC 8446 4.1.1: "If the server is unable to negotiate a supported set of
 * parameters ... it MUST abort the handshake with either a "handshake_failure" or
 * "insufficient_security" fatal alert"). Malformed extensions: decode_error / illegal_parameter.
 */
export function chooseForClientHello13(hello: ClientHello, policy: Dtls13ServerPolicy): HelloChoice13 {
  const common = policy.cipherSuites.filter((id) => hello.cipherSuites.includes(id));
  // RFC 8446 4.2.11: an external PSK's hash is "SHA-256 if no such algorithm is defined", and "the
  // server MUST ensure that it selects a compatible PSK (if any) and cipher suite": with a PSK
  // offered, a SHA-256 suite first. A client that offers only SHA-384 suites (wolfSSL's -l
  // TLS13-AES256-GCM-SHA384) has tied its PSK to SHA-384, and its binder is checked with that.
  const pskOffered = findExtension(hello.extensions, ExtensionType.pre_shared_key) !== undefined;
  const suiteId = (pskOffered ? common.find((id) => tls13CipherSuiteById(id)?.hash === 'sha256') : undefined) ?? common[0];
  const suite = suiteId === undefined ? undefined : tls13CipherSuiteById(suiteId);
  if (suite === undefined) throw new DtlsError(AlertDescription.handshake_failure, 'no TLS 1.3 cipher suite in common with the client');
  const groupsExt = findExtension(hello.extensions, ExtensionType.supported_groups);
  const sharesExt = findExtension(hello.extensions, ExtensionType.key_share);
  const clientGroups = groupsExt === undefined ? [] : decodeSupportedGroups(groupsExt.data);
  const shares = sharesExt === undefined ? [] : decodeKeyShareClientHello(sharesExt.data);
  // RFC 8446 4.2.8: "Each KeyShareEntry value MUST correspond to a group offered in the
  // "supported_groups" extension and MUST appear in the same order."
  checkKeySharesFollowGroups(shares, clientGroups);
  const ours = policy.groups.filter((id) => keyShareGroup13ById(id) !== undefined);
  for (const id of ours) {
    const share = shares.find((s) => s.group === id);
    if (share !== undefined) return { suite, share, retryGroup: undefined };
  }
  const retryGroup = ours.find((id) => clientGroups.includes(id));
  if (retryGroup !== undefined) return { suite, share: undefined, retryGroup };
  if (offersPskKe(hello)) return { suite, share: undefined, retryGroup: undefined };
  throw new DtlsError(AlertDescription.handshake_failure, 'no key-share group in common with the client, and no psk_ke PSK offered');
}

/** RFC 8446 4.2.9: a pre_shared_key offer whose psk_key_exchange_modes allows psk_ke (no key share). */
function offersPskKe(hello: ClientHello): boolean {
  const modes = findExtension(hello.extensions, ExtensionType.psk_key_exchange_modes);
  if (modes === undefined || findExtension(hello.extensions, ExtensionType.pre_shared_key) === undefined) return false;
  return decodePskKeyExchangeModes(modes.data).includes(PskKeyExchangeMode.psk_ke);
}
