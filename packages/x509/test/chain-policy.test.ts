/**
 * The validation rules of issue 12 point 2, each on chains made by the openssl command line
 * and each checked against `openssl verify -auth_level N -partial_chain` on the same files:
 * nameConstraints whether or not critical, one security level for every key and signature of
 * the path (trust anchor included), extendedKeyUsage on trust anchors, explicit EC parameters,
 * and path building that tries every candidate issuer and accepts long paths.
 */
import { DtlsError, alertName } from '@dtls-kit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateChain, x509Client, type ChainValidationOptions } from '../src/index.js';
import { Scratch } from './openssl.js';
import { OpenSslPki, type Issued } from './pki.js';

const scratch = new Scratch();
afterAll(() => scratch.remove());
let pki: OpenSslPki;
let root: Issued;
let int: Issued;

const DAY = 86_400_000;

const CA = `basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid`;

const SERVER = `basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid`;

interface Case {
  readonly leaf: Issued;
  readonly chain?: readonly Issued[];
  readonly ca: readonly Issued[];
  readonly role?: 'server' | 'client';
  readonly host?: string;
  readonly level?: number;
}

/** The alert name validateChain ends in, or 'ok'. */
function ours(c: Case, extra: Partial<ChainValidationOptions> = {}): string {
  try {
    validateChain([c.leaf.der, ...(c.chain ?? []).map((i) => i.der)], {
      ca: c.ca.map((i) => i.der),
      peerRole: c.role ?? 'server',
      hostname: c.host,
      securityLevel: c.level,
      ...extra,
    });
    return 'ok';
  } catch (err) {
    if (err instanceof DtlsError) return alertName(err.alert);
    throw err;
  }
}

let files = 0;
/** What `openssl verify` says of the same case: 'ok' or its error line. */
function openssl(c: Case): string {
  const bundle = (list: readonly Issued[]): string => scratch.write(`bundle-${++files}.pem`, list.map((i) => scratch.readText(`${i.name}.pem`)).join(''));
  const args = ['verify', '-auth_level', String(c.level ?? 2), '-partial_chain', '-purpose', c.role === 'client' ? 'sslclient' : 'sslserver'];
  args.push('-CAfile', bundle(c.ca));
  if (c.chain !== undefined && c.chain.length > 0) args.push('-untrusted', bundle(c.chain));
  if (c.host !== undefined) args.push(/^[\d.]+$|:/.test(c.host) ? '-verify_ip' : '-verify_hostname', c.host);
  args.push(c.leaf.certFile);
  try {
    scratch.openssl(args);
    return 'ok';
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    return /error \d+ at \d+ depth lookup: [^\n]*/.exec(text)?.[0] ?? text;
  }
}

/** Our verdict, with OpenSSL's checked to be the same (accept or refuse). */
function agreed(c: Case): string {
  const verdict = ours(c);
  const theirs = openssl(c);
  expect(verdict === 'ok', `ours: ${verdict}, openssl: ${theirs}`).toBe(theirs === 'ok');
  return verdict;
}

beforeAll(() => {
  pki = new OpenSslPki(scratch);
  pki.section('ca', CA);
  pki.section('leaf', SERVER);
  root = pki.root('Policy Root');
  int = pki.issue('Policy Int', root, 'ca');
});

function leafWith(name: string, issuer: Issued, san: string, options: { key?: 'p256' | 'rsa1024' | 'p256-explicit'; subject?: string } = {}): Issued {
  const section = pki.section(`leaf_${name.replace(/\W/g, '_')}`, `${SERVER}\nsubjectAltName = ${san}`);
  return pki.issue(name, issuer, section, options);
}

