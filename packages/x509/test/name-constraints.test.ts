/**
 * The name-constraint comparisons of RFC 5280 4.2.1.10, one form at a time, on names built by
 * hand (chain-policy.test.ts and differential.test.ts check whole chains against OpenSSL).
 */
import { describe, expect, it } from 'vitest';
import type { GeneralName } from '../src/general-names.js';
import { constrainedNamesOf, decodeNameConstraints, nameConstraintViolation, type GeneralSubtree, type NameConstraints } from '../src/name-constraints.js';

const dns = (text: string): GeneralName => ({ form: 'dNSName', text });
const email = (text: string): GeneralName => ({ form: 'rfc822Name', text });
const uri = (text: string): GeneralName => ({ form: 'uniformResourceIdentifier', text });
const ip = (...octets: number[]): GeneralName => ({ form: 'iPAddress', octets: Uint8Array.from(octets) });
const dir = (...rdns: string[]): GeneralName => ({ form: 'directoryName', rdns });
const tree = (base: GeneralName): GeneralSubtree => ({ base, minMaxValid: true });
const permitted = (...bases: GeneralName[]): NameConstraints => ({ permitted: bases.map(tree), excluded: [] });
const excluded = (...bases: GeneralName[]): NameConstraints => ({ permitted: [], excluded: bases.map(tree) });
const ok = (names: GeneralName[], nc: NameConstraints): boolean => nameConstraintViolation(names, nc) === undefined;

describe('dNSName: zero or more labels added on the left', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['www.example.com', 'example.com', true],
    ['a.b.EXAMPLE.com', 'example.COM', true],
    ['badexample.com', 'example.com', false],
    ['example.com.evil', 'example.com', false],
    ['example.com', '.example.com', false],
    ['www.example.com', '.example.com', true],
    ['*.example.com', 'example.com', true],
    ['anything.test', '', true],
  ])('%s under permitted %s: %s', (name, base, expected) => {
    expect(ok([dns(name)], permitted(dns(base)))).toBe(expected);
    expect(ok([dns(name)], excluded(dns(base)))).toBe(!expected);
  });

  it('several permitted subtrees: one match is enough; an excluded one wins over a permitted one', () => {
    expect(ok([dns('a.example.org')], permitted(dns('example.com'), dns('example.org')))).toBe(true);
    const both: NameConstraints = { permitted: [tree(dns('example.com'))], excluded: [tree(dns('secret.example.com'))] };
    expect(ok([dns('www.example.com')], both)).toBe(true);
    expect(nameConstraintViolation([dns('db.secret.example.com')], both)).toContain('excluded');
  });

  it('constraints of one form leave names of other forms alone', () => {
    expect(ok([ip(192, 168, 1, 1), email('a@b.test')], permitted(dns('example.com')))).toBe(true);
  });
});

describe('rfc822Name: a mailbox, a host, or a domain', () => {
  it.each([
    ['ops@example.com', 'ops@example.com', true],
    ['Ops@example.com', 'ops@example.com', false], // the local part is case-sensitive
    ['ops@EXAMPLE.com', 'ops@example.com', true],
    ['ops@example.com', 'example.com', true],
    ['ops@mail.example.com', 'example.com', false],
    ['ops@mail.example.com', '.example.com', true],
    ['ops@example.com', '.example.com', false],
    ['ops@example.com', '@example.com', true],
  ])('%s under permitted %s: %s', (name, base, expected) => {
    expect(ok([email(name)], permitted(email(base)))).toBe(expected);
  });

  it('a name without @ cannot be checked, and is refused', () => {
    expect(nameConstraintViolation([email('not-a-mailbox')], permitted(email('example.com')))).toContain('cannot check');
  });
});

describe('iPAddress: address and mask, one family', () => {
  const v4net = ip(10, 0, 0, 0, 255, 0, 0, 0);
  const v6net = ip(0xfd, 0, ...new Array<number>(14).fill(0), 0xff, 0xff, ...new Array<number>(14).fill(0));
  it('IPv4 inside and outside a /8, IPv6 inside and outside a /16', () => {
    expect(ok([ip(10, 1, 2, 3)], permitted(v4net))).toBe(true);
    expect(ok([ip(11, 1, 2, 3)], permitted(v4net))).toBe(false);
    expect(ok([ip(0xfd, 0, ...new Array<number>(13).fill(0), 1)], permitted(v6net))).toBe(true);
    expect(ok([ip(0xfe, 0x80, ...new Array<number>(13).fill(0), 1)], permitted(v6net))).toBe(false);
  });

  it('an address of the other family never matches: outside a permitted range, clear of an excluded one', () => {
    expect(ok([ip(10, 1, 2, 3)], permitted(v6net))).toBe(false);
    expect(ok([ip(10, 1, 2, 3)], excluded(v6net))).toBe(true);
  });

  it('a mask that is not a prefix is applied as it is; odd lengths cannot be checked', () => {
    expect(ok([ip(10, 7, 2, 9)], permitted(ip(10, 0, 2, 0, 255, 0, 255, 0)))).toBe(true);
    expect(ok([ip(10, 7, 3, 9)], permitted(ip(10, 0, 2, 0, 255, 0, 255, 0)))).toBe(false);
    expect(nameConstraintViolation([ip(10, 1, 2)], permitted(v4net))).toContain('cannot check');
  });
});

