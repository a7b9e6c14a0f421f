import { createPrivateKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { AlertDescription, DtlsError, alertName } from '@dtls-kit/core';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { childrenOf, readTlv } from '../src/der.js';
import { parsedCertificate, parsedCertificates, PARSED_CERTIFICATES_MAX } from '../src/parsed-certificates.js';
import { parseCertificate } from '../src/certificate.js';
import { signatureVerifies, verifiedSignatures, VERIFIED_SIGNATURES_MAX } from '../src/verified-signatures.js';
import { createCA, createCertificate, createVerifier, parseCertificates, validateChain, type X509VerifierOptions } from '../src/index.js';

// The memo of decoded certificates and the cache of verified signatures (issue 15): a chain seen
// before is neither decoded nor its signatures verified again, yet every check that depends on
// the handshake (dates, host name, trust anchor, role, security level) runs every time, and no
// certificate that differs by one byte from a remembered one passes for it.

function der(pem: string): Uint8Array {
  const [first] = parseCertificates(pem, 'test');
  if (first === undefined) throw new Error('no certificate');
  return first;
}

/** DER length octets (X.690 8.1.3). */
function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, content: Uint8Array): Uint8Array {
  return Uint8Array.from([tag, ...derLength(content.length), ...content]);
}

/** The same TBSCertificate signed again by `key` (ECDSA is randomised: another valid certificate each time). */
function resign(cert: Uint8Array, key: KeyObject): Uint8Array {
  const outer = readTlv(cert, 0, cert.length);
  const [tbs, algorithm] = childrenOf(cert, outer);
  if (tbs === undefined || algorithm === undefined) throw new Error('not a certificate');
  const tbsBytes = cert.subarray(outer.contentStart, tbs.end);
  const signature = sign('sha256', tbsBytes, key);
  const body = Uint8Array.from([...tbsBytes, ...cert.subarray(tbs.end, algorithm.end), ...tlv(0x03, Uint8Array.from([0, ...signature]))]);
  return tlv(0x30, body);
}

/** A copy of `cert` with the last byte of its serial number (in the TBSCertificate) flipped. */
function tamperTbs(cert: Uint8Array): Uint8Array {
  const outer = readTlv(cert, 0, cert.length);
  const tbs = readTlv(cert, outer.contentStart, outer.end);
  const [version, serial] = childrenOf(cert, tbs);
  if (version?.tag !== 0xa0 || serial?.tag !== 0x02) throw new Error('unexpected TBSCertificate');
  const copy = Uint8Array.from(cert);
  copy[serial.end - 1] = (copy[serial.end - 1] ?? 0) ^ 0x01;
  return copy;
}

/** A copy of `cert` with the last byte of its signature (the ECDSA s) flipped. */
function tamperSignature(cert: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(cert);
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0x01;
  return copy;
}

/** The alert name a verifyChain ends in, or 'ok'. */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (err instanceof DtlsError) return alertName(err.alert);
    throw err;
  }
}

let rootDer: Uint8Array;
let otherRootDer: Uint8Array;
let intDer: Uint8Array;
let leafDer: Uint8Array;
let intKey: KeyObject;
let leafNotAfter: Date;

