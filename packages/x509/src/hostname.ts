/**
 * Does a certificate name the host we meant to reach? RFC 6125 6.4 (as narrowed by RFC 9525):
 * - a DNS name is compared with the subjectAltName dNSName entries, case-insensitively, a
 *   trailing dot ignored; an entry may have one wildcard, and only as its whole leftmost label
 *   (`*.example.com`), which matches exactly one non-empty label (`a.example.com`, not
 *   `example.com` nor `a.b.example.com`); partial wildcards (`f*o.example.com`) never match,
 *   nor, as in OpenSSL, a wildcard followed by fewer than two labels (`*.com`, `*.local`);
 *   a non-ASCII host name is compared in its A-label form (RFC 5890);
 * - an IP address (IPv4 or IPv6, any textual form) is compared byte for byte with the
 *   iPAddress entries only, never with DNS names or wildcards (RFC 6125 6.2.1);
 * - the subject's Common Name is NOT used, even when there is no subjectAltName: RFC 6125
 *   6.4.4 allows it only as a legacy fallback and RFC 9525 2 drops it (so do Go, browsers and
 *   Node with `subject: 'never'`). A certificate must carry a subjectAltName to be matched.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import { sameBytes } from './bytes.js';
import type { SubjectAltName } from './certificate.js';
import type { PeerCertificate } from './peer-certificate.js';

/** The 4 or 16 bytes of an IP address in any textual form node accepts, or undefined. */
export function ipAddressBytes(text: string): Uint8Array | undefined {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  const zoneless = text.replace(/%.*$/, '');
  if (!isIPv6(zoneless)) return undefined;
  let groups = zoneless;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(groups);
  if (v4?.[1] !== undefined) {
    const b = v4[1].split('.').map(Number);
    groups = `${groups.slice(0, -v4[1].length)}${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = groups.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...new Array<string>(fill).fill('0'), ...right];
  if (all.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    const v = parseInt(g, 16);
    bytes[2 * i] = v >> 8;
    bytes[2 * i + 1] = v & 0xff;
  });
  return bytes;
}

function normalizeDns(name: string): string {
  const lower = name.toLowerCase().replace(/\.$/, '');
  // IDNA (RFC 5890): certificates carry A-labels; domainToASCII gives '' for invalid names.
  return /^[\x00-\x7f]*$/.test(lower) ? lower : domainToASCII(lower);
}

/** RFC 6125 6.4.1 and 6.4.3 (wildcard only as the complete leftmost label). */
export function dnsNameMatches(pattern: string, hostname: string): boolean {
  const host = normalizeDns(hostname);
  const presented = normalizeDns(pattern);
  if (host === '' || presented === '') return false;
  if (!presented.includes('*')) return presented === host;
  const labels = presented.split('.');
  // One wildcard, the whole leftmost label (RFC 6125 6.4.3, RFC 9525 6.3), and at least two
  // labels after it (OpenSSL's rule against `*.com`).
  if (labels[0] !== '*' || labels.slice(1).some((l) => l.includes('*')) || labels.length < 3) return false;
  const hostLabels = host.split('.');
  if (hostLabels.length !== labels.length || hostLabels[0] === '') return false;
  return hostLabels.slice(1).join('.') === labels.slice(1).join('.');
}

/**
 * Undefined when `names` (a certificate's subjectAltName entries) cover `hostname` (a DNS name
 * or an IP address), otherwise the reason, as a sentence.
 */
export function hostnameMismatch(hostname: string, names: readonly SubjectAltName[] | undefined): string | undefined {
  const ip = ipAddressBytes(hostname);
  if (names === undefined || names.length === 0) {
    return `the certificate has no subjectAltName, so it names no host (the Common Name is not used); expected ${hostname}`;
  }
  if (ip !== undefined) {
    const ips = names.filter((n) => n.type === 'IP Address');
    if (ips.some((n) => {
      const presented = ipAddressBytes(n.value);
      return presented !== undefined && sameBytes(presented, ip);
    })) {
      return undefined;
    }
    return `IP address ${hostname} is not in the certificate's subjectAltName (${describeNames(ips)})`;
  }
  const dns = names.filter((n) => n.type === 'DNS');
  if (dns.some((n) => dnsNameMatches(n.value, hostname))) return undefined;
  return `host name ${hostname} does not match the certificate's subjectAltName (${describeNames(dns)})`;
}

function describeNames(names: readonly SubjectAltName[]): string {
  return names.length === 0 ? 'none of that type' : names.map((n) => `${n.type}:${n.value}`).join(', ');
}

/**
 * The default server identity check, shaped like node:tls `checkServerIdentity(hostname, cert)`:
 * undefined when `cert` is valid for `hostname`, otherwise an Error saying why. A custom
 * `checkServerIdentity` option may call it and add its own checks (pinning, ...).
 */
export function checkServerIdentity(hostname: string, cert: PeerCertificate): Error | undefined {
  const reason = hostnameMismatch(hostname, cert.subjectAltNames);
  return reason === undefined ? undefined : new Error(`${reason} (certificate ${cert.subject})`);
}
