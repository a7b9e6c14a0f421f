/**
 * The nameConstraints extension (RFC 5280 4.2.1.10), enforced on the whole path (RFC 5280
 * 6.1.3 (b)/(c), 6.1.4 (g)) whether or not the CA marked it critical: the Baseline
 * Requirements let a sub-CA of a public root carry it non-critical, and a validator that
 * skipped it would let such a sub-CA issue for any name.
 *
 * Every CA of the path, the trust anchor included (as OpenSSL does), constrains every
 * certificate below it, except the self-issued ones that are not the leaf (RFC 5280 6.1.3 (b)).
 * The names of a certificate are its subject (a directoryName, when not empty), the
 * emailAddress attributes of its subject (rfc822Name, 4.2.1.10 "legacy implementations"), its
 * subjectAltName entries and, for the leaf only when it has no dNSName, each Common Name that
 * has the syntax of a host name (a dNSName, as OpenSSL checks them; RFC 9525 dropped the CN as
 * an identity, but a CA must still not get a name it may not issue past its constraints).
 *
 * For each name, the subtrees of its form decide (4.2.1.10): it must match one of the
 * permitted ones when there are any, and none of the excluded ones:
 * - dNSName: the name with zero or more labels added on the left (`example.com` covers
 *   `example.com` and `www.example.com`, not `badexample.com`); a leading period
 *   (`.example.com`) covers the subdomains only; case-insensitive;
 * - rfc822Name: a mailbox (`user@example.com`, local part case-sensitive), all mailboxes of
 *   a host (`example.com`) or of a domain's subdomains (`.example.com`);
 * - iPAddress: address and mask, 8 octets for IPv4, 32 for IPv6; an address of the other
 *   family never matches;
 * - directoryName: the constraint's RDNs are the first RDNs of the name (7.1 comparison);
 * - uniformResourceIdentifier: the host of the URI, as a host (`host.example.com`) or a
 *   domain (`.example.com`); a URI without a host name is rejected (4.2.1.10).
 * A constraint on another form (otherName, x400Address, ediPartyName, registeredID) that
 * meets a name of that form rejects the certificate, as 4.2.1.10 requires of a form the
 * application does not process; so does a subtree with a minimum other than 0 or a maximum,
 * which 4.2.1.10 forbids.
 */
import { childrenOf, contentOf, readTlv } from './der.js';
import { decodeGeneralName, type GeneralName } from './general-names.js';

export interface GeneralSubtree {
  readonly base: GeneralName;
  /** False when minimum is not 0 or maximum is present (RFC 5280 4.2.1.10: MUST be 0 / absent). */
  readonly minMaxValid: boolean;
}

export interface NameConstraints {
  readonly permitted: readonly GeneralSubtree[];
  readonly excluded: readonly GeneralSubtree[];
}

/** What name constraints read of one certificate. */
export interface ConstrainedNames {
  /** The subject's normalised RDNs (general-names.ts), empty for an empty subject. */
  readonly subjectRdns: readonly string[];
  /** emailAddress attributes of the subject. */
  readonly subjectEmails: readonly string[];
  /** commonName attributes of the subject. */
  readonly subjectCommonNames: readonly string[];
  /** subjectAltName entries, exact (undefined without the extension). */
  readonly altNames: readonly GeneralName[] | undefined;
}

/** Past this many name × subtree comparisons in one validation we refuse (OpenSSL's NAME_CHECK_MAX, per pair there). */
export const MAX_NAME_CHECKS = 1 << 20;

