/**
 * Signature schemes against real peers: the scheme is negotiated from the peer's
 * signature_algorithms, never fixed. The peer narrows its list (s_client -sigalgs, gnutls
 * priority %SIGN-*), we narrow ours (the `sigalgs` option), and each side must sign with
 * what the other accepts: ServerKeyExchange (our server, our client verifying) and
 * CertificateVerify (client certificates). Also the key types beyond P-256 and RSA-2048
 * that the peers support in DTLS 1.2: ECDSA P-384 and Ed25519 (RFC 8422).
 *
 * A missing peer binary fails these tests: it never skips them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gnutlsPriorityForSuite,
  requireInteropPeers,
  runGnutlsClient,
  runOpensslClient,
  startGnutlsServer,
  startOpensslServer,
} from '@dtls-kit/test-kit';
import { createCA, createCertificate, describeCertificate, x509Client, x509Server, type GeneratedCertificate } from '../../src/index.js';
import { Scratch } from '../openssl.js';
import { connectOurClient, startOurServer } from './our-side.js';
import { makeInteropPki, type InteropPki } from './pki.js';

/** How s_client prints a scheme in its "Requested Signature Algorithms" line. */
const OPENSSL_SIGALG_NAMES = { rsa_pkcs1_sha512: 'RSA+SHA512', rsa_pss_rsae_sha256: 'RSA-PSS+SHA256', ecdsa_secp256r1_sha256: 'ECDSA+SHA256' } as const;

const ECDSA_SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';
const RSA_SUITE = 'ECDHE-RSA-AES128-GCM-SHA256';

let pki: InteropPki;
let scratch: Scratch;
let root: GeneratedCertificate;
let rootFile: string;
/** Server certificates (localhost) from `root`, by key type, with PEM files. */
const servers: Record<'p384' | 'ed25519', GeneratedCertificate & { certFile: string; keyFile: string }> = {} as never;

