import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOpensslClient, startOpensslServer, type PeerServer } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { IDENTITY, KEY, clientPsk, echo, roundTrip, serverPsk } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dtls-nonblocking-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let server: DtlsServer | undefined;
let peer: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

describe('interop with OpenSSL (PSK)', () => {
  it('our server, openssl s_client: echo, and the same key log on both sides', async () => {
    const ours = join(dir, 'server-keys.txt');
    const theirs = join(dir, 'client-keys.txt');
    const accepted: DtlsSocket[] = [];
    server = createServer({ psk: serverPsk(), keylog: ours }, (s) => {
      accepted.push(s);
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runOpensslClient({
      port,
      cipher: 'PSK-AES128-CCM8',
      psk: KEY,
      identity: IDENTITY,
      messages: ['hello from openssl', 'second line'],
      keylogFile: theirs,
    });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    expect(result.cipher).toBe('PSK-AES128-CCM8');
    expect(accepted[0]?.pskIdentity).toBe(IDENTITY);
    await new Promise((resolve) => setTimeout(resolve, 50)); // appendFile is asynchronous
    const line = readFileSync(ours, 'utf8').trim();
    expect(line).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
    expect(readFileSync(theirs, 'utf8')).toContain(line);
    // s_client's close_notify closed the connection.
    expect(server.stats.connections).toBe(0);
  });

  it('our client, openssl s_server', async () => {
    peer = await startOpensslServer({ cipher: 'ECDHE-PSK-CHACHA20-POLY1305', psk: KEY, identity: IDENTITY });
    const client = await connect({ host: '127.0.0.1', port: peer.port, psk: clientPsk() });
    expect(client.getCipher().name).toBe('ECDHE-PSK-CHACHA20-POLY1305');
    expect(await roundTrip(client, 'hello from dtls-kit')).toBe('hello from dtls-kit');
    await client.close();
  });
});
