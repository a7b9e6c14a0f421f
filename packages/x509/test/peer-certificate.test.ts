import { AlertDescription, DtlsError } from '@dtls-kit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { describeCertificate } from '../src/index.js';
import { Scratch } from './openssl.js';
import { OpenSslPki } from './pki.js';

const scratch = new Scratch();
afterAll(() => scratch.remove());

describe('describeCertificate', () => {
  it('agrees with openssl x509 on names, serial, dates, SANs and the SHA-256 fingerprint', () => {
    const pki = new OpenSslPki(scratch);
    const root = pki.root('Describe Root');
    const leaf = pki.issue('leaf', root, 'server');
    const info = describeCertificate(leaf.der);
    const field = (flag: string): string => scratch.openssl(['x509', '-in', leaf.certFile, '-noout', flag, '-nameopt', 'RFC2253']).trim();
    expect(info.fingerprint256).toBe(scratch.openssl(['x509', '-in', leaf.certFile, '-noout', '-fingerprint', '-sha256']).trim().split('=')[1]);
    expect(info.serialNumber).toBe(field('-serial').replace('serial=', ''));
    expect(info.subject.replace(/, /g, ',')).toBe(field('-subject').replace('subject=', ''));
    expect(info.issuer.replace(/, /g, ',')).toBe(field('-issuer').replace('issuer=', ''));
    const dates = scratch.openssl(['x509', '-in', leaf.certFile, '-noout', '-dates']);
    expect(info.validFrom.getTime()).toBe(Date.parse(/notBefore=(.*)/.exec(dates)?.[1] ?? ''));
    expect(info.validTo.getTime()).toBe(Date.parse(/notAfter=(.*)/.exec(dates)?.[1] ?? ''));
    expect(info.subjectAltNames).toEqual([
      { type: 'DNS', value: 'localhost' },
      { type: 'DNS', value: '*.example.com' },
      { type: 'IP Address', value: '127.0.0.1' },
      { type: 'IP Address', value: '::1' },
    ]);
    expect(scratch.openssl(['x509', '-in', leaf.certFile, '-noout', '-ext', 'subjectAltName'])).toContain('DNS:localhost, DNS:*.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(info.publicKeyType).toBe('ec prime256v1');
    expect(info.raw).toEqual(leaf.der);
  });

  it('throws bad_certificate for bytes that are not a certificate', () => {
    try {
      describeCertificate(new Uint8Array([0x30, 0x00]));
      expect.unreachable();
    } catch (err) {
      expect(err instanceof DtlsError && err.alert === AlertDescription.bad_certificate).toBe(true);
    }
  });
});