describe('nameConstraints, critical or not (RFC 5280 4.2.1.10, 6.1)', () => {
  it('a non-critical permitted dNSName subtree: a leaf outside it → certificate_unknown, inside → ok', () => {
    const sub = pki.issue('NC DNS CA', root, pki.section('nc_dns', `${CA}\nnameConstraints = permitted;DNS:example.com`));
    const inside = leafWith('nc-inside', sub, 'DNS:www.example.com, DNS:example.com');
    const outside = leafWith('nc-outside', sub, 'DNS:www.example.com, DNS:www.evil.test');
    const lookalike = leafWith('nc-lookalike', sub, 'DNS:badexample.com');
    expect(agreed({ leaf: inside, chain: [sub], ca: [root], host: 'www.example.com' })).toBe('ok');
    expect(agreed({ leaf: outside, chain: [sub], ca: [root], host: 'www.example.com' })).toBe('certificate_unknown');
    expect(agreed({ leaf: lookalike, chain: [sub], ca: [root] })).toBe('certificate_unknown');
  });

  it('excluded dNSName and iPAddress subtrees, permitted iPAddress ranges of each family', () => {
    const sub = pki.issue(
      'NC Mixed CA',
      root,
      pki.section('nc_mixed', `${CA}\nnameConstraints = permitted;IP:10.0.0.0/255.0.0.0, permitted;IP:fd00::/ffff::, excluded;DNS:.internal.example, excluded;IP:10.9.0.0/255.255.0.0`),
    );
    expect(agreed({ leaf: leafWith('ip-in', sub, 'IP:10.1.2.3, DNS:a.example'), chain: [sub], ca: [root], host: '10.1.2.3' })).toBe('ok');
    expect(agreed({ leaf: leafWith('ip6-in', sub, 'IP:fd00::1'), chain: [sub], ca: [root], host: 'fd00::1' })).toBe('ok');
    expect(agreed({ leaf: leafWith('ip-out', sub, 'IP:192.168.1.1'), chain: [sub], ca: [root] })).toBe('certificate_unknown');
    expect(agreed({ leaf: leafWith('ip-excluded', sub, 'IP:10.9.1.1'), chain: [sub], ca: [root] })).toBe('certificate_unknown');
    expect(agreed({ leaf: leafWith('ip6-out', sub, 'IP:2001:db8::1'), chain: [sub], ca: [root] })).toBe('certificate_unknown');
    expect(agreed({ leaf: leafWith('dns-excluded', sub, 'DNS:db.internal.example'), chain: [sub], ca: [root] })).toBe('certificate_unknown');
  });

  it('rfc822Name and directoryName subtrees apply to the subject and its emailAddress too', () => {
    const sub = pki.issue(
      'NC Dir CA',
      root,
      pki.section('nc_dir', `${CA}\nnameConstraints = permitted;dirName:nc_dir_base, permitted;email:.example.com\n[nc_dir_base]\nO = dtls-kit tests`),
    );
    expect(agreed({ leaf: leafWith('dir-in', sub, 'email:ops@mail.example.com'), chain: [sub], ca: [root] })).toBe('ok');
    expect(agreed({ leaf: leafWith('email-out', sub, 'email:ops@example.org'), chain: [sub], ca: [root] })).toBe('certificate_unknown');
    const otherOrg = leafWith('dir-out', sub, 'DNS:x.example', { subject: '/O=Somebody else/CN=dir-out' });
    expect(agreed({ leaf: otherOrg, chain: [sub], ca: [root] })).toBe('certificate_unknown');
    const subjectEmail = leafWith('dn-email-out', sub, 'DNS:x.example', { subject: '/O=dtls-kit tests/CN=dn-email-out/emailAddress=a@example.net' });
    expect(agreed({ leaf: subjectEmail, chain: [sub], ca: [root] })).toBe('certificate_unknown');
  });

  it('the constraints of every CA apply, the trust anchor included, down to the leaf', () => {
    const constrainedRoot = pki.root('NC Root', { section: pki.section('nc_root', `basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign\nsubjectKeyIdentifier = hash\nnameConstraints = permitted;DNS:corp.example`) });
    const middle = pki.issue('NC Middle', constrainedRoot, 'ca');
    const inside = leafWith('deep-in', middle, 'DNS:host.corp.example');
    const outside = leafWith('deep-out', middle, 'DNS:host.other.example');
    expect(agreed({ leaf: inside, chain: [middle], ca: [constrainedRoot] })).toBe('ok');
    expect(agreed({ leaf: outside, chain: [middle], ca: [constrainedRoot] })).toBe('certificate_unknown');
    // A CA certificate below the constrained one is held to them too (its subject is a dirName, its SANs names).
    const badMiddle = pki.issue('NC Bad Middle', constrainedRoot, pki.section('ca_with_san', `${CA}\nsubjectAltName = DNS:elsewhere.example`));
    const underBad = leafWith('under-bad', badMiddle, 'DNS:www.corp.example');
    expect(agreed({ leaf: underBad, chain: [badMiddle], ca: [constrainedRoot] })).toBe('certificate_unknown');
  });

  it('a leaf without dNSName is constrained by its host-name-like Common Name, as OpenSSL does', () => {
    const sub = pki.issue('NC CN CA', root, pki.section('nc_cn', `${CA}\nnameConstraints = permitted;DNS:example.com`));
    const cnOutside = pki.issue('cn-out', sub, pki.section('leaf_nosan', `${SERVER}\nsubjectAltName = IP:127.0.0.1`), { subject: '/O=dtls-kit tests/CN=www.evil.test' });
    const cnNotHost = pki.issue('cn-label', sub, 'leaf_nosan', { subject: '/O=dtls-kit tests/CN=just a label' });
    expect(agreed({ leaf: cnOutside, chain: [sub], ca: [root], host: '127.0.0.1' })).toBe('certificate_unknown');
    expect(agreed({ leaf: cnNotHost, chain: [sub], ca: [root], host: '127.0.0.1' })).toBe('ok');
  });
});