function decodeSubtrees(der: Uint8Array, at: ReturnType<typeof readTlv>): GeneralSubtree[] {
  return childrenOf(der, at).map((subtree) => {
    if (subtree.tag !== 0x30) throw new RangeError('nameConstraints: a GeneralSubtree is a SEQUENCE');
    const [base, ...rest] = childrenOf(der, subtree);
    if (base === undefined) throw new RangeError('nameConstraints: a GeneralSubtree without a base');
    let minMaxValid = true;
    for (const field of rest) {
      const value = contentOf(der, field);
      if (field.tag === 0x80) {
        // minimum [0] BaseDistance DEFAULT 0: present only when not 0 in DER, but a 0 is harmless.
        if (value.some((b) => b !== 0)) minMaxValid = false;
      } else if (field.tag === 0x81) {
        minMaxValid = false; // maximum [1]: MUST be absent
      } else {
        throw new RangeError('nameConstraints: unexpected field in a GeneralSubtree');
      }
    }
    return { base: decodeGeneralName(der, base), minMaxValid };
  });
}

/** Decodes the extension's value. Throws a RangeError when it is not well-formed DER. */
export function decodeNameConstraints(der: Uint8Array): NameConstraints {
  const outer = readTlv(der, 0, der.length);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new RangeError('nameConstraints: not one SEQUENCE');
  let permitted: GeneralSubtree[] = [];
  let excluded: GeneralSubtree[] = [];
  for (const field of childrenOf(der, outer)) {
    if (field.tag === 0xa0) permitted = decodeSubtrees(der, field);
    else if (field.tag === 0xa1) excluded = decodeSubtrees(der, field);
    else throw new RangeError('nameConstraints: unexpected field');
  }
  return { permitted, excluded };
}

type Outcome = 'match' | 'no-match' | 'unsupported';

function lower(text: string): string {
  return text.toLowerCase();
}

function dnsMatches(name: string, base: string): boolean {
  const n = lower(name);
  const b = lower(base);
  if (b === '') return true;
  if (b.startsWith('.')) return n.endsWith(b);
  return n === b || n.endsWith(`.${b}`);
}

function emailMatches(email: string, base: string): Outcome {
  const at = email.lastIndexOf('@');
  if (at < 0) return 'unsupported'; // not a mailbox
  const host = lower(email.slice(at + 1));
  const baseAt = base.lastIndexOf('@');
  if (baseAt < 0) {
    if (base.startsWith('.')) return email.length > base.length && host.endsWith(lower(base)) ? 'match' : 'no-match';
    return host === lower(base) ? 'match' : 'no-match';
  }
  // A mailbox: the local part is case-sensitive (RFC 5280 7.5), the host is not.
  if (baseAt > 0 && email.slice(0, at) !== base.slice(0, baseAt)) return 'no-match';
  return host === lower(base.slice(baseAt + 1)) ? 'match' : 'no-match';
}

function ipMatches(address: Uint8Array, base: Uint8Array): Outcome {
  if (address.length !== 4 && address.length !== 16) return 'unsupported';
  if (base.length !== 8 && base.length !== 32) return 'unsupported';
  if (address.length * 2 !== base.length) return 'no-match'; // IPv4 never matches an IPv6 range, nor the reverse
  for (let i = 0; i < address.length; i++) {
    const mask = base[address.length + i] ?? 0;
    if (((address[i] ?? 0) & mask) !== ((base[i] ?? 0) & mask)) return 'no-match';
  }
  return 'match';
}

function dirNameMatches(rdns: readonly string[], base: readonly string[]): boolean {
  return base.length <= rdns.length && base.every((rdn, i) => rdn === rdns[i]);
}

/** RFC 3986 3.2.2: the host of `scheme://[userinfo@]host[:port]...`, undefined when there is none or it is an IP address. */
function uriHost(uri: string): string | undefined {
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri)?.[1];
  if (authority === undefined) return undefined;
  const host = authority.slice(authority.lastIndexOf('@') + 1).replace(/:\d*$/, '');
  if (host === '' || host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host)) return undefined;
  return host;
}

function uriMatches(uri: string, base: string): Outcome {
  const host = uriHost(uri);
  // RFC 5280 4.2.1.10: a URI without a host name (or with an IP address) MUST be rejected.
  if (host === undefined) return 'unsupported';
  if (base.startsWith('.')) return host.length > base.length && lower(host).endsWith(lower(base)) ? 'match' : 'no-match';
  return lower(host) === lower(base) ? 'match' : 'no-match';
}

