/**
 * Raw public keys (RFC 7250) against GnuTLS 3.7 over UDP on 127.0.0.1, both roles, with ECDSA
 * P-256 and Ed25519 keys. OpenSSL 3.0 has no raw public keys (they came in OpenSSL 3.2), so
 * GnuTLS is the one peer here. The exact commands (PORT is a free port, files are written
 * in a temporary folder; gnutls-serv always does the cookie exchange):
 *
 *   gnutls-serv --udp -p PORT --noticket --priority PRIORITY --echo --require-client-cert \
 *     --rawpkkeyfile server.key --rawpkfile server.pub [-d 5]
 *   gnutls-cli --udp -p PORT --priority PRIORITY --insecure \
 *     --rawpkkeyfile client.key --rawpkfile client.pub 127.0.0.1
 *   PRIORITY = NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CTYPE-ALL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK
 *
 * `-CTYPE-ALL` first: with `+CTYPE-…-RAWPK` alone GnuTLS offers X.509 first and RawPublicKey
 * second in both extensions, and gnutls-serv then picks X.509 for the client, whose empty
 * Certificate ends the handshake ("No certificate was found").
 *
 * GnuTLS cannot pin raw keys: gnutls-cli checks a server's key only as an X.509 chain, fails
 * ("Could not verify certificate (err: The request is invalid.)") and goes on only with
 * --insecure (proved below), and gnutls-serv accepts any client key it can verify the
 * CertificateVerify with. So the pinning checks are ours, in both roles; GnuTLS proves the
 * wire format, the negotiation and the signatures.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertDescription, DtlsConnection, ServerEndpoint, type DtlsError } from '@dtls-kit/core';
import { connectInteropClient, requireInteropPeers, runGnutlsClient, startGnutlsServer, startInteropServer, waitUntil, type PeerServer } from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA, createCertificate, rpkClient, rpkServer, subjectPublicKeyInfo, type RpkClientOptions, type RpkServerCredentials } from '../../src/index.js';

const SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';
const RPK_PRIORITY = 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CTYPE-ALL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK';
/** Certificates only (GnuTLS's default: no certificate type extensions at all). */
const X509_PRIORITY = 'NORMAL:-VERS-ALL:+VERS-DTLS1.2';

type Kind = 'p256' | 'ed25519';
interface KeyFiles {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyFile: string;
  readonly publicKeyFile: string;
}

let dir: string;
const keys = new Map<string, KeyFiles>();
let caFile: string;
let caPem: string;
let serverCert: { cert: string; key: string; certFile: string; keyFile: string };

