/**
 * peerCertificate() against the outside reference: node:tls itself. A TLS server on loopback sends
 * the same chain; what node's client `getPeerCertificate(detailed)` returns and what we build from
 * the DER must agree field by field, issuer links included. Certificates come from the openssl CLI.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type DetailedPeerCertificate as NodeDetailed } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerCertificate, peerX509Certificate, type DetailedPeerCertificate } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-peercert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore', timeout: 30_000 });
};
const pem = (name: string): string => readFileSync(join(dir, name), 'utf8');
const der = (name: string): Uint8Array => new Uint8Array(new X509Certificate(pem(name)).raw);

beforeAll(() => {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  // A self-signed EC certificate with a repeated RDN field (node shows it as an array).
  openssl('req', '-x509', ...ec, '-keyout', 'self.key', '-out', 'self.pem', '-days', '30', '-subj', '/C=UK/O=Acme/OU=one/OU=two/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  // root -> intermediate (EC) -> RSA leaf with a few SAN kinds and extended key usage.
  openssl('req', '-x509', ...ec, '-keyout', 'root.key', '-out', 'root.pem', '-days', '30', '-subj', '/CN=Test Root');
  openssl('req', ...ec, '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/O=Acme/CN=Test Intermediate');
  writeFileSync(join(dir, 'int.ext'), 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign\n');
  openssl('x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', '7', '-out', 'int.pem', '-days', '30', '-extfile', 'int.ext');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/C=DE/ST=Berlin/O=Acme/CN=localhost');
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,email:ops@example.com\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.pem', '-CAkey', 'int.key', '-set_serial', '0x01020304', '-out', 'leaf.pem', '-days', '30', '-extfile', 'leaf.ext');
}, 60_000);

/** What node:tls's client says of a server that sends `certs` (PEM names, in that order). */
async function nodeSees(key: string, certs: readonly string[], detailed: boolean): Promise<NodeDetailed> {
  const server = createServer({ key: pem(key), cert: certs.map(pem).join('') }, (s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  try {
    return await new Promise<NodeDetailed>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: address.port, rejectUnauthorized: false }, () => {
        // @types/node types the two overloads apart; at run time both are the same object shape.
        const cert = detailed ? socket.getPeerCertificate(true) : socket.getPeerCertificate(false);
        socket.destroy();
        resolve(cert as NodeDetailed);
      });
      socket.on('error', reject);
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** One certificate object, without its issuer link, as plain data (Buffers as hex) for a field-by-field compare. */
function fields(cert: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cert)) {
    if (k === 'issuerCertificate') continue;
    out[k] = Buffer.isBuffer(v) ? `buffer:${v.toString('hex')}` : typeof v === 'object' && v !== null ? { ...v } : v;
  }
  return out;
}

/** The issuer chain as a list, and where it ends: 'loop' (a certificate that is its own issuer) or 'end'. */
function walk(cert: DetailedPeerCertificate | NodeDetailed): { chain: Record<string, unknown>[]; ending: 'loop' | 'end' } {
  const chain: Record<string, unknown>[] = [];
  const seen = new Set<object>();
  let at: DetailedPeerCertificate | NodeDetailed | undefined = cert;
  while (at !== undefined && !seen.has(at)) {
    seen.add(at);
    chain.push(fields(at));
    // node's typings say always present; node leaves it out when the issuer is unknown.
    const next: DetailedPeerCertificate | NodeDetailed | undefined = Object.hasOwn(at, 'issuerCertificate') ? at.issuerCertificate : undefined;
    if (next === at) return { chain, ending: 'loop' };
    at = next;
  }
  return { chain, ending: 'end' };
}

