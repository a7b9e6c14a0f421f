/**
 * Raw public keys (RFC 7250) in the non-blocking runtime: getPeerPublicKey()/getPeerRawPublicKey()
 * on both ends, pinning failures as DtlsErrors, and GnuTLS 3.7 in both roles:
 *
 *   gnutls-serv --udp -p PORT --noticket --priority PRIORITY --echo --require-client-cert \
 *     --rawpkkeyfile server.key --rawpkfile server.pub
 *   gnutls-cli --udp -p PORT --priority PRIORITY --insecure \
 *     --rawpkkeyfile client.key --rawpkfile client.pub 127.0.0.1
 *   PRIORITY = NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CTYPE-ALL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK
 *
 * (gnutls-cli cannot pin a raw key: --insecure; see x509/test/interop/rpk-gnutls.test.ts.)
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rpkClient, rpkServer } from '@dtls-kit/x509';
import { runGnutlsClient, startGnutlsServer, type PeerServer } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AlertDescription, connect, createServer, DtlsError, type DtlsServer, type EstablishedDtlsSocket } from '../src/index.js';
import { echo, roundTrip, until } from './helpers.js';

const PRIORITY = 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CTYPE-ALL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK';
const dir = mkdtempSync(join(tmpdir(), 'dtls-nonblocking-rpk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Pair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  files: { keyFile: string; publicKeyFile: string };
}

function pair(name: string, kind: 'p256' | 'ed25519'): Pair {
  const p = kind === 'p256' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
  const keyFile = join(dir, `${name}.key`);
  const publicKeyFile = join(dir, `${name}.pub`);
  writeFileSync(keyFile, p.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(publicKeyFile, p.publicKey.export({ type: 'spki', format: 'pem' }));
  return { ...p, files: { keyFile, publicKeyFile } };
}

const serverKey = pair('server', 'p256');
const clientKey = pair('client', 'ed25519');
const stranger = pair('stranger', 'p256');

const same = (a: KeyObject | undefined, b: KeyObject): boolean => a !== undefined && a.equals(b);

let server: DtlsServer | undefined;
let peer: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

describe('raw public keys (non-blocking)', () => {
  it('our server and client: each sees the other raw key, no certificate', async () => {
    const accepted: EstablishedDtlsSocket[] = [];
    server = createServer({ x509: rpkServer({ key: serverKey.privateKey, pinnedPublicKeys: clientKey.publicKey }) }, (s) => {
      accepted.push(s);
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, x509: rpkClient({ key: clientKey.privateKey, pinnedPublicKeys: serverKey.publicKey }) });
    expect(await roundTrip(client, 'raw')).toBe('raw');
    expect(same(client.getPeerPublicKey(), serverKey.publicKey)).toBe(true);
    expect(client.getPeerRawPublicKey()?.equals(serverKey.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(client.getPeerCertificate()).toEqual({});
    expect(client.authorized).toBe(true);
    const s = accepted[0];
    expect(same(s?.getPeerPublicKey(), clientKey.publicKey)).toBe(true);
    expect(s?.authorized).toBe(true);
    await client.close();
  });

  it('connect() rejects an unpinned server key with certificate_unknown', async () => {
    server = createServer({ x509: rpkServer({ key: serverKey.privateKey }) }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    const error: unknown = await connect({ host: '127.0.0.1', port, x509: rpkClient({ pinnedPublicKeys: stranger.publicKey }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DtlsError);
    expect(error instanceof DtlsError && error.alert).toBe(AlertDescription.certificate_unknown);
  });

  it('gnutls-cli -> our server: gnutls-cli sends its Ed25519 raw key, ours pins it', async () => {
    const accepted: EstablishedDtlsSocket[] = [];
    server = createServer({ x509: rpkServer({ key: serverKey.privateKey, pinnedPublicKeys: clientKey.publicKey }) }, (s) => {
      accepted.push(s);
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runGnutlsClient({ port, priority: PRIORITY, rawPublicKey: clientKey.files, messages: ['from gnutls-cli'] });
    const why = `${result.stdout}\n${result.stderr}`;
    expect(result.echoed, why).toBe(true);
    expect(result.stdout, why).toMatch(/- Description: \(DTLS1\.2-Raw Public Key\)-/);
    await until(() => accepted.length === 1, 5000, 'the connection');
    expect(same(accepted[0]?.getPeerPublicKey(), clientKey.publicKey)).toBe(true);
  });

  it('our client -> gnutls-serv --require-client-cert: our Ed25519 raw key, its pinned P-256 key', async () => {
    peer = await startGnutlsServer({ priority: PRIORITY, rawPublicKey: serverKey.files, extraArgs: ['--require-client-cert'] });
    const client = await connect({ host: '127.0.0.1', port: peer.port, x509: rpkClient({ key: clientKey.privateKey, pinnedPublicKeys: serverKey.publicKey }) });
    expect(await roundTrip(client, 'to gnutls-serv')).toBe('to gnutls-serv');
    expect(same(client.getPeerPublicKey(), serverKey.publicKey)).toBe(true);
    await client.close();
  });
});