beforeAll(async () => {
  const root = await createCA({ commonName: 'cache root' });
  const otherRoot = await createCA({ commonName: 'cache other root' });
  const int = await createCA({ commonName: 'cache intermediate', issuer: root });
  const leaf = await createCertificate({ ca: int, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server', days: 30 });
  rootDer = der(root.cert);
  otherRootDer = der(otherRoot.cert);
  intDer = der(int.cert);
  leafDer = der(leaf.cert);
  intKey = createPrivateKey(int.key);
  leafNotAfter = new Date(new X509Certificate(leafDer).validTo);
});

beforeEach(() => {
  parsedCertificates.clear();
  verifiedSignatures.clear();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const server = { peerRole: 'server', servername: '127.0.0.1' } as const;

function verifier(options: Partial<X509VerifierOptions> = {}): ReturnType<typeof createVerifier> {
  return createVerifier({ ca: [rootDer], ...options });
}

describe('bounds', () => {
  it('the memo of decoded certificates keeps PARSED_CERTIFICATES_MAX after cap + N distinct certificates', () => {
    for (let i = 0; i < PARSED_CERTIFICATES_MAX + 10; i++) parsedCertificate(resign(leafDer, intKey));
    expect(parsedCertificates.size).toBe(PARSED_CERTIFICATES_MAX);
  });

  it('the cache of verified signatures keeps VERIFIED_SIGNATURES_MAX after cap + N distinct pairs', () => {
    const issuer = parseCertificate(intDer);
    for (let i = 0; i < VERIFIED_SIGNATURES_MAX + 10; i++) {
      expect(signatureVerifies(parseCertificate(resign(leafDer, intKey)), issuer)).toBe(true);
    }
    expect(verifiedSignatures.size).toBe(VERIFIED_SIGNATURES_MAX);
  });
});

describe('a chain seen before', () => {
  it('is decoded once per verification, and not at all the next time', () => {
    const v = verifier(); // decodes its CA now
    const parse = vi.spyOn(AsnConvert, 'parse');
    const certificateParses = (): number => parse.mock.calls.filter(([, schema]) => schema === Certificate).length;
    expect(v.verifyChain([leafDer, intDer], server)).toEqual({ authorized: true });
    expect(certificateParses()).toBe(2);
    parse.mockClear();
    expect(v.verifyChain([leafDer, intDer], server)).toEqual({ authorized: true });
    expect(certificateParses()).toBe(0);
  });

  it('skips the signature math, and only for the very same bytes', () => {
    const v = verifier();
    const verify = vi.spyOn(X509Certificate.prototype, 'verify');
    expect(v.verifyChain([leafDer, intDer], server)).toEqual({ authorized: true });
    expect(verify).toHaveBeenCalledTimes(2); // leaf by intermediate, intermediate by root
    verify.mockClear();
    expect(v.verifyChain([leafDer, intDer], server)).toEqual({ authorized: true });
    expect(verify).not.toHaveBeenCalled();
    // Another signature on the same TBSCertificate is another certificate: verified afresh.
    expect(v.verifyChain([resign(leafDer, intKey), intDer], server)).toEqual({ authorized: true });
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('does not validate a tampered certificate: one byte of the TBS or of the signature, of the leaf or of the intermediate', () => {
    const v = verifier();
    expect(v.verifyChain([leafDer, intDer], server)).toEqual({ authorized: true });
    for (const chain of [
      [tamperTbs(leafDer), intDer],
      [tamperSignature(leafDer), intDer],
      [leafDer, tamperTbs(intDer)],
      [leafDer, tamperSignature(intDer)],
    ]) {
      expect(outcome(() => v.verifyChain(chain, server))).toBe('bad_certificate');
      expect(() => v.verifyChain(chain, server)).toThrow(/does not verify with the key of its issuer/);
    }
    // And the untampered chain still passes.
    expect(v.verifyChain([leafDer, intDer], server)).toEqual({ authorized: true });
  });

  it('is refused once expired, or before it is valid, after it was accepted', () => {
    let now = new Date();
    const v = verifier({ now: () => now });
    expect(v.verifyChain([leafDer, intDer], server)).toEqual({ authorized: true });
    now = new Date(leafNotAfter.getTime() + 1000);
    expect(outcome(() => v.verifyChain([leafDer, intDer], server))).toBe('certificate_expired');
    now = new Date(Date.now() - 10 * 86_400_000);
    expect(outcome(() => v.verifyChain([leafDer, intDer], server))).toBe('certificate_expired');
    now = new Date();
    expect(v.verifyChain([leafDer, intDer], server)).toEqual({ authorized: true });
  });

  it('is refused for another host name, another trust anchor, the other role or a higher security level', () => {
    expect(verifier().verifyChain([leafDer, intDer], server)).toEqual({ authorized: true });
    expect(outcome(() => verifier().verifyChain([leafDer, intDer], { peerRole: 'server', servername: 'example.org' }))).toBe('bad_certificate');
    expect(outcome(() => verifier().verifyChain([leafDer, intDer], { peerRole: 'server', servername: '127.0.0.2' }))).toBe('bad_certificate');
    expect(outcome(() => verifier({ ca: [otherRootDer] }).verifyChain([leafDer, intDer], server))).toBe('unknown_ca');
    // A server certificate (extKeyUsage serverAuth only) is no client certificate.
    expect(outcome(() => verifier().verifyChain([leafDer, intDer], { peerRole: 'client', servername: undefined }))).toBe('unsupported_certificate');
    // P-256 is 128 bits: level 4 asks for 192.
    expect(outcome(() => verifier({ securityLevel: 4 }).verifyChain([leafDer, intDer], server))).toBe('bad_certificate');
    // rejectUnauthorized: false reports it the same way, the cache notwithstanding.
    const lenient = verifier({ rejectUnauthorized: false }).verifyChain([leafDer, intDer], { peerRole: 'server', servername: 'example.org' });
    expect(lenient.authorized).toBe(false);
    const error = lenient.authorizationError;
    expect(error instanceof DtlsError ? error.alert : error).toBe(AlertDescription.bad_certificate);
  });

  it('is not changed by what the caller does with the certificates it was given', () => {
    const first = validateChain([leafDer, intDer], { ca: [rootDer], peerRole: 'server', hostname: '127.0.0.1' }).path[0];
    if (first === undefined) throw new Error('no path');
    first.validTo.setTime(0);
    first.raw.fill(0);
    const again = validateChain([leafDer, intDer], { ca: [rootDer], peerRole: 'server', hostname: '127.0.0.1' }).path[0];
    expect(again?.validTo.getTime()).toBe(leafNotAfter.getTime());
    expect(again?.raw).toEqual(leafDer);
    // Nor by a caller that reuses the buffer it passed.
    const buffer = Uint8Array.from(leafDer);
    expect(verifier().verifyChain([buffer, intDer], server)).toEqual({ authorized: true });
    buffer.set(tamperSignature(leafDer));
    expect(outcome(() => verifier().verifyChain([buffer, intDer], server))).toBe('bad_certificate');
  });
});
