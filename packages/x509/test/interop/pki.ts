/**
 * The certificates of the interop tests, made fresh for each run and written to a scratch
 * directory for the peer command lines:
 *
 * - ECDSA P-256, made by our own createCA/createCertificate: a root, an intermediate, and a
 *   server and a client certificate issued by the intermediate. Both sides send leaf +
 *   intermediate, so the Certificate messages are large enough to be fragmented at MTU 300.
 * - RSA-2048, made by `openssl req`/`openssl x509 -req` (certificates we did not make): a root
 *   and a server certificate; the RSA client certificate is made by our createCertificate
 *   from that OpenSSL root and its key (`ca` may be a CA made by openssl).
 * - For the negative cases: a server certificate from a root nobody trusts, and an expired
 *   server certificate from the ECDSA intermediate.
 *
 * Server certificates carry subjectAltName DNS:localhost, IP:127.0.0.1 (peers.md).
 */
import { X509Certificate } from 'node:crypto';
import { createCA, createCertificate, type GeneratedCertificate } from '../../src/index.js';
import { Scratch } from '../openssl.js';
import { OpenSslPki } from '../pki.js';

export type KeyKind = 'ecdsa' | 'rsa';

/** A certificate and key as PEM strings and files, with what a peer should see of it. */
export interface Identity {
  /** PEM: the leaf only. */
  readonly leafPem: string;
  /** PEM: the leaf, then its intermediates (what this identity sends). */
  readonly chainPem: string;
  readonly keyPem: string;
  /** Files: the leaf alone, the leaf + intermediates, the intermediates alone (undefined if none), the key. */
  readonly leafFile: string;
  readonly chainFile: string;
  readonly intermediatesFile: string | undefined;
  readonly keyFile: string;
  /** How many certificates this identity sends. */
  readonly chainLength: number;
  /** node's view of the leaf, to compare our describeCertificate against. */
  readonly fingerprint256: string;
  /** SHA-256 fingerprints of what this identity sends: the leaf, then its intermediates. */
  readonly chainFingerprints: readonly string[];
  readonly subject: string;
}

export interface Hierarchy {
  /** The trust anchor (the root), PEM and file. */
  readonly caPem: string;
  readonly caFile: string;
  readonly caFingerprint: string;
  readonly server: Identity;
  readonly client: Identity;
}

export interface InteropPki {
  readonly dir: string;
  readonly ecdsa: Hierarchy;
  readonly rsa: Hierarchy;
  /** An ECDSA server certificate from a root no test trusts (SANs localhost, 127.0.0.1). */
  readonly untrustedServer: Identity;
  /** An expired ECDSA server certificate issued by the ECDSA intermediate. */
  readonly expiredServer: Identity;
  remove(): void;
}

const SERVER_NAMES = ['localhost', '127.0.0.1'];

function identity(scratch: Scratch, name: string, leaf: GeneratedCertificate, intermediates: readonly string[]): Identity {
  const chainPem = leaf.cert + intermediates.join('');
  const node = new X509Certificate(leaf.cert);
  return {
    leafPem: leaf.cert,
    chainPem,
    keyPem: leaf.key,
    leafFile: scratch.write(`${name}.leaf.pem`, leaf.cert),
    chainFile: scratch.write(`${name}.chain.pem`, chainPem),
    intermediatesFile: intermediates.length > 0 ? scratch.write(`${name}.intermediates.pem`, intermediates.join('')) : undefined,
    keyFile: scratch.write(`${name}.key`, leaf.key),
    chainLength: 1 + intermediates.length,
    fingerprint256: node.fingerprint256,
    chainFingerprints: [node.fingerprint256, ...intermediates.map((pem) => new X509Certificate(pem).fingerprint256)],
    subject: node.subject,
  };
}

export async function makeInteropPki(): Promise<InteropPki> {
  const scratch = new Scratch();

  // ECDSA P-256, all ours: root -> intermediate -> leaves.
  const root = await createCA({ commonName: 'dtls-kit interop ECDSA root' });
  const intermediate = await createCA({ commonName: 'dtls-kit interop ECDSA intermediate', issuer: root, pathLength: 0 });
  const ecdsaServer = await createCertificate({ ca: intermediate, commonName: 'localhost', subjectAltNames: SERVER_NAMES, usage: 'server' });
  const ecdsaClient = await createCertificate({ ca: intermediate, commonName: 'dtls-kit interop client ECDSA', usage: 'client' });

  // RSA-2048 root and server certificate by the openssl command line.
  const openssl = new OpenSslPki(scratch);
  const rsaRoot = openssl.root('rsa-root', { key: 'rsa' });
  const rsaServer = openssl.issue('rsa-server', rsaRoot, 'server_rsa', { key: 'rsa' });
  const rsaRootCa: GeneratedCertificate = { cert: scratch.readText('rsa-root.pem'), key: scratch.readText('rsa-root.key') };
  const rsaClient = await createCertificate({ ca: rsaRootCa, commonName: 'dtls-kit interop client RSA', usage: 'client', keyType: 'rsa-2048' });

  // Negative cases.
  const otherRoot = await createCA({ commonName: 'dtls-kit interop untrusted root' });
  const untrusted = await createCertificate({ ca: otherRoot, commonName: 'localhost', subjectAltNames: SERVER_NAMES, usage: 'server' });
  const day = 86_400_000;
  const expired = await createCertificate({
    ca: intermediate,
    commonName: 'localhost',
    subjectAltNames: SERVER_NAMES,
    usage: 'server',
    notBefore: new Date(Date.now() - 30 * day),
    notAfter: new Date(Date.now() - day),
  });

  return {
    dir: scratch.dir,
    ecdsa: {
      caPem: root.cert,
      caFile: scratch.write('ecdsa-root.pem', root.cert),
      caFingerprint: new X509Certificate(root.cert).fingerprint256,
      server: identity(scratch, 'ecdsa-server', ecdsaServer, [intermediate.cert]),
      client: identity(scratch, 'ecdsa-client', ecdsaClient, [intermediate.cert]),
    },
    rsa: {
      caPem: rsaRootCa.cert,
      caFile: rsaRoot.certFile,
      caFingerprint: new X509Certificate(rsaRootCa.cert).fingerprint256,
      server: identity(scratch, 'rsa-server-made', { cert: scratch.readText(`${rsaServer.name}.pem`), key: scratch.readText(`${rsaServer.name}.key`) }, []),
      client: identity(scratch, 'rsa-client', rsaClient, []),
    },
    untrustedServer: identity(scratch, 'untrusted-server', untrusted, []),
    expiredServer: identity(scratch, 'expired-server', expired, [intermediate.cert]),
    remove: () => scratch.remove(),
  };
}
