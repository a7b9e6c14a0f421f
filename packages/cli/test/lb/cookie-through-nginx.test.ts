/**
 * A cookie verified across processes THROUGH nginx (issue 18): three `dtls-kit server` processes
 * (the real CLI) behind nginx configured by `dtls-kit lb-config`, each with --server-id and
 * --proxy-protocol 127.0.0.1, OpenSSL's s_client as the client. nginx sends the first ClientHello
 * to backend 0 (the others are --down); the client's retry, which echoes 0's cookie, is held until
 * nginx was reloaded with 0 and 2 down, so the retry is a new nginx session that goes to backend 1
 * (--runtime blocking: the other runtime's cookie check). Same client address and port both times,
 * so the PROXY v2 header vouches for the same client and the cookie's binding (RFC 6347 4.2.1)
 * holds; only the secret differs:
 *
 *   dtls-kit secrets --out S
 *   dtls-kit server --port P0 --psk 000102030405060708090a0b0c0d0e0f --cipher PSK-AES128-GCM-SHA256
 *     --secrets-file S --server-id 0 --proxy-protocol 127.0.0.1                 (and P1 with --runtime blocking, P2)
 *   dtls-kit lb-config --backends 127.0.0.1:P0,127.0.0.1:P1,127.0.0.1:P2 --listen 127.0.0.1:L
 *     --workers 1 --proxy-timeout 1 --down 1,2    (then --down 0,2 and a reload, nginx -s reload)
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:RELAY -nbio -no_ticket -cipher PSK-AES128-GCM-SHA256
 *     -psk 000102030405060708090a0b0c0d0e0f -psk_identity Client_identity -no-CAfile -no-CApath -no-CAstore -no_ign_eof
 *
 * With the shared file, backend 1 answers the retry with a ServerHello and the client completes
 * there, its connection line naming the client's own address (not nginx's). Each with its own
 * random secret, backend 1 answers with a HelloVerifyRequest of its own.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstHandshakeType, freeUdpPort, runOpensslClient, startNginx, waitUntil, type NginxProcess } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer, type CliServer } from '../helpers.js';
import { lbConfigOutput } from './cluster.js';

afterAll(killAll);
const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-lb-cookie-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CIPHER = 'PSK-AES128-GCM-SHA256';
const HELLO_VERIFY_REQUEST = 3;
const SERVER_HELLO = 2;
const CLIENT_HELLO = 1;

/**
 * Between s_client and nginx, from one upstream socket (one client address and port for nginx):
 * forwards everything, except that once the server answered the first ClientHello, client
 * datagrams wait until release(). Notes the first handshake message type of every reply.
 */
interface HoldingRelay {
  readonly port: number;
  /** The upstream socket's port: the client port nginx sees and vouches for. */
  readonly upstreamPort: number;
  readonly replies: (number | undefined)[];
  /** Client datagrams held back (the retried ClientHello and its retransmissions). */
  held(): number;
  release(): void;
  close(): Promise<void>;
}

async function holdingRelay(target: number): Promise<HoldingRelay> {
  const front = dgram.createSocket('udp4');
  const up = dgram.createSocket('udp4');
  const replies: (number | undefined)[] = [];
  let client: { port: number; address: string } | undefined;
  let holding = false;
  let released = false;
  const queue: Buffer[] = [];
  front.on('message', (msg, rinfo) => {
    client = { port: rinfo.port, address: rinfo.address };
    // Bounded: s_client retransmits a few times a second at most; 64 is far more than a test needs.
    if (holding && !released) {
      if (queue.length < 64) queue.push(msg);
      return;
    }
    up.send(msg, target, '127.0.0.1');
  });
  up.on('message', (msg) => {
    replies.push(firstHandshakeType(msg));
    if (replies.length === 1) holding = true;
    if (client !== undefined) front.send(msg, client.port, client.address);
  });
  front.bind(0, '127.0.0.1');
  up.bind(0, '127.0.0.1');
  await Promise.all([once(front, 'listening'), once(up, 'listening')]);
  return {
    port: front.address().port,
    upstreamPort: up.address().port,
    replies,
    held: () => queue.length,
    release: () => {
      released = true;
      for (const m of queue.splice(0)) up.send(m, target, '127.0.0.1');
    },
    close: async () => {
      await Promise.all([new Promise<void>((r) => front.close(() => r())), new Promise<void>((r) => up.close(() => r()))]);
    },
  };
}

