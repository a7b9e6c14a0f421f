/**
 * Raw public keys (RFC 7250) in the blocking runtime: credentials from a module (rpkServer/
 * rpkClient hold functions, built in the worker), getPeerPublicKey() in the handlers, and
 * GnuTLS 3.7 in both roles:
 *
 *   gnutls-serv --udp -p PORT --noticket --priority PRIORITY --echo --require-client-cert \
 *     --rawpkkeyfile server.key --rawpkfile server.pub
 *   gnutls-cli --udp -p PORT --priority PRIORITY --insecure \
 *     --rawpkkeyfile client.key --rawpkfile client.pub 127.0.0.1
 *   PRIORITY = NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CTYPE-ALL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGnutlsClient, startGnutlsServer, type PeerServer } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { fixture, until } from './helpers.js';

const PRIORITY = 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CTYPE-ALL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK';
const dir = mkdtempSync(join(tmpdir(), 'dtls-blocking-rpk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface PemPair {
  key: string;
  pub: string;
  files: { keyFile: string; publicKeyFile: string };
}

function pair(name: string, kind: 'p256' | 'ed25519'): PemPair {
  const p = kind === 'p256' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
  const key = p.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pub = p.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyFile = join(dir, `${name}.key`);
  const publicKeyFile = join(dir, `${name}.pub`);
  writeFileSync(keyFile, key);
  writeFileSync(publicKeyFile, pub);
  return { key, pub, files: { keyFile, publicKeyFile } };
}

const serverKey = pair('server', 'ed25519');
const clientKey = pair('client', 'p256');
const credentials = fixture('rpk-credentials.mjs');

interface ClientSeen {
  reply: string | null;
  peerKey: string | null;
  raw: number;
  certificate: number;
}

let server: BlockingServer | undefined;
let peer: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

function startServer(): BlockingServer {
  return createBlockingServer({
    handler: fixture('rpk-handler.mjs'),
    credentials: { module: credentials, export: 'server', args: { key: serverKey.key, pinnedPublicKeys: clientKey.pub } },
    maxThreads: 1,
  });
}

describe('raw public keys (blocking)', () => {
  it('our blocking server and client: each pins and sees the other raw key', async () => {
    server = startServer();
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<ClientSeen>({
      handler: fixture('rpk-client.mjs'),
      port,
      credentials: { module: credentials, export: 'client', args: { key: clientKey.key, pinnedPublicKeys: serverKey.pub } },
      args: { message: 'hello' },
    });
    expect(r.peerKey).toBe(serverKey.pub);
    expect(r.certificate).toBe(0);
    expect(r.raw).toBeGreaterThan(0);
    expect(JSON.parse(r.reply ?? 'null')).toEqual({ said: 'hello', peerKey: clientKey.pub, authorized: true });
    await until(() => server!.stats.completed === 1, 5000, 'connection to end');
  });

  it('gnutls-cli -> our blocking server; our blocking client -> gnutls-serv', async () => {
    server = startServer();
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runGnutlsClient({ port, priority: PRIORITY, rawPublicKey: clientKey.files, messages: ['gnutls'], expectEcho: false, lingerMs: 1000 });
    const why = `${result.stdout}\n${result.stderr}`;
    expect(result.stdout, why).toMatch(/- Description: \(DTLS1\.2-Raw Public Key\)-/);
    // Our handler answers with the key it saw: gnutls-cli's own, pinned.
    expect(result.stdout, why).toContain(clientKey.pub.trim().split('\n')[1]);

    peer = await startGnutlsServer({ priority: PRIORITY, rawPublicKey: serverKey.files, extraArgs: ['--require-client-cert'] });
    const r = await runBlockingClient<ClientSeen>({
      handler: fixture('rpk-client.mjs'),
      port: peer.port,
      credentials: { module: credentials, export: 'client', args: { key: clientKey.key, pinnedPublicKeys: serverKey.pub } },
      args: { message: 'to gnutls-serv' },
    });
    expect(r.reply).toBe('to gnutls-serv');
    expect(r.peerKey).toBe(serverKey.pub);
  });
});