describe('peerCertificate (node:tls getPeerCertificate from DER)', () => {
  // `nodeStopsEarly`: node's issuer search (AddIssuerChainToObject in src/crypto) ends its loop
  // when the issuer it just linked was the last certificate left to search, so a root sent before
  // the intermediate is never linked. We link it: node's own documentation says each certificate
  // carries its issuer's; node's links must be a prefix of ours.
  const cases: Array<{ name: string; key: string; sent: string[]; nodeStopsEarly?: true }> = [
    { name: 'a self-signed EC certificate with a repeated OU', key: 'self.key', sent: ['self.pem'] },
    { name: 'an RSA leaf, intermediate and root', key: 'leaf.key', sent: ['leaf.pem', 'int.pem', 'root.pem'] },
    { name: 'a chain without its root (the links end at the intermediate)', key: 'leaf.key', sent: ['leaf.pem', 'int.pem'] },
    { name: 'a chain sent out of order (root before intermediate)', key: 'leaf.key', sent: ['leaf.pem', 'root.pem', 'int.pem'], nodeStopsEarly: true },
    { name: 'a leaf alone', key: 'leaf.key', sent: ['leaf.pem'] },
  ];
  for (const { name, key, sent, nodeStopsEarly } of cases) {
    it(`matches node:tls field by field for ${name}`, async () => {
      const chain = sent.map(der);
      const theirs = await nodeSees(key, sent, false);
      const ours = peerCertificate(chain);
      expect(ours).toBeDefined();
      if (ours === undefined) return;
      expect(Object.keys(ours)).toEqual(Object.keys(theirs));
      expect(fields(ours)).toEqual(fields(theirs));
      expect(Buffer.isBuffer(ours.raw)).toBe(true);
      expect(Object.hasOwn(ours, 'issuerCertificate')).toBe(false);

      const theirsDetailed = await nodeSees(key, sent, true);
      const oursDetailed = peerCertificate(chain, true);
      if (oursDetailed === undefined) throw new Error('no certificate');
      const a = walk(oursDetailed);
      const b = walk(theirsDetailed);
      console.log(`${name}: ${b.chain.map((c) => JSON.stringify(c['subject'])).join(' -> ')} (${b.ending})`);
      if (nodeStopsEarly) {
        expect(b.ending).toBe('end');
        expect(a.chain.slice(0, b.chain.length)).toEqual(b.chain);
        expect(a.chain.map((c) => c['subject'])).toEqual([{ C: 'DE', ST: 'Berlin', O: 'Acme', CN: 'localhost' }, { O: 'Acme', CN: 'Test Intermediate' }, { CN: 'Test Root' }]);
        expect(a.ending).toBe('loop');
        return;
      }
      expect(a.ending).toBe(b.ending);
      expect(a.chain).toEqual(b.chain);
    });
  }

  it('spells out what node spells: names, SAN, dates, fingerprints, serial, key', () => {
    const leaf = peerCertificate([der('leaf.pem')]);
    if (leaf === undefined) throw new Error('no certificate');
    expect({ ...leaf.subject }).toEqual({ C: 'DE', ST: 'Berlin', O: 'Acme', CN: 'localhost' });
    expect({ ...leaf.issuer }).toEqual({ O: 'Acme', CN: 'Test Intermediate' });
    expect(leaf.subjectaltname).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, email:ops@example.com');
    expect(leaf.serialNumber).toBe('01020304');
    expect(leaf.valid_from).toMatch(/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT$/);
    expect(leaf.fingerprint256).toBe(new X509Certificate(pem('leaf.pem')).fingerprint256);
    expect(leaf.fingerprint512).toMatch(/^([0-9A-F]{2}:){63}[0-9A-F]{2}$/);
    expect(leaf.bits).toBe(2048);
    expect(leaf.pubkey?.length).toBeGreaterThan(256);
    const self = peerCertificate([der('self.pem')]);
    expect(self?.subject.OU).toEqual(['one', 'two']);
  });

  it('is undefined without a certificate; peerX509Certificate gives node’s X509Certificate of the leaf', () => {
    expect(peerCertificate([])).toBeUndefined();
    expect(peerCertificate([], true)).toBeUndefined();
    expect(peerX509Certificate([])).toBeUndefined();
    const x509 = peerX509Certificate([der('leaf.pem'), der('int.pem')]);
    expect(x509).toBeInstanceOf(X509Certificate);
    expect(x509?.subject).toBe('C=DE\nST=Berlin\nO=Acme\nCN=localhost');
    expect(x509?.checkIssued(new X509Certificate(pem('int.pem')))).toBe(true);
  });
});