const servers: CliServer[] = [];
let nginx: NginxProcess | undefined;
afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const connections = (s: CliServer): string[] => s.stderr().split('\n').filter((l) => l.startsWith('connection '));

describe('a cookie from one process verifies at another through nginx (RFC 6347 4.2.1)', () => {
  it.each([
    ['sharing --secrets-file', true],
    ['each with its own random secret', false],
  ])('%s', async (_what, shared) => {
    const file = join(dir, `secrets-${String(shared)}.json`);
    if (shared) expect((await runCli(['secrets', '--out', file])).code).toBe(0);
    const backends = await Promise.all(
      [0, 1, 2].map((id) =>
        startCliServer([
          '--psk', PSK, '--cipher', CIPHER, '--server-id', String(id), '--proxy-protocol', '127.0.0.1',
          ...(shared ? ['--secrets-file', file] : []),
          ...(id === 1 ? ['--runtime', 'blocking', '--threads', '1'] : []),
        ]),
      ),
    );
    servers.push(...backends);
    const lbPort = await freeUdpPort();
    const list = backends.map((b) => `127.0.0.1:${b.port}`).join(',');
    // --proxy-timeout 1: the first ClientHello's nginx session ends a second after the
    // HelloVerifyRequest, so the reload's old worker exits and the retry is a new session.
    const config = (down: string): Promise<string> => lbConfigOutput(['--backends', list, '--listen', `127.0.0.1:${lbPort}`, '--workers', '1', '--proxy-timeout', '1', '--down', down]);
    nginx = await startNginx(await config('1,2'));
    const relay = await holdingRelay(lbPort);
    try {
      const client = runOpensslClient({ port: relay.port, cipher: CIPHER, psk: PSK, identity: 'Client_identity', messages: ['through nginx'], timeoutMs: 25_000 });
      // Backend 0 answers the first ClientHello with a HelloVerifyRequest; s_client's retry waits.
      await waitUntil(() => relay.held() > 0, 5000);
      expect(relay.replies).toEqual([HELLO_VERIFY_REQUEST]);
      await nginx.reload(await config('0,2'));
      relay.release();
      const r = await client;
      const answer = relay.replies[1];
      if (shared) {
        // Backend 1 verified backend 0's cookie: it goes straight on with the handshake.
        expect(answer).toBe(SERVER_HELLO);
        expect(relay.replies.filter((t) => t === HELLO_VERIFY_REQUEST)).toHaveLength(1);
        expect(r.stdout).toMatch(/New, TLSv1.2, Cipher is PSK-AES128-GCM-SHA256/);
        expect(r.echoed, r.stdout + r.stderr).toBe(true);
        await waitUntil(() => connections(backends[1] as CliServer).length === 1, 3000);
        // --proxy-protocol: the client's own address and port (the relay's upstream socket), not nginx's.
        expect(connections(backends[1] as CliServer)[0]).toMatch(new RegExp(`^connection 127\\.0\\.0\\.1:${relay.upstreamPort} DTLSv1\\.2 `));
        expect(connections(backends[0] as CliServer)).toHaveLength(0);
      } else {
        // Backend 1 cannot verify backend 0's cookie: it asks again with its own (s_client then
        // completes with it: a cookie that does not cross costs a round trip).
        expect(answer).toBe(HELLO_VERIFY_REQUEST);
      }
      expect(answer).not.toBe(CLIENT_HELLO);
    } finally {
      await relay.close();
    }
  }, 60_000);

  it('--proxy-protocol takes IP addresses only (a usage error otherwise)', async () => {
    for (const bad of ['nginx.local', '127.0.0.1,', '']) {
      const r = await runCli(['server', '--psk', PSK, '--proxy-protocol', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--proxy-protocol takes the load balancers' IP addresses/);
    }
    const client = await runCli(['client', '--host', '127.0.0.1', '--psk', PSK, '--proxy-protocol', '127.0.0.1']);
    expect(client.code).toBe(2);
    expect(client.stderr).toMatch(/--proxy-protocol is not an option of "client"/);
  });
});