describe('directoryName: the constraint is a prefix of the RDNs', () => {
  it('matches the first RDNs, normalised, in order', () => {
    const base = dir('2.5.4.6=de', '2.5.4.10=acme');
    expect(ok([dir('2.5.4.6=de', '2.5.4.10=acme', '2.5.4.3=host')], permitted(base))).toBe(true);
    expect(ok([dir('2.5.4.6=de', '2.5.4.10=acme')], permitted(base))).toBe(true);
    expect(ok([dir('2.5.4.6=de')], permitted(base))).toBe(false);
    expect(ok([dir('2.5.4.10=acme', '2.5.4.6=de', '2.5.4.3=host')], permitted(base))).toBe(false);
  });
});

describe('uniformResourceIdentifier: the host of the URI', () => {
  it.each([
    ['https://host.example.com/path', 'host.example.com', true],
    ['https://user@HOST.example.com:8443/', 'host.example.com', true],
    ['coaps://a.host.example.com', '.example.com', true],
    ['coaps://example.com', '.example.com', false],
    ['https://other.example.com', 'host.example.com', false],
  ])('%s under permitted %s: %s', (name, base, expected) => {
    expect(ok([uri(name)], permitted(uri(base)))).toBe(expected);
  });

  it('a URI without a host name (urn:, an IP literal) is refused (RFC 5280 4.2.1.10)', () => {
    expect(ok([uri('urn:example:a')], permitted(uri('.example.com')))).toBe(false);
    expect(ok([uri('https://192.0.2.1/')], excluded(uri('.example.com')))).toBe(false);
    expect(ok([uri('https://[2001:db8::1]/')], excluded(uri('.example.com')))).toBe(false);
  });
});

describe('forms we do not constrain, and malformed subtrees', () => {
  it('an otherName constraint meeting an otherName is refused; without one it is no matter', () => {
    const other: GeneralName = { form: 'otherName' };
    expect(ok([other], permitted(other))).toBe(false);
    expect(ok([other], permitted(dns('example.com')))).toBe(true);
  });

  it('a subtree with a minimum or maximum is refused when a name of its form meets it', () => {
    const bad: NameConstraints = { permitted: [{ base: dns('example.com'), minMaxValid: false }], excluded: [] };
    expect(nameConstraintViolation([dns('www.example.com')], bad)).toContain('minimum or maximum');
    expect(ok([ip(10, 0, 0, 1)], bad)).toBe(true);
  });

  it('decodes the DER of the extension: permitted and excluded, minimum and maximum', () => {
    // SEQUENCE { [0] { SEQUENCE { [2] "a.test" } }, [1] { SEQUENCE { [7] 0a000000ff000000, [1] 3 } } }
    const a = [0x82, 6, ...Buffer.from('a.test')];
    const subtreeA = [0x30, a.length, ...a];
    const ipBase = [0x87, 8, 10, 0, 0, 0, 255, 0, 0, 0, 0x81, 1, 3];
    const subtreeB = [0x30, ipBase.length, ...ipBase];
    const der = Uint8Array.from([0x30, 4 + subtreeA.length + subtreeB.length, 0xa0, subtreeA.length, ...subtreeA, 0xa1, subtreeB.length, ...subtreeB]);
    const nc = decodeNameConstraints(der);
    expect(nc.permitted).toEqual([{ base: { form: 'dNSName', text: 'a.test' }, minMaxValid: true }]);
    expect(nc.excluded).toEqual([{ base: { form: 'iPAddress', octets: Uint8Array.from([10, 0, 0, 0, 255, 0, 0, 0]) }, minMaxValid: false }]);
    expect(() => decodeNameConstraints(der.subarray(0, der.length - 1))).toThrow(RangeError);
    expect(() => decodeNameConstraints(Uint8Array.from([0x30, 3, 0xa2, 1, 0]))).toThrow(RangeError);
  });
});

describe('the names of a certificate', () => {
  const cert = { subjectRdns: ['2.5.4.3=www.evil.test'], subjectEmails: ['a@b.test'], subjectCommonNames: ['www.evil.test'], altNames: [ip(127, 0, 0, 1)] };
  it('subject, subject emailAddress, subjectAltName; a host-like CN of a leaf without dNSName', () => {
    expect(constrainedNamesOf(cert, true)).toEqual([dir('2.5.4.3=www.evil.test'), email('a@b.test'), ip(127, 0, 0, 1), dns('www.evil.test')]);
    expect(constrainedNamesOf(cert, false)).toHaveLength(3);
    expect(constrainedNamesOf({ ...cert, altNames: [dns('x.test')] }, true)).not.toContainEqual(dns('www.evil.test'));
    expect(constrainedNamesOf({ ...cert, subjectCommonNames: ['just a label'] }, true)).toHaveLength(3);
    expect(constrainedNamesOf({ ...cert, subjectCommonNames: ['-bad.example'] }, true)).toHaveLength(3);
  });
});
