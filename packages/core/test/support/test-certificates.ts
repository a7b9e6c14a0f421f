/**
 * Test-only certificate credentials for the engine tests, on node:crypto (the real ones are
 * @dtls-kit/x509's business; core must not depend on it).
 *
 * The certificates come from the `openssl` CLI — something we did not write — made once per
 * test process into a temp dir (removed on exit): for ECDSA P-256 and for RSA-2048, a root CA,
 * an intermediate CA, a server leaf (serverAuth, subjectAltName DNS:localhost, IP:127.0.0.1)
 * and a client leaf (clientAuth), both issued by the intermediate. We send leaf, intermediate
 * and root (RFC 5246 7.4.2 allows the root): about 1.4 KB for ECDSA, 2.6 KB for RSA, so the
 * Certificate message is fragmented at MTU 200 (and even at 1200).
 *
 * The verifier is deliberately small: each certificate must be issued and signed by the next
 * one, the last by a trusted root; every certificate after the leaf must be a CA; the server's
 * leaf must match `servername`. No dates, key usages or path lengths (the x509 package does those).
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, type KeyObject, sign as cryptoSign, verify as cryptoVerify, constants, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertDescription } from '../../src/alert.js';
import { DtlsError } from '../../src/errors.js';
import { SignatureScheme } from '../../src/handshake/extensions/signature-scheme.js';
import type {
  CertificateClientCredentials,
  CertificateServerCredentials,
  CertificateSigner,
  CertificateVerifier,
  PeerVerificationContext,
  PeerVerificationResult,
} from '../../src/key-exchange/certificate-credentials.js';

export type KeyKind = 'ecdsa' | 'rsa';

/** One PKI: root → intermediate → {server leaf, client leaf}. Chains are DER, leaf first. */
export interface TestPki {
  readonly kind: KeyKind;
  readonly root: X509Certificate;
  readonly serverChain: readonly Uint8Array[];
  readonly serverKey: KeyObject;
  readonly clientChain: readonly Uint8Array[];
  readonly clientKey: KeyObject;
}

/** What each kind of key signs with, in our preference order. */
export const SIGNER_SCHEMES: Record<KeyKind, readonly number[]> = {
  ecdsa: [SignatureScheme.ecdsa_secp256r1_sha256],
  rsa: [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pkcs1_sha256],
};

/** What our verifier accepts (signature_algorithms), in preference order. */
export const VERIFIER_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pkcs1_sha256,
];

/** How crypto.sign/verify do a scheme: the hash, and for RSA the padding (PSS salt = hash length, RFC 8446 4.2.3). */
function schemeParams(scheme: number): { hash: string; key: 'ec' | 'rsa'; pss?: number } {
  switch (scheme) {
    case SignatureScheme.ecdsa_secp256r1_sha256:
      return { hash: 'sha256', key: 'ec' };
    case SignatureScheme.rsa_pss_rsae_sha256:
      return { hash: 'sha256', key: 'rsa', pss: 32 };
    case SignatureScheme.rsa_pss_rsae_sha384:
      return { hash: 'sha384', key: 'rsa', pss: 48 };
    case SignatureScheme.rsa_pkcs1_sha256:
      return { hash: 'sha256', key: 'rsa' };
    default:
      throw new Error(`test credentials do not do signature scheme 0x${scheme.toString(16)}`);
  }
}

function keyOptions(key: KeyObject, pss: number | undefined) {
  return pss === undefined ? { key } : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss };
}

// ---------------------------------------------------------------------------------------------
// Generation with the openssl CLI

let generated: { ecdsa: TestPki; rsa: TestPki } | undefined;

