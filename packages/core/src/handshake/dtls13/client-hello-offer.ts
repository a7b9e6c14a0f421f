import type { ResolvedClientOptions } from '../../options.js';
import { offeredVersions } from '../../protocol-versions.js';
import type { Extension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { encodeKeyShareClientHello } from '../extensions/key-share.js';
import { encodeSignatureAlgorithms } from '../extensions/signature-algorithms.js';
import { encodeSupportedGroups } from '../extensions/supported-groups.js';
import { encodeSupportedVersionsClientHello } from '../extensions/supported-versions.js';
import { keyShareGroup13 } from '../key-exchange/key-share-groups-13.js';
import type { ClientKeyShare13 } from '../key-exchange/key-share-groups-13.js';
import type { ClientHello } from '../messages/client-hello.js';
import { dtls13ClientHello } from '../messages/client-hello-13.js';
import type { PskIdentityKey } from '../../key-exchange/psk-credentials.js';
import { externalPskHash13 } from './client-psk-offer.js';
import { externalOffer13, resumptionOffer13, withPskBinders, type OfferedPsk13 } from './client-resumption-offer.js';
import { offeredConnectionId13 } from './connection-id-13.js';

/** A ClientHello that offers DTLS 1.3, and what the client keeps to go on in 1.3. */
export interface Dtls13Offer {
  readonly hello: ClientHello;
  /** The key shares sent (RFC 8446 4.2.8), their private halves with them. */
  readonly keyShares: readonly ClientKeyShare13[];
  /** The versions of supported_versions, newest first. */
  readonly versions: readonly number[];
  /** The external PSK offered in pre_shared_key (RFC 8446 4.2.11), when we have PSK credentials. */
  readonly psk: PskIdentityKey | undefined;
  /** Every PSK of pre_shared_key, in its order: the session's ticket first, then the external one (none when absent). */
  readonly psks?: readonly OfferedPsk13[];
}

/**
 * Our ClientHello when maxVersion is 'DTLSv1.3' (RFC 9147 5.3, RFC 8446 4.1.2), built on the DTLS
 * 1.2 one (`base`: its random, session ID and extensions): the TLS 1.3 suites first, then the 1.2
 * suites when minVersion allows 1.2 (none otherwise, nor 1.2's extensions); supported_versions
 * with the versions of the range, newest first (4.2.1); supported_groups (4.2.7) and a key_share
 * for our first group (4.2.8: "Clients MAY send an empty client_shares vector in order to request
 * group selection from the server, at the cost of an additional round trip"; we send one, as
 * OpenSSL and wolfSSL do); signature_algorithms when we check certificates (4.2.3). Legacy fields
 * per RFC 9147 5.3 (legacy_version {254, 253}, empty legacy_cookie, compression [0]).
 */
export function dtls13ClientHelloOffer(config: ResolvedClientOptions, base: ClientHello, wallNow: number, psk: PskIdentityKey | undefined): Dtls13Offer {
  const versions = offeredVersions(config);
  const offers12 = config.minVersion === 'DTLSv1.2';
  const extensions: Extension[] = offers12 ? base.extensions.filter((e) => e.type !== ExtensionType.supported_groups && e.type !== ExtensionType.signature_algorithms) : [];
  // RFC 9147 9: connection_id as in DTLS 1.2 (the 1.2 part of the hello carries it when both are offered).
  const cid = offeredConnectionId13(base);
  if (!offers12 && cid !== undefined) extensions.push(cid);
  const group = keyShareGroup13(config.groups13[0] ?? 'x25519');
  const share = group.clientShare(config.provider);
  extensions.push({ type: ExtensionType.supported_versions, data: encodeSupportedVersionsClientHello(versions) });
  // RFC 8446 9.2: a ClientHello with key_share MUST carry supported_groups; the list serves 1.2's ECDHE too (RFC 8422 5.1).
  extensions.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(config.groups13.map((g) => keyShareGroup13(g).id)) });
  extensions.push({ type: ExtensionType.key_share, data: encodeKeyShareClientHello([{ group: group.id, keyExchange: share.keyExchange }]) });
  if (config.x509 !== undefined) {
    // RFC 8446 4.2.3: "Clients which desire the server to authenticate itself via a certificate MUST send this extension."
    extensions.push({ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(config.x509.verifier.signatureSchemes) });
  }
  const unbound = dtls13ClientHello({
    random: base.random,
    legacySessionId: offers12 ? base.sessionId : new Uint8Array(0),
    cipherSuites: [...config.tls13Suites.map((s) => s.id), ...(offers12 ? base.cipherSuites : [])],
    extensions,
  });
  // RFC 8446 4.2.11: pre_shared_key goes last, its binder over everything before it; `psk` is
  // what the credentials chose for it (externalPskFor13, asked before the hello is built).
  // RFC 8446 2.2: the session of connect({ session }) as a resumption PSK, before the external one
  // (servers such as wolfSSL select the first identity they can use; ours tries tickets first,
  // then looks the identities up in order, so a ticket it cannot open still leads to the external PSK).
  const resumption = resumptionOffer13(config, wallNow);
  const psks = [...(resumption === undefined ? [] : [resumption]), ...(psk === undefined ? [] : [externalOffer13(psk, externalPskHash13(config.tls13Suites))])];
  const hello = psks.length === 0 ? unbound : withPskBinders(config.provider, unbound, psks, undefined);
  return { hello, keyShares: [share], versions, psk, psks };
}
