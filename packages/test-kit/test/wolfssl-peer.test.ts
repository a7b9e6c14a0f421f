/**
 * Proves the wolfSSL 5.5.4 launcher (src/peers/wolfssl.ts) with wolfSSL against itself on
 * 127.0.0.1: its echo server and its client over DTLS 1.2 and 1.3, a clean stop, the key log of
 * the 'keylog' build variant, and the recording relay between the two. A failed wolfSSL build
 * fails these tests (it never skips them).
 */
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  WOLFSSL_CLIENT_MESSAGE,
  describePeerClient,
  describePeerServer,
  runWolfsslClient,
  startRecordingRelay,
  startWolfsslServer,
  wolfsslRoot,
  type WolfsslVersion,
} from '../src/index.js';

beforeAll(() => {
  wolfsslRoot('default');
  wolfsslRoot('keylog');
}, 30 * 60_000);

describe.concurrent('wolfSSL 5.5.4 example server and client', () => {
  for (const [version, cipher, printed] of [
    ['1.2', 'PSK-AES128-CCM-8', 'TLS_PSK_WITH_AES_128_CCM_8'],
    ['1.3', 'TLS13-AES128-GCM-SHA256', 'TLS_AES_128_GCM_SHA256'],
  ] as const satisfies ReadonlyArray<readonly [WolfsslVersion, string, string]>) {
    it(`DTLS ${version} PSK: the client's message comes back from the echo server`, async ({ expect }) => {
      const server = await startWolfsslServer({ version, psk: true, cipher });
      try {
        const client = await runWolfsslClient({ version, psk: true, cipher, port: server.port });
        const why = `${describePeerServer(server)}\n${describePeerClient(client)}`;
        expect(client.code, why).toBe(0);
        expect(client.version, why).toBe(version === '1.3' ? 'DTLSv1.3' : 'DTLSv1.2');
        expect(client.cipher, why).toBe(printed);
        expect(client.echoed, why).toBe(true);
      } finally {
        await server.stop();
      }
    });
  }

  it('stop() ends the server and frees its port', async ({ expect }) => {
    const server = await startWolfsslServer({ version: '1.3', psk: true });
    await server.stop();
    await server.exited;
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(server.port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    expect(server.commandLine).toContain('examples/server/server');
  });

  it("the keylog variant writes the TLS 1.3 secrets; the recording relay sees both directions", async ({ expect }) => {
    const dir = await mkdtemp(join(tmpdir(), 'dtls-kit-wolfssl-keylog-'));
    const keylogFile = join(dir, 'keys.txt');
    const server = await startWolfsslServer({ version: '1.3', psk: true, variant: 'keylog', keylogFile });
    const relay = await startRecordingRelay({ serverPort: server.port });
    try {
      const client = await runWolfsslClient({ version: '1.3', psk: true, port: relay.port });
      expect(client.echoed, `${describePeerServer(server)}\n${describePeerClient(client)}`).toBe(true);
      const labels = (await readFile(keylogFile, 'utf8')).trim().split('\n').map((line) => line.split(' ')[0]);
      expect(labels).toEqual(
        expect.arrayContaining(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']),
      );
      expect(relay.datagrams[0]?.direction).toBe('client-to-server');
      // A DTLSPlaintext handshake record (the ClientHello), then the server's answer.
      expect(relay.datagrams[0]?.bytes[0]).toBe(22);
      expect(relay.datagrams.some((d) => d.direction === 'server-to-client')).toBe(true);
      expect(relay.truncated).toBe(false);
    } finally {
      await relay.stop();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses what wolfSSL would not take: a long CID, a key log without the keylog build', async ({ expect }) => {
    await expect(runWolfsslClient({ version: '1.3', port: 9, cid: 'abc' })).rejects.toThrow(/at most 2/);
    await expect(startWolfsslServer({ version: '1.3', keylogFile: '/tmp/x' })).rejects.toThrow(/variant 'keylog'/);
  });
});

expect(WOLFSSL_CLIENT_MESSAGE).toBe('hello wolfssl!');