/** Both PKIs, made on first use (once per test process). */
export function testPki(): { ecdsa: TestPki; rsa: TestPki } {
  if (!generated) {
    const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-test-pki-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    generated = { ecdsa: makePki(dir, 'ecdsa'), rsa: makePki(dir, 'rsa') };
  }
  return generated;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makePki(dir: string, kind: KeyKind): TestPki {
  const p = (name: string): string => `${kind}-${name}`;
  const keygen = kind === 'ecdsa' ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
  const extensions = {
    ca: ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid'],
    server: [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = DNS:localhost, IP:127.0.0.1',
    ],
    client: ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = clientAuth', 'subjectAltName = DNS:client.test'],
  };
  const sections = Object.entries(extensions).map(([name, lines]) => `[${name}]\n${lines.join('\n')}\n`);
  writeFileSync(join(dir, p('ext.cnf')), ['[req]\ndistinguished_name = dn\n[dn]\n', ...sections].join('\n'));
  for (const name of ['root', 'intermediate', 'server', 'client']) openssl(dir, 'genpkey', ...keygen, '-out', p(`${name}.key`));
  openssl(dir, 'req', '-x509', '-new', '-key', p('root.key'), '-subj', `/O=dtls-kit tests/CN=dtls-kit test root ${kind}`, '-days', '3', '-sha256',
    '-config', p('ext.cnf'), '-extensions', 'ca', '-out', p('root.pem'));
  let serial = 1;
  const issue = (name: string, subject: string, issuer: string, section: string): void => {
    openssl(dir, 'req', '-new', '-key', p(`${name}.key`), '-subj', subject, '-config', p('ext.cnf'), '-out', p(`${name}.csr`));
    openssl(dir, 'x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${issuer}.pem`), '-CAkey', p(`${issuer}.key`), '-set_serial', String(serial++),
      '-days', '2', '-sha256', '-extfile', p('ext.cnf'), '-extensions', section, '-out', p(`${name}.pem`));
  };
  issue('intermediate', `/O=dtls-kit tests/CN=dtls-kit test intermediate ${kind}`, 'root', 'ca');
  issue('server', '/O=dtls-kit tests/CN=localhost', 'intermediate', 'server');
  issue('client', `/O=dtls-kit tests/CN=dtls-kit test client ${kind}`, 'intermediate', 'client');
  const der = (name: string): Uint8Array => Uint8Array.from(new X509Certificate(readFileSync(join(dir, p(`${name}.pem`)))).raw);
  const key = (name: string): KeyObject => createPrivateKey(readFileSync(join(dir, p(`${name}.key`))));
  return {
    kind,
    root: new X509Certificate(readFileSync(join(dir, p('root.pem')))),
    serverChain: [der('server'), der('intermediate'), der('root')],
    serverKey: key('server'),
    clientChain: [der('client'), der('intermediate'), der('root')],
    clientKey: key('client'),
  };
}

// ---------------------------------------------------------------------------------------------
// Signer and verifier

export function certificateSigner(chain: readonly Uint8Array[], key: KeyObject, schemes?: readonly number[]): CertificateSigner {
  const kind: KeyKind = key.asymmetricKeyType === 'ec' ? 'ecdsa' : 'rsa';
  const signatureSchemes = schemes ?? SIGNER_SCHEMES[kind];
  return {
    chain,
    signatureSchemes,
    keyExchange: kind === 'ecdsa' ? 'ecdhe_ecdsa' : 'ecdhe_rsa',
    sign(scheme, data) {
      if (!signatureSchemes.includes(scheme)) throw new Error(`asked to sign with scheme 0x${scheme.toString(16)}, which this key does not offer`);
      const { hash, pss } = schemeParams(scheme);
      return Uint8Array.from(cryptoSign(hash, data, keyOptions(key, pss)));
    },
  };
}

export function certificateVerifier(trusted: readonly X509Certificate[], schemes: readonly number[] = VERIFIER_SCHEMES): CertificateVerifier {
  return {
    signatureSchemes: schemes,
    authorities: [],
    verifyChain(chain: readonly Uint8Array[], context: PeerVerificationContext): void {
      if (chain.length === 0) throw new DtlsError(AlertDescription.bad_certificate, 'no certificate');
      let certs: X509Certificate[];
      try {
        certs = chain.map((d) => new X509Certificate(d));
      } catch (err) {
        throw new DtlsError(AlertDescription.bad_certificate, `unparsable certificate: ${(err as Error).message}`);
      }
      for (let i = 0; i + 1 < certs.length; i++) {
        const cert = certs[i] as X509Certificate;
        const issuer = certs[i + 1] as X509Certificate;
        if (!issuer.ca || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
          throw new DtlsError(AlertDescription.bad_certificate, `certificate ${i} is not issued by certificate ${i + 1}`);
        }
      }
      const last = certs[certs.length - 1] as X509Certificate;
      if (!trusted.some((root) => last.checkIssued(root) && last.verify(root.publicKey))) {
        throw new DtlsError(AlertDescription.unknown_ca, `the chain does not lead to a trusted root (ends at ${last.subject.replace(/\n/g, ', ')})`);
      }
      const name = context.servername;
      if (context.peerRole === 'server' && name !== undefined) {
        const leaf = certs[0] as X509Certificate;
        const ok = /^[\d.]+$|:/.test(name) ? leaf.checkIP(name) !== undefined : leaf.checkHost(name) !== undefined;
        if (!ok) throw new DtlsError(AlertDescription.bad_certificate, `the server certificate is not for ${name}`);
      }
    },
    verifySignature(leaf, scheme, data, signature) {
      try {
        const { hash, key, pss } = schemeParams(scheme);
        const publicKey = new X509Certificate(leaf).publicKey;
        if (publicKey.asymmetricKeyType !== key) return false;
        if (key === 'ec' && publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return false;
        return cryptoVerify(hash, data, keyOptions(publicKey, pss), signature);
      } catch {
        return false;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Credentials as the engine takes them

export interface ServerX509Options {
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  /** Roots trusted for client certificates (default: both test roots). */
  trust?: readonly X509Certificate[];
  signer?: CertificateSigner;
  verifier?: CertificateVerifier;
}

export function serverX509(kind: KeyKind, o: ServerX509Options = {}): CertificateServerCredentials {
  const pki = testPki()[kind];
  return {
    type: 'x509',
    signer: o.signer ?? certificateSigner(pki.serverChain, pki.serverKey),
    requestCert: o.requestCert ?? false,
    rejectUnauthorized: o.rejectUnauthorized ?? true,
    verifier: o.verifier ?? certificateVerifier(o.trust ?? [testPki().ecdsa.root, testPki().rsa.root]),
  };
}

export interface ClientX509Options {
  /** Our own certificate of this kind, for a server that asks (default: none). */
  cert?: KeyKind;
  /** Roots trusted for the server (default: both test roots). */
  trust?: readonly X509Certificate[];
  signer?: CertificateSigner;
  verifier?: CertificateVerifier;
}

export function clientX509(o: ClientX509Options = {}): CertificateClientCredentials {
  const pki = testPki();
  const mine = o.cert === undefined ? undefined : pki[o.cert];
  return {
    type: 'x509',
    signer: o.signer ?? (mine && certificateSigner(mine.clientChain, mine.clientKey)),
    verifier: o.verifier ?? certificateVerifier(o.trust ?? [pki.ecdsa.root, pki.rsa.root]),
  };
}

/** The same signer, answering through a Promise made by `defer` (e.g. a virtual-time delay). */
export function asyncSigner(signer: CertificateSigner, defer: <T>(value: () => T) => Promise<T>): CertificateSigner {
  return { ...signer, sign: (scheme, data) => defer(() => signer.sign(scheme, data) as Uint8Array) };
}

/** The same verifier, answering every call through a Promise made by `defer`. */
export function asyncVerifier(verifier: CertificateVerifier, defer: <T>(value: () => T) => Promise<T>): CertificateVerifier {
  return {
    ...verifier,
    verifyChain: (chain, context) => defer(() => verifier.verifyChain(chain, context) as void | PeerVerificationResult),
    verifySignature: (leaf, scheme, data, signature) => defer(() => verifier.verifySignature(leaf, scheme, data, signature) as boolean),
  };
}