describe('one key and signature policy for the whole path: securityLevel (OpenSSL SSL_CTX_set_security_level)', () => {
  it('an RSA-512 intermediate or root → bad_certificate at the default level 2', () => {
    const weakInt = pki.issue('RSA512 Int', root, 'ca', { key: 'rsa512' });
    const underWeakInt = leafWith('under-rsa512-int', weakInt, 'DNS:localhost');
    expect(agreed({ leaf: underWeakInt, chain: [weakInt], ca: [root] })).toBe('bad_certificate');
    const weakRoot = pki.root('RSA512 Root', { key: 'rsa512' });
    const intUnderWeak = pki.issue('Int Under RSA512', weakRoot, 'ca');
    const leaf = leafWith('under-rsa512-root', intUnderWeak, 'DNS:localhost');
    expect(agreed({ leaf, chain: [intUnderWeak], ca: [weakRoot] })).toBe('bad_certificate');
    // The same trusted RSA-512 root as a pinned issuer of the leaf: its key is still rated.
    const direct = leafWith('direct-under-rsa512-root', weakRoot, 'DNS:localhost');
    expect(agreed({ leaf: direct, ca: [weakRoot] })).toBe('bad_certificate');
    expect(agreed({ leaf: direct, ca: [weakRoot], level: 0 })).toBe('ok');
  });

  it('RSA-1024 leaf: refused at level 2, accepted at level 1; level 3 refuses RSA-2048 and SHA-224', () => {
    const rsa1024 = leafWith('rsa1024-leaf', int, 'DNS:localhost', { key: 'rsa1024' });
    expect(agreed({ leaf: rsa1024, chain: [int], ca: [root] })).toBe('bad_certificate');
    expect(agreed({ leaf: rsa1024, chain: [int], ca: [root], level: 1 })).toBe('ok');
    const rsaInt = pki.issue('RSA2048 Int', root, 'ca', { key: 'rsa' });
    const underRsa = leafWith('under-rsa2048', rsaInt, 'DNS:localhost');
    expect(agreed({ leaf: underRsa, chain: [rsaInt], ca: [root] })).toBe('ok');
    expect(agreed({ leaf: underRsa, chain: [rsaInt], ca: [root], level: 3 })).toBe('bad_certificate');
    const sha224 = pki.issue('sha224-leaf', int, 'leaf', { digest: 'sha224' });
    expect(agreed({ leaf: sha224, chain: [int], ca: [root] })).toBe('ok');
    expect(agreed({ leaf: sha224, chain: [int], ca: [root], level: 3 })).toBe('bad_certificate');
    expect(agreed({ leaf: leafWith('p256-leaf', int, 'DNS:localhost'), chain: [int], ca: [root], level: 3 })).toBe('ok');
  });

  it("SHA-1: refused on the path at level 1 and up, accepted at level 0; the anchor's own self-signature is not rated", () => {
    const sha1Int = pki.issue('SHA1 Int', root, 'ca', { digest: 'sha1' });
    const leaf = leafWith('under-sha1-int', sha1Int, 'DNS:localhost');
    expect(agreed({ leaf, chain: [sha1Int], ca: [root] })).toBe('bad_certificate');
    expect(agreed({ leaf, chain: [sha1Int], ca: [root], level: 1 })).toBe('bad_certificate');
    expect(agreed({ leaf, chain: [sha1Int], ca: [root], level: 0 })).toBe('ok');
    const sha1Root = pki.root('SHA1 Root', { digest: 'sha1' });
    const underSha1Root = leafWith('under-sha1-root', sha1Root, 'DNS:localhost');
    expect(agreed({ leaf: underSha1Root, ca: [sha1Root] })).toBe('ok');
  });

  it('securityLevel must be an OpenSSL level (0 to 5)', () => {
    const c = { leaf: int, ca: [root] };
    expect(() => ours(c, { securityLevel: 6 })).toThrow(TypeError);
    expect(() => ours(c, { securityLevel: 1.5 })).toThrow(TypeError);
    expect(() => x509Client({ ca: scratch.readText('Policy Root.pem'), securityLevel: -1 })).toThrow(/securityLevel/);
  });
});

