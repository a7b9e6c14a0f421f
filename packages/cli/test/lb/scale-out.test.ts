/**
 * Several dtls-kit server processes behind Debian's nginx (issue 18), with real sockets on
 * loopback: three backends (fixtures/lb-backend.mjs: PSK echo, connectionId { length: 8, serverId },
 * proxyProtocol from 127.0.0.1) behind
 *   nginx -p PREFIX -c PREFIX/nginx.conf -e stderr -g 'daemon off;'
 * configured by
 *   dtls-kit lb-config --backends 127.0.0.1:A,127.0.0.1:B,127.0.0.1:C --listen 127.0.0.1:P
 *
 * Quick by default (60 clients x 20 messages, 20 clients rebinding 10 times each); the full
 * counts (300 clients x 50 messages each way, 50 clients rebinding 10 times each) with
 * DTLS_KIT_LB_FULL=1 or DTLS_KIT_FULL=1 (about 6 s on an idle 2-core machine).
 */
import { connect, type DtlsSocket } from '@dtls-kit/nonblocking';
import { pskClient } from '@dtls-kit/psk';
import { startRebindingRelay, type RebindingRelay } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type BackendEvent, type Cluster } from './cluster.js';

/** The full counts: DTLS_KIT_FULL=1 (`make test-full`, every quick slice of `make test`) or DTLS_KIT_LB_FULL=1 (these alone). */
const FULL = process.env['DTLS_KIT_FULL'] === '1' || process.env['DTLS_KIT_LB_FULL'] === '1';
const CLIENTS = FULL ? 300 : 60;
const MESSAGES = FULL ? 50 : 20;
const REBINDING_CLIENTS = FULL ? 50 : 20;
const REBINDS = 10;
/** Handshakes started at once (the rest wait their turn): the machine has 2 cores for everyone. */
const HANDSHAKE_BATCH = 25;

let cluster: Cluster | undefined;
let relay: RebindingRelay | undefined;
const clients: DtlsSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await relay?.close();
  relay = undefined;
  await cluster?.stop();
  cluster = undefined;
});

const psk = (): ReturnType<typeof pskClient> => pskClient({ identity: 'Client_identity', key: '000102030405060708090a0b0c0d0e0f' });

/** Sends `text`, resolves with the next message (rejects after `ms`: over loopback nothing should be lost). */
function echoOf(socket: DtlsSocket, text: string, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Buffer): void => {
      clearTimeout(timer);
      resolve(m.toString('utf8'));
    };
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error(`no echo of "${text}" within ${ms} ms`));
    }, ms);
    socket.once('message', onMessage);
    socket.send(text);
  });
}

/** Connects `n` clients to 127.0.0.1:`port`, HANDSHAKE_BATCH at a time, each with a CID from the server. */
async function connectAll(port: number, n: number): Promise<DtlsSocket[]> {
  const out: DtlsSocket[] = [];
  for (let i = 0; i < n; i += HANDSHAKE_BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(HANDSHAKE_BATCH, n - i) }, () => connect({ host: '127.0.0.1', port, psk: psk(), connectionId: { length: 0 } })),
    );
    clients.push(...batch);
    out.push(...batch);
  }
  return out;
}

/** The server's CID as the client writes it (hex), and the server id it starts with. */
function cidOf(c: DtlsSocket): { hex: string; serverId: number } {
  const cid = c.connectionId?.send ?? Buffer.alloc(0);
  expect(cid.length).toBe(8);
  return { hex: cid.toString('hex'), serverId: cid[0] ?? -1 };
}

type EventOf<T extends BackendEvent['type']> = Extract<BackendEvent, { type: T }>;

function events<T extends BackendEvent['type']>(type: T): Array<EventOf<T>> {
  return (cluster?.backends ?? []).flatMap((b) => b.events.filter((e): e is EventOf<T> => e.type === type));
}

describe(`dtls-kit servers behind nginx (${FULL ? 'full' : 'quick'}: DTLS_KIT_FULL=1 or DTLS_KIT_LB_FULL=1 for the issue's counts)`, () => {
  it(`${CLIENTS} clients through nginx to 3 server processes, ${MESSAGES} messages each way: nothing lost or crossed, every process a share, each sees its clients' true addresses`, async () => {
    cluster = await startCluster(3);
    const cs = await connectAll(cluster.port, CLIENTS);
    // Every client talks at once, one message at a time each.
    await Promise.all(
      cs.map(async (c, i) => {
        for (let j = 0; j < MESSAGES; j++) {
          const text = `client ${i} message ${j}`;
          expect(await echoOf(c, text)).toBe(text);
        }
      }),
    );
    const connections = events('connection');
    expect(connections.length).toBe(CLIENTS);
    const perProcess = [0, 1, 2].map((id) => connections.filter((e) => e.serverId === id).length);
    console.log(`connections per process: ${perProcess.join(' / ')}`);
    for (const n of perProcess) expect(n).toBeGreaterThan(0);
    for (const c of cs) {
      const { hex, serverId } = cidOf(c);
      const seen = connections.filter((e) => e.cid === hex);
      // One connection per client, on the process its CID names, which saw the client's own
      // address and port (PROXY v2 from the njs script), not nginx's.
      expect(seen.length).toBe(1);
      expect(seen[0]).toMatchObject({ serverId, address: '127.0.0.1', port: c.address()?.port });
    }
    const drops = await Promise.all(cluster.backends.map((b) => b.stats()));
    for (const s of drops) expect(s.dropped['proxyHeader']).toBe(0);
    expect(cluster.nginx.log()).not.toMatch(/js exception/i);
  }, FULL ? 600_000 : 120_000);

  it(`${REBINDING_CLIENTS} clients whose source port changes ${REBINDS} times each keep their sessions on their original process`, async () => {
    cluster = await startCluster(3);
    // A NAT in front of nginx: every 2 CID datagrams of a client leave from a new port, so each
    // rebinding is a new nginx session whose first datagram carries the CID.
    relay = await startRebindingRelay(cluster.port, 2);
    const cs = await connectAll(relay.port, REBINDING_CLIENTS);
    const r = relay;
    await Promise.all(
      cs.map(async (c, i) => {
        for (let j = 0; j < 2 * REBINDS + 2; j++) {
          const text = `rebinding client ${i} message ${j}`;
          expect(await echoOf(c, text)).toBe(text);
        }
      }),
    );
    const connections = events('connection');
    const moves = events('move');
    // No new handshakes: one connection per client, ever.
    expect(connections.length).toBe(REBINDING_CLIENTS);
    for (const c of cs) {
      const { hex, serverId } = cidOf(c);
      const ports = r.upstreamPorts(c.address()?.port ?? 0);
      expect(ports.length - 1).toBeGreaterThanOrEqual(REBINDS);
      const mine = moves.filter((e) => e.cid === hex);
      // Every move seen by the process that holds the session, none elsewhere; the address it
      // followed is the client's (the NAT's new port), as nginx's PROXY header told it.
      expect(mine.every((e) => e.serverId === serverId)).toBe(true);
      expect(mine.map((e) => e.port)).toEqual(ports.slice(1));
      expect(connections.find((e) => e.cid === hex)).toMatchObject({ serverId, port: ports[0] });
    }
    console.log(`rebinds: ${r.rebinds}; moves followed: ${moves.length}; sessions per process: ${[0, 1, 2].map((id) => connections.filter((e) => e.serverId === id).length).join(' / ')}`);
  }, FULL ? 600_000 : 120_000);
});
