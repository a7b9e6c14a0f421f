/**
 * `--dtls1_3` / `--dtls1_2`, as openssl's `-dtls1_2` means it (OpenSSL 3.0 has no DTLS 1.3; wolfSSL's
 * examples take `-v 4`): that one version, offered (client) or accepted (server). Without either,
 * the library's default range (minVersion/maxVersion, as node:tls: DTLS 1.3 preferred, 1.2 accepted;
 * 1.2 alone when an option our 1.3 lacks is given: --srtp, --recordsize, --maxfraglen, --rpk).
 */

/** A DTLS version as node:tls names protocols (core's minVersion/maxVersion). */
export type DtlsVersionName = 'DTLSv1.2' | 'DTLSv1.3';

/** The one version of --dtls1_3 / --dtls1_2; undefined: neither given. `usage` makes the error. */
export function versionFlag(dtls13: boolean | undefined, dtls12: boolean | undefined, usage: (message: string) => Error): DtlsVersionName | undefined {
  if (dtls13 === true && dtls12 === true) throw usage('--dtls1_3 and --dtls1_2 contradict each other');
  if (dtls13 === true) return 'DTLSv1.3';
  return dtls12 === true ? 'DTLSv1.2' : undefined;
}

/**
 * The engine options of one version: minVersion and maxVersion both at it (RFC 8446 4.2.1
 * supported_versions lists it alone; a server accepts no other). Nothing without a flag.
 */
export function versionOptions(version: DtlsVersionName | undefined): { minVersion?: DtlsVersionName; maxVersion?: DtlsVersionName } {
  return version === undefined ? {} : { minVersion: version, maxVersion: version };
}

/**
 * The first flag given that our DTLS 1.3 does not carry yet (core's dtls12-only-options.ts: use_srtp,
 * record_size_limit, max_fragment_length, raw public keys), for --dtls1_3's usage error: core would
 * refuse the options with a TypeError, found only when the connection starts.
 */
export function dtls12OnlyFlag(flags: Readonly<Record<'--srtp' | '--recordsize' | '--maxfraglen' | '--rpk' | '--rpk-pin', boolean>>): string | undefined {
  return Object.entries(flags).find(([, given]) => given)?.[0];
}
