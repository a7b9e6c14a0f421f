import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePem, parseCertificates, parsePrivateKey } from '../src/index.js';
import { Scratch } from './openssl.js';

// Keys and certificates written by openssl, in every encoding node:tls would take.
const scratch = new Scratch();
afterAll(() => scratch.remove());

const spkiOf = (pem: string): string => createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();

beforeAll(() => {
  const s = scratch;
  s.openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec.pkcs8.pem']);
  s.openssl(['ec', '-in', 'ec.pkcs8.pem', '-out', 'ec.sec1.pem']);
  s.openssl(['ec', '-in', 'ec.pkcs8.pem', '-outform', 'DER', '-out', 'ec.sec1.der']);
  s.openssl(['pkcs8', '-topk8', '-nocrypt', '-in', 'ec.pkcs8.pem', '-outform', 'DER', '-out', 'ec.pkcs8.der']);
  s.openssl(['pkcs8', '-topk8', '-in', 'ec.pkcs8.pem', '-v2', 'aes-256-cbc', '-passout', 'pass:secret', '-out', 'ec.enc.pem']);
  s.openssl(['ec', '-in', 'ec.pkcs8.pem', '-aes256', '-passout', 'pass:secret', '-out', 'ec.sec1.enc.pem']);
  s.openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', 'rsa.pkcs8.pem']);
  s.openssl(['rsa', '-in', 'rsa.pkcs8.pem', '-traditional', '-out', 'rsa.pkcs1.pem']);
  s.openssl(['rsa', '-in', 'rsa.pkcs8.pem', '-traditional', '-outform', 'DER', '-out', 'rsa.pkcs1.der']);
  s.openssl(['genpkey', '-algorithm', 'ED25519', '-out', 'ed.pem']);
  s.openssl(['req', '-x509', '-key', 'ec.pkcs8.pem', '-subj', '/CN=one', '-days', '1', '-out', 'one.pem']);
  s.openssl(['req', '-x509', '-key', 'rsa.pkcs8.pem', '-subj', '/CN=two', '-days', '1', '-out', 'two.pem']);
  s.openssl(['x509', '-in', 'one.pem', '-outform', 'DER', '-out', 'one.der']);
  // A chain file as people make them: text dumps around the blocks, CRLF line ends.
  s.write('chain.pem', `${s.openssl(['x509', '-in', 'one.pem', '-text'])}\n${s.readText('two.pem').replace(/\n/g, '\r\n')}`);
});

describe('private keys', () => {
  it('read PKCS#8, SEC1 and PKCS#1, as PEM and as DER, to the same key', () => {
    const ec = spkiOf(scratch.readText('ec.pkcs8.pem'));
    expect(scratch.readText('ec.sec1.pem')).toContain('BEGIN EC PRIVATE KEY');
    for (const input of [scratch.readText('ec.pkcs8.pem'), scratch.readText('ec.sec1.pem'), scratch.read('ec.sec1.pem'), scratch.read('ec.sec1.der'), new Uint8Array(scratch.read('ec.pkcs8.der'))]) {
      const key = parsePrivateKey(input);
      expect(key.type).toBe('private');
      expect(createPublicKey(key).export({ type: 'spki', format: 'pem' })).toBe(ec);
    }
    const rsa = spkiOf(scratch.readText('rsa.pkcs8.pem'));
    expect(scratch.readText('rsa.pkcs1.pem')).toContain('BEGIN RSA PRIVATE KEY');
    for (const input of [scratch.readText('rsa.pkcs1.pem'), scratch.read('rsa.pkcs1.der')]) {
      expect(createPublicKey(parsePrivateKey(input)).export({ type: 'spki', format: 'pem' })).toBe(rsa);
    }
    expect(parsePrivateKey(scratch.readText('ed.pem')).asymmetricKeyType).toBe('ed25519');
  });

  it('decrypt with a passphrase (PKCS#8 and legacy Proc-Type PEM), refuse without the right one', () => {
    const ec = spkiOf(scratch.readText('ec.pkcs8.pem'));
    for (const name of ['ec.enc.pem', 'ec.sec1.enc.pem']) {
      expect(createPublicKey(parsePrivateKey(scratch.readText(name), 'secret')).export({ type: 'spki', format: 'pem' })).toBe(ec);
      expect(() => parsePrivateKey(scratch.readText(name), 'wrong')).toThrow(TypeError);
    }
  });

  it('accept a private KeyObject, refuse a public one and garbage', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    expect(parsePrivateKey(privateKey)).toBe(privateKey);
    expect(() => parsePrivateKey(publicKey)).toThrow(/private key is required/);
    expect(() => parsePrivateKey('not a key')).toThrow(TypeError);
    expect(() => parsePrivateKey(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]))).toThrow(TypeError);
    expect(() => parsePrivateKey(scratch.readText('one.pem'))).toThrow(TypeError);
  });
});

describe('certificates', () => {
  it('read a chain from one PEM (text around, CRLF), in order', () => {
    const chain = parseCertificates(scratch.readText('chain.pem'));
    expect(chain.map((der) => new X509Certificate(der).subject)).toEqual(['CN=one', 'CN=two']);
    expect(parseCertificates(scratch.read('chain.pem'))).toEqual(chain);
  });

  it('read DER, PEM bytes and lists of both', () => {
    const der = new Uint8Array(scratch.read('one.der'));
    expect(parseCertificates(der)).toEqual([der]);
    expect(parseCertificates(scratch.readText('one.pem'))).toEqual([der]);
    const list = parseCertificates([scratch.read('one.der'), scratch.readText('two.pem')]);
    expect(list.map((d) => new X509Certificate(d).subject)).toEqual(['CN=one', 'CN=two']);
  });

  it('refuse what is not a certificate, naming the option', () => {
    expect(() => parseCertificates(scratch.readText('ec.pkcs8.pem'), 'cert')).toThrow(/cert: no "-----BEGIN CERTIFICATE-----"/);
    expect(() => parseCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'ca')).toThrow(/ca: not a valid X.509 certificate/);
    expect(() => parseCertificates('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n')).toThrow(/not base64/);
    expect(() => parseCertificates(new Uint8Array([0x30, 0x01, 0x00]))).toThrow(TypeError);
  });

  it('decodePem lists every block with its label', () => {
    const blocks = decodePem(`${scratch.readText('ec.pkcs8.pem')}${scratch.readText('one.pem')}`);
    expect(blocks.map((b) => b.label)).toEqual(['PRIVATE KEY', 'CERTIFICATE']);
    expect(blocks[1]?.der).toEqual(new Uint8Array(scratch.read('one.der')));
  });
});