describe('extendedKeyUsage on trust anchors too', () => {
  it('a pinned self-signed leaf whose extKeyUsage is clientAuth is no server certificate', () => {
    const pinned = pki.root('pinned-client', { section: pki.section('self_client', `basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\nsubjectAltName = DNS:localhost`) });
    expect(agreed({ leaf: pinned, ca: [pinned], host: 'localhost' })).toBe('unsupported_certificate');
    expect(agreed({ leaf: pinned, ca: [pinned], role: 'client' })).toBe('ok');
  });

  it('a trusted intermediate or a trusted root whose extKeyUsage lacks the purpose → unsupported_certificate', () => {
    const clientOnly = pki.section('ca_client_only', `${CA}\nextendedKeyUsage = clientAuth`);
    const trustedInt = pki.issue('Client-only Int', root, clientOnly);
    const leaf = leafWith('under-client-only-int', trustedInt, 'DNS:localhost');
    expect(agreed({ leaf, ca: [trustedInt] })).toBe('unsupported_certificate');
    const clientRoot = pki.root('Client-only Root', { section: pki.section('root_client_only', `basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign\nsubjectKeyIdentifier = hash\nextendedKeyUsage = clientAuth`) });
    const intUnder = pki.issue('Int Under Client Root', clientRoot, 'ca');
    const leaf2 = leafWith('under-client-only-root', intUnder, 'DNS:localhost');
    expect(agreed({ leaf: leaf2, chain: [intUnder], ca: [clientRoot] })).toBe('unsupported_certificate');
  });

  it('anyExtendedKeyUsage alone does not allow serverAuth, as in OpenSSL', () => {
    const anyEku = pki.issue('any-eku', int, pki.section('leaf_any', `basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = anyExtendedKeyUsage\nsubjectAltName = DNS:localhost`));
    expect(agreed({ leaf: anyEku, chain: [int], ca: [root] })).toBe('unsupported_certificate');
  });
});