beforeAll(async () => {
  requireInteropPeers();
  pki = await makeInteropPki();
  scratch = new Scratch();
  root = await createCA({ commonName: 'dtls-kit sigalgs root' });
  rootFile = scratch.write('root.pem', root.cert);
  for (const [name, keyType] of [
    ['p384', 'ecdsa-p384'],
    ['ed25519', 'ed25519'],
  ] as const) {
    const made = await createCertificate({ ca: root, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server', keyType });
    servers[name] = { ...made, certFile: scratch.write(`${name}.pem`, made.cert), keyFile: scratch.write(`${name}.key`, made.key) };
  }
}, 60_000);

afterAll(() => {
  pki?.remove();
  scratch?.remove();
});

const messages = ['one', 'two'];

describe.concurrent('signature schemes with openssl s_client -> our server', () => {
  // s_client prints the scheme the server signed its ServerKeyExchange with.
  const cases = [
    { sigalgs: 'RSA+SHA256', type: 'RSA', digest: 'SHA256' },
    { sigalgs: 'RSA+SHA384', type: 'RSA', digest: 'SHA384' },
    { sigalgs: 'RSA+SHA512', type: 'RSA', digest: 'SHA512' },
    { sigalgs: 'rsa_pss_rsae_sha384', type: 'RSA-PSS', digest: 'SHA384' },
    { sigalgs: 'rsa_pss_rsae_sha512', type: 'RSA-PSS', digest: 'SHA512' },
  ];
  for (const c of cases) {
    it(`RSA server, s_client -sigalgs ${c.sigalgs}: ServerKeyExchange signed ${c.type} ${c.digest}`, async () => {
      const ours = await startOurServer({ suite: RSA_SUITE, x509: x509Server({ key: pki.rsa.server.keyPem, cert: pki.rsa.server.chainPem }) });
      try {
        const client = await runOpensslClient({
          port: ours.port,
          cipher: RSA_SUITE,
          caFile: pki.rsa.caFile,
          verifyHostname: 'localhost',
          messages,
          extraArgs: ['-sigalgs', c.sigalgs],
        });
        const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
        expect(client.echoed, why).toBe(true);
        expect(client.code, why).toBe(0);
        expect(client.stdout, why).toContain(`Peer signature type: ${c.type}\n`);
        expect(client.stdout, why).toContain(`Peer signing digest: ${c.digest}\n`);
      } finally {
        await ours.stop();
      }
    });
  }

  it('P-384 server, s_client -sigalgs ECDSA+SHA256: we sign with P-384 over SHA-256 (TLS 1.2 binds no curve)', async () => {
    const s = servers.p384;
    const ours = await startOurServer({ suite: ECDSA_SUITE, x509: x509Server({ key: s.key, cert: s.cert }) });
    try {
      const client = await runOpensslClient({ port: ours.port, cipher: ECDSA_SUITE, caFile: rootFile, verifyHostname: 'localhost', messages, extraArgs: ['-sigalgs', 'ECDSA+SHA256'] });
      const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
      expect(client.echoed, why).toBe(true);
      expect(client.code, why).toBe(0);
      expect(client.stdout, why).toContain('Peer signature type: ECDSA\n');
      expect(client.stdout, why).toContain('Peer signing digest: SHA256\n');
    } finally {
      await ours.stop();
    }
  });

  // Our server signs and accepts only one scheme (sigalgs): its CertificateRequest lists only
  // that one, so s_client's CertificateVerify must use it, and its ServerKeyExchange is so signed.
  for (const [scheme, kind] of [
    ['rsa_pkcs1_sha512', 'rsa'],
    ['rsa_pss_rsae_sha256', 'rsa'],
    ['ecdsa_secp256r1_sha256', 'ecdsa'],
  ] as const) {
    it(`client certificate, our server accepts only ${scheme}: s_client's CertificateVerify uses it`, async () => {
      const h = pki[kind];
      const suite = kind === 'rsa' ? RSA_SUITE : ECDSA_SUITE;
      const ours = await startOurServer({
        suite,
        x509: x509Server({ key: h.server.keyPem, cert: h.server.chainPem, ca: h.caPem, requestCert: true, sigalgs: scheme }),
      });
      try {
        const client = await runOpensslClient({
          port: ours.port,
          cipher: suite,
          caFile: h.caFile,
          cert: h.client.leafFile,
          key: h.client.keyFile,
          messages,
          extraArgs: h.client.intermediatesFile ? ['-cert_chain', h.client.intermediatesFile] : [],
        });
        const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
        expect(client.echoed, why).toBe(true);
        expect(client.code, why).toBe(0);
        expect(ours.sessions[0]?.authorized, why).toBe(true);
        expect(client.stdout, why).toContain(`Requested Signature Algorithms: ${OPENSSL_SIGALG_NAMES[scheme]}\n`);
        expect(describeCertificate(ours.sessions[0]!.peerCertificates[0]!).fingerprint256, why).toBe(h.client.fingerprint256);
      } finally {
        await ours.stop();
      }
    });
  }
});

describe.concurrent('key types beyond P-256 and RSA-2048', () => {
  for (const name of ['p384', 'ed25519'] as const) {
    // OpenSSL 3.0 serves no Ed25519 certificate in DTLS 1.2 (it enables them for TLS 1.2 only:
    // even s_client -> s_server ends in "no shared cipher"); gnutls-serv covers that cell.
    if (name === 'p384') it(`${name} server certificate: our client -> openssl s_server`, async () => {
      const s = servers[name];
      const server = await startOpensslServer({ cipher: ECDSA_SUITE, cert: s.certFile, key: s.keyFile });
      try {
        const client = await connectOurClient({ port: server.port, suite: ECDSA_SUITE, servername: 'localhost', x509: x509Client({ ca: root.cert }) });
        try {
          const why = `${client.describeEvents()}\n${server.commandLine}\n${server.output()}`;
          expect(client.established, why).toBe(true);
          expect(client.connection.authorized, why).toBe(true);
          expect(describeCertificate(client.connection.peerCertificates[0]!).publicKeyType, why).toBe(name === 'p384' ? 'ec secp384r1' : 'ed25519');
          expect(await client.exchange(messages.map((m) => `${m}\n`)), why).toBe('one\ntwo\n');
        } finally {
          await client.close();
        }
      } finally {
        await server.stop();
      }
    });

    it(`${name} server certificate: openssl s_client -> our server`, async () => {
      const s = servers[name];
      const ours = await startOurServer({ suite: ECDSA_SUITE, x509: x509Server({ key: s.key, cert: s.cert }) });
      try {
        const client = await runOpensslClient({ port: ours.port, cipher: ECDSA_SUITE, caFile: rootFile, verifyHostname: 'localhost', messages });
        const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
        expect(client.echoed, why).toBe(true);
        expect(client.code, why).toBe(0);
        expect(client.stdout, why).toContain(name === 'p384' ? 'Peer signing digest: SHA384' : 'Peer signature type: ed25519');
      } finally {
        await ours.stop();
      }
    });

    it(`${name} server certificate: our client -> gnutls-serv`, async () => {
      const s = servers[name];
      const server = await startGnutlsServer({ priority: gnutlsPriorityForSuite(ECDSA_SUITE), cert: s.certFile, key: s.keyFile, extraArgs: ['--disable-client-cert'] });
      try {
        const client = await connectOurClient({ port: server.port, suite: ECDSA_SUITE, servername: 'localhost', x509: x509Client({ ca: root.cert }) });
        try {
          const why = `${client.describeEvents()}\n${server.commandLine}\n${server.output()}`;
          expect(client.established, why).toBe(true);
          expect(client.connection.authorized, why).toBe(true);
          expect(await client.exchange(messages), why).toBe('onetwo');
        } finally {
          await client.close();
        }
      } finally {
        await server.stop();
      }
    });

    it(`${name} server certificate: gnutls-cli -> our server`, async () => {
      const s = servers[name];
      const ours = await startOurServer({ suite: ECDSA_SUITE, x509: x509Server({ key: s.key, cert: s.cert }) });
      try {
        const client = await runGnutlsClient({
          port: ours.port,
          priority: gnutlsPriorityForSuite(ECDSA_SUITE),
          caFile: rootFile,
          verifyHostname: 'localhost',
          messages,
        });
        const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
        expect(client.echoed, why).toBe(true);
        expect(client.code, why).toBe(0);
        expect(client.stdout, why).toContain('The certificate is trusted');
        expect(client.description, why).toContain(name === 'p384' ? '-(ECDSA-SHA384)-' : '-(EdDSA-Ed25519)-');
      } finally {
        await ours.stop();
      }
    });
  }
});
