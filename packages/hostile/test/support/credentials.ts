/**
 * The credentials every hostile test uses: one PSK, and a certificate chain made by our own
 * createCA/createCertificate (root -> intermediate -> server leaf, SANs localhost and
 * 127.0.0.1), written to a scratch directory for the OpenSSL command lines. The server sends
 * leaf + intermediate; clients trust the root only, so they verify a real chain.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pskClient, pskServer } from '@dtls-kit/psk';
import { createCA, createCertificate, x509Client, x509Server } from '@dtls-kit/x509';

export const PSK_KEY = '000102030405060708090a0b0c0d0e0f';
export const PSK_IDENTITY = 'Client_identity';
export const PSK_SUITE = 'PSK-AES128-GCM-SHA256';
export const CERT_SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';

export type AuthKind = 'psk' | 'x509';

export const serverPsk = (): ReturnType<typeof pskServer> => pskServer({ keys: { [PSK_IDENTITY]: PSK_KEY } });
export const clientPsk = (): ReturnType<typeof pskClient> => pskClient({ identity: PSK_IDENTITY, key: PSK_KEY });

export interface Pki {
  readonly dir: string;
  readonly rootPem: string;
  /** Leaf then intermediate (what the server sends). */
  readonly chainPem: string;
  readonly keyPem: string;
  readonly rootFile: string;
  readonly leafFile: string;
  readonly intermediateFile: string;
  readonly keyFile: string;
  remove(): void;
}

export async function makePki(): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'dtls-hostile-'));
  const root = await createCA({ commonName: 'dtls-kit hostile root' });
  const intermediate = await createCA({ commonName: 'dtls-kit hostile intermediate', issuer: root, pathLength: 0 });
  const leaf = await createCertificate({ ca: intermediate, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  return {
    dir,
    rootPem: root.cert,
    chainPem: leaf.cert + intermediate.cert,
    keyPem: leaf.key,
    rootFile: write('root.pem', root.cert),
    leafFile: write('leaf.pem', leaf.cert),
    intermediateFile: write('intermediate.pem', intermediate.cert),
    keyFile: write('leaf.key', leaf.key),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Engine credentials for our server of the given kind. */
export function serverCredentials(kind: AuthKind, pki: Pki): { psk: ReturnType<typeof pskServer> } | { x509: ReturnType<typeof x509Server> } {
  return kind === 'psk' ? { psk: serverPsk() } : { x509: x509Server({ key: pki.keyPem, cert: pki.chainPem }) };
}

/** Engine credentials for our client: the x509 client trusts the root only and checks 127.0.0.1. */
export function clientCredentials(kind: AuthKind, pki: Pki): { psk: ReturnType<typeof pskClient> } | { x509: ReturnType<typeof x509Client> } {
  return kind === 'psk' ? { psk: clientPsk() } : { x509: x509Client({ ca: pki.rootPem }) };
}

export const suiteOf = (kind: AuthKind): string => (kind === 'psk' ? PSK_SUITE : CERT_SUITE);
