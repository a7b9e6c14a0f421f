import { describe, expect, it } from 'vitest';
import { checkServerIdentity, dnsNameMatches, type PeerCertificate } from '../src/index.js';
import { ipAddressBytes } from '../src/hostname.js';

describe('DNS names (RFC 6125 6.4)', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['Example.COM', 'example.com', true],
    ['example.com.', 'example.com', true],
    ['example.com', 'www.example.com', false],
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', 'WWW.Example.Com.', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', '.example.com', false],
    ['*.com', 'example.com', false],
    ['*.local', 'printer.local', false],
    ['w*.example.com', 'www.example.com', false],
    ['*w.example.com', 'www.example.com', false],
    ['www.*.example.com', 'www.a.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
    ['xn--bcher-kva.example', 'bücher.example', true],
    ['*.xn--bcher-kva.example', 'www.bücher.example', true],
    ['', 'example.com', false],
  ])('%s vs %s → %s', (pattern, host, expected) => {
    expect(dnsNameMatches(pattern, host)).toBe(expected);
  });
});

describe('IP addresses', () => {
  it('parse every textual form to the same bytes', () => {
    expect(ipAddressBytes('127.0.0.1')).toEqual(Uint8Array.from([127, 0, 0, 1]));
    const v6 = ipAddressBytes('2001:db8::1');
    expect(v6).toHaveLength(16);
    expect(ipAddressBytes('2001:0DB8:0:0:0:0:0:1')).toEqual(v6);
    expect(ipAddressBytes('::ffff:10.0.0.1')).toEqual(ipAddressBytes('::ffff:a00:1'));
    expect(ipAddressBytes('::')).toEqual(new Uint8Array(16));
    expect(ipAddressBytes('fe80::1%eth0')).toEqual(ipAddressBytes('fe80::1'));
    expect(ipAddressBytes('example.com')).toBeUndefined();
    expect(ipAddressBytes('1.2.3')).toBeUndefined();
  });
});

describe('checkServerIdentity', () => {
  const cert = (names: PeerCertificate['subjectAltNames']): PeerCertificate => ({
    subject: 'CN=localhost',
    issuer: 'CN=CA',
    subjectAltNames: names,
    validFrom: new Date(0),
    validTo: new Date(0),
    fingerprint256: '',
    serialNumber: '01',
    publicKeyType: 'ec prime256v1',
    raw: new Uint8Array(),
  });

  it('matches DNS names to DNS entries and IP addresses to IP entries only', () => {
    const c = cert([{ type: 'DNS', value: 'localhost' }, { type: 'IP Address', value: '::1' }, { type: 'DNS', value: '10.0.0.1' }]);
    expect(checkServerIdentity('localhost', c)).toBeUndefined();
    expect(checkServerIdentity('0::1', c)).toBeUndefined();
    expect(checkServerIdentity('10.0.0.1', c)).toBeInstanceOf(Error);
    expect(checkServerIdentity('other', c)?.message).toMatch(/does not match.*DNS:localhost/);
  });

  it('never uses the Common Name', () => {
    expect(checkServerIdentity('localhost', cert([]))?.message).toMatch(/no subjectAltName/);
  });
});
