/**
 * A server process dies under load (issue 18): three backends behind nginx (lb-config, as in
 * scale-out.test.ts) sharing one secrets file (`dtls-kit secrets --out F`, each process's
 * `secretsFile`: the ticket keys), clients echoing every 100 ms. Backend 1 is killed (SIGKILL).
 * Its clients' echoes time out; each reconnects with its ticket through nginx and the handshake is
 * a resumed one at a survivor (DTLS 1.3, the default: the ticket's PSK, RFC 8446 2.2). nginx 1.22 does not mark a UDP upstream
 * failed (no health checks), so its hash still sends a third of the new sessions to the dead
 * process: a reconnecting client makes short attempts, each from a new port. Every other
 * client's echoes go on without a single miss.
 */
import { connect, type DtlsSocket } from '@dtls-kit/nonblocking';
import { pskClient } from '@dtls-kit/psk';
import { sleep, waitUntil } from '@dtls-kit/test-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';
import { lbConfigOutput, startCluster, stopBackend, type Cluster } from './cluster.js';

/** The full counts: DTLS_KIT_FULL=1 (`make test-full`, every quick slice of `make test`) or DTLS_KIT_LB_FULL=1 (these alone). */
const FULL = process.env['DTLS_KIT_FULL'] === '1' || process.env['DTLS_KIT_LB_FULL'] === '1';
const CLIENTS = FULL ? 90 : 30;
/** The clients' handshake deadline: reconnected clients must be back within twice this. */
const HANDSHAKE_TIMEOUT_MS = 5000;
/**
 * One reconnection attempt's handshake deadline, with retransmissions from 200 ms (RECONNECT_RETRANSMIT):
 * an attempt that went to the dead process is given up after 1 s, one whose datagram was lost is
 * retransmitted well within it. (At most (1/3)^9 that a client needs 9 attempts and misses 2 x 5 s.)
 */
const RECONNECT_ATTEMPT_MS = 1000;
const RECONNECT_RETRANSMIT = { initialMs: 200 };
const ECHO_EVERY_MS = 100;
const ECHO_TIMEOUT_MS = 1000;
const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-lb-failover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let cluster: Cluster | undefined;
const live: DtlsSocket[] = [];
afterEach(async () => {
  for (const c of live.splice(0)) c.destroy();
  await cluster?.stop();
  cluster = undefined;
});

const psk = (): ReturnType<typeof pskClient> => pskClient({ identity: 'Client_identity', key: '000102030405060708090a0b0c0d0e0f' });

function echoOf(socket: DtlsSocket, text: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onMessage = (m: Buffer): void => {
      clearTimeout(timer);
      resolve(m.toString('utf8') === text);
    };
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      resolve(false);
    }, ms);
    socket.once('message', onMessage);
    socket.send(text);
  });
}

interface Client {
  socket: DtlsSocket;
  readonly firstServer: number;
  session: Buffer | undefined;
  misses: number;
  echoes: number;
  backAfterMs: number | undefined;
  resumed: boolean | undefined;
  secondServer: number | undefined;
  /** Reconnection attempts that failed (landed on the dead process). */
  attempts: number;
}