async function makeKey(name: string, kind: Kind): Promise<void> {
  const pair = kind === 'p256' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
  const keyFile = join(dir, `${name}.key`);
  const publicKeyFile = join(dir, `${name}.pub`);
  await writeFile(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(publicKeyFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  keys.set(name, { ...pair, keyFile, publicKeyFile });
}

function key(name: string): KeyFiles {
  const k = keys.get(name);
  if (k === undefined) throw new Error(`no key ${name}`);
  return k;
}

beforeAll(async () => {
  requireInteropPeers();
  dir = await mkdtemp(join(tmpdir(), 'dtls-kit-rpk-'));
  for (const kind of ['p256', 'ed25519'] as const) {
    await makeKey(`server-${kind}`, kind);
    await makeKey(`client-${kind}`, kind);
  }
  await makeKey('stranger', 'p256');
  const ca = await createCA({ commonName: 'rpk interop root' });
  const leaf = await createCertificate({ ca, commonName: 'localhost', usage: 'server', subjectAltNames: ['localhost', '127.0.0.1'] });
  caPem = ca.cert;
  caFile = join(dir, 'ca.crt');
  await writeFile(caFile, ca.cert);
  serverCert = { ...leaf, certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server-cert.key') };
  await writeFile(serverCert.certFile, leaf.cert);
  await writeFile(serverCert.keyFile, leaf.key, { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface RpkDetails {
  peerRawPublicKey: Uint8Array | undefined;
  peerCertificates: readonly Uint8Array[];
  authorized: boolean;
}

function startOurRpkServer(x509: RpkServerCredentials): ReturnType<typeof startInteropServer<DtlsConnection, DtlsError, RpkDetails>> {
  return startInteropServer(new ServerEndpoint({ x509, cipherSuites: SUITE }), {
    details: (c) => ({ peerRawPublicKey: c.peerRawPublicKey, peerCertificates: c.peerCertificates, authorized: c.authorized }),
  });
}

function connectOurRpkClient(port: number, options: RpkClientOptions): ReturnType<typeof connectInteropClient<DtlsConnection, DtlsError>> {
  return connectInteropClient(DtlsConnection.client({ x509: rpkClient(options), cipherSuites: SUITE, servername: 'localhost' }), { port });
}

function gnutlsServer(serverKey: string, extraArgs: readonly string[] = ['--require-client-cert']): Promise<PeerServer> {
  const k = key(serverKey);
  return startGnutlsServer({ priority: RPK_PRIORITY, rawPublicKey: { keyFile: k.keyFile, publicKeyFile: k.publicKeyFile }, extraArgs });
}

const spki = (k: KeyFiles): Uint8Array => subjectPublicKeyInfo(k.publicKey);

describe.concurrent('raw public keys: our client -> gnutls-serv', () => {
  for (const [serverKind, clientKind] of [
    ['p256', 'ed25519'],
    ['ed25519', 'p256'],
  ] as const) {
    it(`server ${serverKind}, client ${clientKind}: both send raw keys, ours pins the server's`, async () => {
      const server = await gnutlsServer(`server-${serverKind}`);
      try {
        const client = await connectOurRpkClient(server.port, { key: key(`client-${clientKind}`).privateKey, pinnedPublicKeys: key(`server-${serverKind}`).publicKey });
        try {
          const why = `${client.describeEvents()}\n${server.commandLine}\n${server.output()}`;
          expect(client.established, why).toBe(true);
          expect(await client.exchange(['raw key hello']), why).toBe('raw key hello');
          expect(client.connection.peerRawPublicKey, why).toEqual(spki(key(`server-${serverKind}`)));
          expect(client.connection.peerCertificates, why).toEqual([]);
          expect(client.connection.authorized, why).toBe(true);
          // gnutls-serv --require-client-cert asked (CertificateRequest, 13) and took our raw key
          // (Certificate, 11) and its CertificateVerify (15): its priority allows no client X.509.
          expect(client.tap.messages, why).toEqual(expect.arrayContaining(['in 13', 'out 11', 'out 15']));
        } finally {
          await client.close();
        }
      } finally {
        await server.stop();
      }
    });
  }

  it('our client refuses an unpinned gnutls-serv key: certificate_unknown, and gnutls-serv is told', async () => {
    const server = await gnutlsServer('server-p256', ['--disable-client-cert', '-d', '5']);
    try {
      const client = await connectOurRpkClient(server.port, { pinnedPublicKeys: key('stranger').publicKey });
      await client.close();
      const why = `${client.describeEvents()}\n${server.commandLine}\n${server.output()}`;
      expect(client.established, why).toBe(false);
      expect(client.closeError?.alert, why).toBe(AlertDescription.certificate_unknown);
      expect(client.closeError?.fromPeer, why).toBe(false);
      expect(await waitUntil(() => /Alert\[2\|46\]/.test(server.output()), 3000, 20), why).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('X.509 fallback: our raw-key client with ca takes the certificate of a gnutls-serv without RFC 7250', async () => {
    const server = await startGnutlsServer({ priority: X509_PRIORITY, cert: serverCert.certFile, key: serverCert.keyFile, extraArgs: ['--disable-client-cert'] });
    try {
      const client = await connectOurRpkClient(server.port, { pinnedPublicKeys: key('server-p256').publicKey, ca: caPem });
      try {
        const why = `${client.describeEvents()}\n${server.commandLine}\n${server.output()}`;
        expect(client.established, why).toBe(true);
        expect(await client.exchange(['fallback']), why).toBe('fallback');
        expect(client.connection.peerRawPublicKey, why).toBeUndefined();
        expect(client.connection.peerCertificates.length, why).toBe(1);
      } finally {
        await client.close();
      }
    } finally {
      await server.stop();
    }
  });
});

describe.concurrent('raw public keys: gnutls-cli -> our server', () => {
  for (const [serverKind, clientKind] of [
    ['p256', 'ed25519'],
    ['ed25519', 'p256'],
  ] as const) {
    it(`server ${serverKind}, client ${clientKind}: both send raw keys, ours pins the client's`, async () => {
      const ours = await startOurRpkServer(rpkServer({ key: key(`server-${serverKind}`).privateKey, pinnedPublicKeys: [key('stranger').publicKey, key(`client-${clientKind}`).publicKey] }));
      try {
        const c = key(`client-${clientKind}`);
        const client = await runGnutlsClient({
          port: ours.port,
          priority: RPK_PRIORITY,
          rawPublicKey: { keyFile: c.keyFile, publicKeyFile: c.publicKeyFile },
          messages: ['raw key hello'],
        });
        await ours.waitForClose();
        const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
        expect(client.code, why).toBe(0);
        expect(client.echoed, why).toBe(true);
        // GnuTLS's own account: one certificate type in the description, both sides raw keys.
        expect(client.stdout, why).toMatch(/- Description: \(DTLS1\.2-Raw Public Key\)-/);
        expect(client.stdout, why).toMatch(/Got 1 Raw public-key/);
        expect(client.stdout, why).toMatch(serverKind === 'p256' ? /PK algo: EC\/ECDSA/ : /PK algo: EdDSA \(Ed25519\)/);
        expect(client.stdout, why).toMatch(/Successfully sent 1 certificate\(s\) to server/);
        const [session] = ours.sessions;
        expect(session?.handshake, why).toBe(true);
        expect(session?.peerRawPublicKey, why).toEqual(spki(c));
        expect(session?.authorized, why).toBe(true);
      } finally {
        await ours.stop();
      }
    });
  }

  it('our server prefers a raw key when gnutls-cli lists X.509 first (priority without -CTYPE-ALL)', async () => {
    // NORMAL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK makes gnutls-cli offer [X.509, RawPublicKey] in both
    // extensions; our server has a certificate too, and still chooses the raw key both ways.
    const ours = await startOurRpkServer(rpkServer({ key: serverCert.key, cert: serverCert.cert, pinnedPublicKeys: key('client-p256').publicKey }));
    try {
      const c = key('client-p256');
      const client = await runGnutlsClient({
        port: ours.port,
        priority: 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK',
        rawPublicKey: { keyFile: c.keyFile, publicKeyFile: c.publicKeyFile },
        extraArgs: ['-d', '4'],
        messages: ['preferred'],
      });
      await ours.waitForClose();
      const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
      expect(client.echoed, why).toBe(true);
      expect(client.stderr, why).toMatch(/Server certificate type X\.509 \(0\) was queued[\s\S]*Server certificate type Raw Public Key \(2\) was queued/);
      expect(client.stdout, why).toMatch(/- Description: \(DTLS1\.2-Raw Public Key\)-/);
      expect(ours.sessions[0]?.peerRawPublicKey, why).toEqual(spki(c));
    } finally {
      await ours.stop();
    }
  });

  it('our server refuses an unpinned gnutls-cli key: certificate_unknown, and gnutls-cli is told', async () => {
    const ours = await startOurRpkServer(rpkServer({ key: key('server-p256').privateKey, pinnedPublicKeys: key('client-p256').publicKey }));
    try {
      const s = key('stranger');
      const client = await runGnutlsClient({
        port: ours.port,
        priority: RPK_PRIORITY,
        rawPublicKey: { keyFile: s.keyFile, publicKeyFile: s.publicKeyFile },
        messages: [],
        expectEcho: false,
        lingerMs: 0,
      });
      await ours.waitForClose();
      const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
      expect(client.code, why).not.toBe(0);
      expect(`${client.stdout}${client.stderr}`, why).toMatch(/Certificate is unknown|unknown certificate/i);
      const [session] = ours.sessions;
      expect(session?.closeError?.alert, why).toBe(AlertDescription.certificate_unknown);
      expect(session?.closeError?.fromPeer, why).toBe(false);
    } finally {
      await ours.stop();
    }
  });

  it('gnutls-cli cannot pin a raw key: without --insecure it refuses our server key it was given no way to check', async () => {
    const ours = await startOurRpkServer(rpkServer({ key: key('server-p256').privateKey }));
    try {
      const client = await runGnutlsClient({
        port: ours.port,
        priority: RPK_PRIORITY,
        // A CA file turns --insecure off (runGnutlsClient); no CA can vouch for a raw key.
        caFile,
        messages: [],
        expectEcho: false,
        lingerMs: 0,
      });
      const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
      expect(client.code, why).not.toBe(0);
      expect(`${client.stdout}${client.stderr}`, why).toMatch(/PKI verification of server certificate failed|Could not verify certificate/);
    } finally {
      await ours.stop();
    }
  });

  it('X.509 fallback: our raw-key server with a cert serves gnutls-cli without RFC 7250 its certificate', async () => {
    const ours = await startOurRpkServer(rpkServer({ key: serverCert.key, cert: serverCert.cert }));
    try {
      const client = await runGnutlsClient({ port: ours.port, priority: X509_PRIORITY, caFile, verifyHostname: 'localhost', messages: ['fallback'] });
      await ours.waitForClose();
      const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
      expect(client.code, why).toBe(0);
      expect(client.echoed, why).toBe(true);
      expect(client.stdout, why).toMatch(/- Description: \(DTLS1\.2-X\.509\)-/);
    } finally {
      await ours.stop();
    }
  });
});