describe('explicit elliptic-curve parameters (RFC 5480 2.1.1)', () => {
  it('a leaf whose P-256 key carries the curve written out instead of its name → bad_certificate', () => {
    const explicit = leafWith('explicit-leaf', int, 'DNS:localhost', { key: 'p256-explicit' });
    expect(agreed({ leaf: explicit, chain: [int], ca: [root] })).toBe('bad_certificate');
  });
});

describe('path building', () => {
  it('ca holding an expired copy of the root before the valid one (same name and key): ok', () => {
    const valid = pki.root('Rolled Root', { keyFile: pki.newKey('rolled.key') });
    const expired = pki.root('Rolled Root old', {
      keyFile: 'rolled.key',
      subject: '/O=dtls-kit tests/CN=Rolled Root',
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - 30 * DAY),
    });
    const sub = pki.issue('Under Rolled', valid, 'ca');
    const leaf = leafWith('under-rolled', sub, 'DNS:localhost');
    expect(agreed({ leaf, chain: [sub], ca: [expired, valid] })).toBe('ok');
    expect(agreed({ leaf, chain: [sub], ca: [valid, expired] })).toBe('ok');
    expect(agreed({ leaf, chain: [sub], ca: [expired] })).toBe('certificate_expired');
  });

  it('a path of 12 certificates (10 intermediates) that OpenSSL accepts', () => {
    const chain: Issued[] = [];
    let issuer = root;
    for (let i = 0; i < 10; i++) {
      issuer = pki.issue(`Deep Int ${i}`, issuer, 'ca');
      chain.unshift(issuer);
    }
    const leaf = leafWith('deep-leaf', issuer, 'DNS:localhost');
    expect(agreed({ leaf, chain, ca: [root], host: 'localhost' })).toBe('ok');
    // The peer may send them in any order.
    expect(agreed({ leaf, chain: [...chain].reverse(), ca: [root] })).toBe('ok');
  });
});

describe('bounds on the work a hostile chain causes', () => {
  it('a mesh of same-name certificates that all sign each other ends within the search bounds', () => {
    pki.newKey('mesh.key');
    const mesh = Array.from({ length: 8 }, (_, i) => pki.root(`Mesh ${i}`, { keyFile: 'mesh.key', subject: '/O=dtls-kit tests/CN=Mesh' }));
    const leaf = leafWith('under-mesh', mesh[0] ?? root, 'DNS:localhost');
    const started = performance.now();
    let message = '';
    try {
      validateChain([leaf.der, ...mesh.map((m) => m.der)], { ca: [root.der], peerRole: 'server' });
    } catch (err) {
      message = err instanceof DtlsError ? `${alertName(err.alert)} ${err.message}` : String(err);
    }
    const ms = performance.now() - started;
    console.log(`mesh of 8 same-name certificates: refused in ${ms.toFixed(1)} ms`);
    expect(message).toContain('unknown_ca');
    expect(message).toContain('search bounds');
    expect(ms).toBeLessThan(2000);
  });

  it('too many names × name constraints: refused, as OpenSSL (NAME_CHECK_MAX)', () => {
    const subtrees = Array.from({ length: 1100 }, (_, i) => `permitted;DNS:d${i}.example.com`).join(', ');
    const wide = pki.issue('Wide NC CA', root, pki.section('nc_wide', `${CA}\nnameConstraints = ${subtrees}`));
    const names = Array.from({ length: 1000 }, (_, i) => `DNS:h${i}.d${i}.example.com`).join(', ');
    const many = leafWith('many-names', wide, names);
    const started = performance.now();
    expect(agreed({ leaf: many, chain: [wide], ca: [root] })).toBe('bad_certificate');
    console.log(`1000 names under 1100 subtrees: refused in ${(performance.now() - started).toFixed(1)} ms (openssl verify included)`);
  });
});