describe('a server process dies under load: its clients resume elsewhere, nobody else notices', () => {
  it(`kill 1 of 3 processes with ${CLIENTS} clients echoing: its clients back within 2 x the handshake timeout, resumed at survivors`, async () => {
    // The secrets file every process reads its ticket keys from, as `dtls-kit secrets --out` makes it.
    const secretsFile = join(dir, 'secrets.json');
    const made = await runCli(['secrets', '--out', secretsFile]);
    expect(made.code, made.stderr).toBe(0);
    cluster = await startCluster(3, { secretsFile });
    const port = cluster.port;
    const clients: Client[] = [];
    for (let i = 0; i < CLIENTS; i += 15) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(15, CLIENTS - i) }, () => connect({ host: '127.0.0.1', port, psk: psk(), connectionId: { length: 0 }, handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS })),
      );
      for (const socket of batch) {
        live.push(socket);
        const c: Client = { socket, firstServer: socket.connectionId?.send[0] ?? -1, session: socket.getSession(), misses: 0, echoes: 0, backAfterMs: undefined, resumed: undefined, secondServer: undefined, attempts: 0 };
        // DTLS 1.3 (the default): the session comes with the NewSessionTicket the server sends
        // after the handshake (RFC 8446 4.6.1), as node:tls's 'session' event; 1.2's is there at once.
        socket.on('session', (s: Buffer) => (c.session = s));
        clients.push(c);
      }
    }
    await waitUntil(() => clients.every((c) => c.session !== undefined), 5000);
    const victims = clients.filter((c) => c.firstServer === 1);
    const others = clients.filter((c) => c.firstServer !== 1);
    expect(victims.length).toBeGreaterThan(0);
    for (const c of clients) expect(c.session).toBeDefined();

    let killedAt: number | undefined;
    let stopAt = Number.POSITIVE_INFINITY;
    const run = async (c: Client, i: number): Promise<void> => {
      for (let n = 0; performance.now() < stopAt; n++) {
        const ok = await echoOf(c.socket, `client ${i} echo ${n}`, ECHO_TIMEOUT_MS);
        if (ok) c.echoes++;
        else c.misses++;
        if (!ok && killedAt !== undefined && c.firstServer === 1 && c.backAfterMs === undefined) {
          // Our process is gone: start again with the ticket, through the same nginx.
          c.socket.destroy();
          // nginx 1.22 has no health checks for UDP upstreams: its hash still sends 1 in 3 new
          // sessions to the dead process. A reconnecting client tries briefly, each attempt from a
          // new port (a new hash), until one lands on a survivor.
          for (;;) {
            try {
              c.socket = await connect({ host: '127.0.0.1', port, psk: psk(), connectionId: { length: 0 }, handshakeTimeoutMs: RECONNECT_ATTEMPT_MS, retransmit: RECONNECT_RETRANSMIT, session: c.session });
              break;
            } catch (error) {
              c.attempts++;
              if (performance.now() - killedAt > 2 * HANDSHAKE_TIMEOUT_MS) throw error;
            }
          }
          live.push(c.socket);
          c.backAfterMs = performance.now() - killedAt;
          c.resumed = c.socket.isSessionReused();
          c.secondServer = c.socket.connectionId?.send[0];
        }
        await sleep(ECHO_EVERY_MS);
      }
    };
    const loops = clients.map((c, i) => run(c, i));
    await sleep(1000);
    const backend1 = cluster.backends[1];
    backend1?.child.kill('SIGKILL');
    killedAt = performance.now();
    // Until every victim is back (bounded: 2 x the handshake timeout), then 1 s of echoes more.
    const deadline = killedAt + 2 * HANDSHAKE_TIMEOUT_MS + 2000;
    while (victims.some((c) => c.backAfterMs === undefined) && performance.now() < deadline) await sleep(100);
    stopAt = performance.now() + 1000;
    await Promise.all(loops);

    const back = victims.map((c) => c.backAfterMs ?? Number.POSITIVE_INFINITY);
    console.log(`victims ${victims.length}, back after ${Math.round(Math.min(...back))}..${Math.round(Math.max(...back))} ms; failed attempts ${victims.reduce((n, c) => n + c.attempts, 0)}; others ${others.length}, echoes ${others.reduce((n, c) => n + c.echoes, 0)}`);
    for (const c of victims) {
      expect(c.backAfterMs).toBeLessThan(2 * HANDSHAKE_TIMEOUT_MS);
      expect(c.resumed).toBe(true);
      expect([0, 2]).toContain(c.secondServer);
    }
    // Nobody else noticed: not one echo missed.
    for (const c of others) expect(c.misses).toBe(0);
    // The survivors saw the victims' abbreviated handshakes.
    const resumedAtSurvivors = (cluster.backends[0]?.events ?? []).concat(cluster.backends[2]?.events ?? []).filter((e) => e.type === 'connection' && e.resumed);
    expect(resumedAtSurvivors.length).toBe(victims.length);
    // The njs script's only exceptions: the failed sends to the dead process, rethrown on purpose
    // so that nginx ends those sessions (see lb/dtls-route.js).
    const exceptions = cluster.nginx.log().split('\n').filter((l) => l.includes('js exception'));
    for (const line of exceptions) expect(line).toContain('ngx_stream_js_next_filter() failed');
  }, 90_000);

  it('lb-config --down 1 and a reload: the dead process gets no new session, every client connects at the first attempt', async () => {
    cluster = await startCluster(3);
    const dead = cluster.backends[1];
    if (dead === undefined) throw new Error('no backend 1');
    await stopBackend(dead);
    const backends = cluster.backends.map((b) => `127.0.0.1:${b.port}`).join(',');
    const config = await lbConfigOutput(['--backends', backends, '--listen', `127.0.0.1:${cluster.port}`, '--down', '1']);
    expect(config).toContain(`        server 127.0.0.1:${dead.port} down;`);
    // Its own upstream stays: a CID naming it still goes there (and is lost), nothing else does.
    expect(config).toContain(`upstream dtls_backend_1 { server 127.0.0.1:${dead.port}; }`);
    await cluster.nginx.reload(config);
    const port = cluster.port;
    // Without --down a third of these would hash to the dead process and time out.
    const sockets = await Promise.all(
      Array.from({ length: 30 }, () => connect({ host: '127.0.0.1', port, psk: psk(), connectionId: { length: 0 }, handshakeTimeoutMs: RECONNECT_ATTEMPT_MS, retransmit: RECONNECT_RETRANSMIT })),
    );
    live.push(...sockets);
    const servedBy = sockets.map((s) => s.connectionId?.send[0]);
    expect(servedBy.filter((id) => id === 1)).toEqual([]);
    expect(new Set(servedBy)).toEqual(new Set([0, 2]));
  }, 60_000);
});
