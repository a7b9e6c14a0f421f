import { DTLS_1_2, DTLS_1_3 } from './handshake/protocol-version.js';

/** The DTLS versions we speak, named as node:tls names TLS's ('TLSv1.2', 'TLSv1.3'). */
export type DtlsVersionName = 'DTLSv1.2' | 'DTLSv1.3';

/** The range of versions a side offers or accepts, checked once, up front. */
export interface VersionRange {
  readonly minVersion: DtlsVersionName;
  readonly maxVersion: DtlsVersionName;
}

const ORDER: readonly DtlsVersionName[] = ['DTLSv1.2', 'DTLSv1.3'];

/** The wire value of a version (RFC 6347 4.1, RFC 9147 5.3). */
export function wireVersion(name: DtlsVersionName): number {
  return name === 'DTLSv1.3' ? DTLS_1_3 : DTLS_1_2;
}

/**
 * minVersion/maxVersion as node:tls takes them: minVersion defaults to 'DTLSv1.2', maxVersion to
 * 'DTLSv1.3' (both offered, 1.3 preferred: RFC 9147), or to 'DTLSv1.2' when `dtls12Only` names
 * an option our DTLS 1.3 does not carry (dtls12-only-options.ts); asking for 1.3 explicitly with
 * such an option is a TypeError, not a feature lost when 1.3 is negotiated. TypeError for a name
 * we do not know, RangeError when min is above max.
 */
export function resolveVersionRange(minVersion: string | undefined, maxVersion: string | undefined, dtls12Only?: string): VersionRange {
  const min = versionName('minVersion', minVersion ?? 'DTLSv1.2');
  const max = versionName('maxVersion', maxVersion ?? (dtls12Only === undefined || min === 'DTLSv1.3' ? 'DTLSv1.3' : 'DTLSv1.2'));
  if (ORDER.indexOf(min) > ORDER.indexOf(max)) throw new RangeError(`minVersion ${min} is above maxVersion ${max}`);
  if (dtls12Only !== undefined && max === 'DTLSv1.3') {
    throw new TypeError(`${dtls12Only} needs DTLS 1.2 (dtls-kit's DTLS 1.3 does not carry it yet): leave maxVersion unset or set it to 'DTLSv1.2'`);
  }
  return { minVersion: min, maxVersion: max };
}

function versionName(option: string, value: string): DtlsVersionName {
  const found = ORDER.find((v) => v === value);
  if (found === undefined) throw new TypeError(`${option} must be one of ${ORDER.join(', ')} (got ${JSON.stringify(value)})`);
  return found;
}

/** The versions of a range for supported_versions (RFC 8446 4.2.1), most preferred (newest) first. */
export function offeredVersions(range: VersionRange): number[] {
  const from = ORDER.indexOf(range.minVersion);
  const to = ORDER.indexOf(range.maxVersion);
  return ORDER.slice(from, to + 1).reverse().map(wireVersion);
}