function compare(name: GeneralName, base: GeneralName): Outcome {
  if (name.form === 'dNSName' && base.form === 'dNSName') return dnsMatches(name.text, base.text) ? 'match' : 'no-match';
  if (name.form === 'rfc822Name' && base.form === 'rfc822Name') return emailMatches(name.text, base.text);
  if (name.form === 'uniformResourceIdentifier' && base.form === 'uniformResourceIdentifier') return uriMatches(name.text, base.text);
  if (name.form === 'iPAddress' && base.form === 'iPAddress') return ipMatches(name.octets, base.octets);
  if (name.form === 'directoryName' && base.form === 'directoryName') return dirNameMatches(name.rdns, base.rdns) ? 'match' : 'no-match';
  return 'unsupported';
}

function describeName(name: GeneralName): string {
  switch (name.form) {
    case 'dNSName':
      return `DNS:${name.text}`;
    case 'rfc822Name':
      return `email:${name.text}`;
    case 'uniformResourceIdentifier':
      return `URI:${name.text}`;
    case 'iPAddress':
      return `IP:${name.octets.length === 4 ? name.octets.join('.') : Buffer.from(name.octets).toString('hex')}`;
    case 'directoryName':
      return `DirName:${name.rdns.join(', ')}`;
    default:
      return name.form;
  }
}

/**
 * OpenSSL's test for a Common Name to be constrained as a dNSName: at least two labels of
 * letters, digits, '-' and '_', none empty, '-' only inside a label.
 */
function looksLikeHostName(cn: string): boolean {
  const labels = cn.split('.');
  return labels.length >= 2 && labels.every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/.test(l));
}

/** The names of a certificate that name constraints apply to (see the module comment). */
export function constrainedNamesOf(cert: ConstrainedNames, isLeaf: boolean): GeneralName[] {
  const names: GeneralName[] = [];
  if (cert.subjectRdns.length > 0) names.push({ form: 'directoryName', rdns: cert.subjectRdns });
  for (const email of cert.subjectEmails) names.push({ form: 'rfc822Name', text: email });
  names.push(...(cert.altNames ?? []));
  if (isLeaf && !(cert.altNames ?? []).some((n) => n.form === 'dNSName')) {
    for (const cn of cert.subjectCommonNames) if (looksLikeHostName(cn)) names.push({ form: 'dNSName', text: cn });
  }
  return names;
}

/**
 * Why `names` (of one certificate) break `constraints` (of a CA above it), or undefined when
 * they do not. Makes names × subtrees comparisons at most: the caller bounds that product.
 */
export function nameConstraintViolation(names: readonly GeneralName[], constraints: NameConstraints): string | undefined {
  for (const name of names) {
    const permitted = constraints.permitted.filter((s) => s.base.form === name.form);
    const excluded = constraints.excluded.filter((s) => s.base.form === name.form);
    if ([...permitted, ...excluded].some((s) => !s.minMaxValid)) {
      return `a ${name.form} subtree has a minimum or maximum, which RFC 5280 4.2.1.10 forbids`;
    }
    const outcomes = permitted.map((s) => compare(name, s.base));
    if (outcomes.includes('unsupported')) return `${describeName(name)}: a ${name.form} constraint we cannot check against it`;
    if (permitted.length > 0 && !outcomes.includes('match')) return `${describeName(name)} is outside the permitted subtrees`;
    for (const s of excluded) {
      const outcome = compare(name, s.base);
      if (outcome === 'unsupported') return `${describeName(name)}: a ${name.form} constraint we cannot check against it`;
      if (outcome === 'match') return `${describeName(name)} is in an excluded subtree (${describeName(s.base)})`;
    }
  }
  return undefined;
}
