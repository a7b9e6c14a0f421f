import type { DtlsOptions } from '../config.js';
import type { ResolvedServerOptions } from '../options.js';
import { dtls12OnlyOption, type Dtls12OnlyView } from '../dtls12-only-options.js';
import { resolveVersionRange } from '../protocol-versions.js';
import { requestedTls13Suites } from '../suites/tls13-suite-options.js';
import type { Dtls13ServerPolicy } from '../handshake/dtls13/server-hello-choice.js';
import { KEY_SHARE_GROUPS_13, keyShareGroup13, type Tls13GroupName } from '../handshake/key-exchange/key-share-groups-13.js';
import { resolveGroupOptions } from '../handshake/key-exchange/group-options.js';
import { TLS13_CIPHER_SUITES } from '../suites/tls13-cipher-suites.js';

/** Every TLS 1.3 suite we implement, and every group offered by default (X25519MLKEM768 is off until a peer has it). */
export const DEFAULT_DTLS13_POLICY: Dtls13ServerPolicy = Object.freeze({
  cipherSuites: TLS13_CIPHER_SUITES.map((s) => s.id),
  groups: KEY_SHARE_GROUPS_13.filter((g) => g.offeredByDefault).map((g) => g.id),
});

/** The NamedGroup ids of a server's DTLS 1.3 groups (the `groups` option), in its order of preference. */
export function dtls13PolicyGroups(groups13: readonly Tls13GroupName[]): number[] {
  return groups13.map((g) => keyShareGroup13(g).id);
}

/**
 * What the cookie check needs of a server's options to answer DTLS 1.3 (RFC 9147 5.1): the
 * lowest and highest versions, the suites a HelloRetryRequest may name (cipherSuites' TLS 1.3
 * names) and the groups it may ask for (`groups`).
 */
export function cookieCheckVersionOptions(options: Pick<ResolvedServerOptions, 'minVersion' | 'maxVersion' | 'tls13Suites' | 'groups13'>): {
  minVersion: ResolvedServerOptions['minVersion'];
  maxVersion: ResolvedServerOptions['maxVersion'];
  dtls13: Dtls13ServerPolicy;
} {
  return { minVersion: options.minVersion, maxVersion: options.maxVersion, dtls13: { cipherSuites: options.tls13Suites.map((s) => s.id), groups: dtls13PolicyGroups(options.groups13) } };
}

/**
 * The same from a server's options as given (a runtime whose main thread runs the cookie check
 * and leaves the rest of the options to its workers: the blocking server).
 */
export function cookieCheckVersionOptionsOf(options: Pick<DtlsOptions, 'minVersion' | 'maxVersion' | 'cipherSuites' | 'groups'> & Dtls12OnlyView): ReturnType<typeof cookieCheckVersionOptions> {
  const range = resolveVersionRange(options.minVersion, options.maxVersion, dtls12OnlyOption(options));
  // The workers resolve (and check) the whole options; here only the 1.3 groups are needed.
  const { groups13 } = resolveGroupOptions(options.groups, range.maxVersion, false);
  return cookieCheckVersionOptions({ ...range, tls13Suites: range.maxVersion === 'DTLSv1.3' ? requestedTls13Suites(options.cipherSuites) : [], groups13 });
}
