/**
 * Issue 13's NAT rebinding run on the simulated network: a client behind a NAT that rebinds
 * its port every 50 records (20 rebinds in 1,000 messages) at 10% loss each way, with
 * connection IDs (RFC 9146), keeps its one session: the server routes its records by CID
 * (ConnectionTable), follows it to each new address (RFC 9146 6), and every message the network
 * did not drop arrives once and intact. The same run without CIDs loses the session at the
 * first rebind: the server routes by address, and the new address is nobody's.
 */
import { SimNetwork, type SimAddress, type SimTraceEvent } from '@dtls-kit/test-kit';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { DtlsConnection } from '../../src/connection.js';
import { ConnectionTable } from '../../src/endpoint/connection-table.js';
import { peerKey, samePeer } from '../../src/endpoint/peer-address.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { clientPsk, serverPsk } from '../support/psk.js';
import { ServerNode } from '../support/server-node.js';

const MESSAGES = 1000;
const REBIND_EVERY = 50;
/** The first rebind comes after 25 messages, so the run without CIDs shows a working session first. */
const FIRST_REBIND = 25;
const LOSS = 0.1;

/**
 * A server as a runtime runs one: a ConnectionTable routes each datagram (by CID, then by
 * address) to its connection or to the stateless ServerEndpoint; the application echoes every
 * message; the table follows the connection's peer address when it moves.
 */
class EchoServer extends ServerNode {
  readonly table = new ConnectionTable<DtlsConnection>();
  accepted = 0;
  /** Datagrams that reached the endpoint once a connection existed (no connection for their address). */
  strays = 0;
  readonly received: string[] = [];
  private at: SimAddress | undefined;

  get peerAddress(): SimAddress | undefined {
    return this.connection?.peerAddress;
  }

  override receive(datagram: Uint8Array, now: number, from?: SimAddress): void {
    if (from === undefined) throw new Error('the simulator gives every datagram its source');
    const route = this.table.route(datagram, from);
    if (route.type === 'connection') {
      route.connection.receive(datagram, now, from);
      this.afterReceive(route.connection);
      return;
    }
    if (route.type === 'drop') return;
    if (this.connection !== undefined) this.strays++;
    const r = this.endpoint.handle(datagram, peerKey(from), now);
    if (r.type === 'reply') this.replies.push(r.datagram);
    if (r.type !== 'accept') return;
    this.accepted++;
    this.connection = r.connection;
    this.at = from;
    this.table.insert(from, r.connection);
    const cid = r.connection.connectionId?.receive;
    if (cid !== undefined) this.table.bindConnectionId(cid, r.connection);
    this.afterReceive(r.connection);
  }

  private afterReceive(conn: DtlsConnection): void {
    // A runtime keeps the table's address in step with the connection's (RFC 9146 6 moves).
    const peer = conn.peerAddress;
    if (peer !== undefined && this.at !== undefined && !samePeer(peer, this.at)) {
      this.table.remove(this.at, conn);
      this.table.insert(peer, conn);
      this.at = peer;
    }
    for (let e; (e = conn.pollEvent()); ) {
      if (e.type !== 'data') continue;
      this.received.push(new TextDecoder().decode(e.data));
      conn.send(e.data); // echo
    }
  }

}

const message = (i: number): string => `message ${String(i).padStart(4, '0')} ${'abcdefghij'.repeat(8)}`;

/**
 * Datagrams of application data, told from return routability check messages (RFC 9853, ~50
 * bytes) by their size: every message and echo is over 100 bytes.
 */
const DATA_DATAGRAM = 100;

interface Counts {
  sent: number;
  dropped: number;
  unreachable: number;
}

interface Outcome {
  /** Per direction, application-data datagrams only, from the end of the handshake. */
  c2s: Counts;
  s2c: Counts;
  /** Return routability check datagrams (path_challenge / path_response) sent, each way. */
  rrcC2s: number;
  rrcS2c: number;
  sent: number;
  rebinds: number;
  serverGot: string[];
  echoes: string[];
  server: EchoServer;
  client: DtlsConnection;
  net: SimNetwork;
  clientHandshakes: number;
  firstRebindAt: number;
}

async function natRun(seed: number, cid: { client?: Partial<ClientOptions>; server?: Partial<ServerOptions> }): Promise<Outcome> {
  const endpoint = new ServerEndpoint({ psk: serverPsk(), ...cid.server });
  const client = DtlsConnection.client({ psk: clientPsk(), ...cid.client });
  const server = new EchoServer(endpoint);
  let counting = false;
  const c2s: Counts = { sent: 0, dropped: 0, unreachable: 0 };
  const s2c: Counts = { sent: 0, dropped: 0, unreachable: 0 };
  const rrc = { AtoB: 0, BtoA: 0 };
  const trace = (e: SimTraceEvent): void => {
    if (!counting || !('dir' in e)) return;
    if (e.size < DATA_DATAGRAM) {
      if (e.type === 'send') rrc[e.dir]++;
      return;
    }
    const c = e.dir === 'AtoB' ? c2s : s2c;
    if (e.type === 'send') c.sent++;
    else if (e.type === 'drop') c.dropped++;
    else if (e.type === 'unreachable') c.unreachable++;
  };
  const net = new SimNetwork({ a: client, b: server, seed, link: { loss: LOSS, latency: 5 }, pump: 'microtask', trace });
  const echoes: string[] = [];
  let clientHandshakes = 0;
  const drain = (): void => {
    for (let e; (e = client.pollEvent()); ) {
      if (e.type === 'handshake-complete') clientHandshakes++;
      if (e.type === 'data') echoes.push(new TextDecoder().decode(e.data));
    }
  };
  client.connect(net.now());
  const hs = await net.run({ until: () => (drain(), client.state === 'established' && server.connection?.state === 'established'), maxTime: 300_000 });
  expect(hs.ok, `handshake: ${hs.reason}`).toBe(true);
  // Let the last flight's stragglers land: from here on the links carry application data only.
  await net.run({ maxTime: 10_000 });
  drain();
  const before = net.getStats();
  counting = true;
  let rebinds = 0;
  let firstRebindAt = -1;
  for (let i = 0; i < MESSAGES && client.state === 'established'; i++) {
    if (i % REBIND_EVERY === FIRST_REBIND) {
      net.rebind('A');
      rebinds++;
      if (firstRebindAt < 0) firstRebindAt = i;
    }
    client.send(utf8(message(i)));
    await net.run({ maxTime: 2, until: () => (drain(), false) });
  }
  await net.run({ maxTime: 1_000, until: () => (drain(), false) });
  drain();
  const after = net.getStats();
  return {
    c2s,
    s2c,
    rrcC2s: rrc.AtoB,
    rrcS2c: rrc.BtoA,
    sent: after.AtoB.sent - before.AtoB.sent,
    rebinds,
    serverGot: server.received,
    echoes,
    server,
    client,
    net,
    clientHandshakes,
    firstRebindAt,
  };
}

/** Every message at most once and intact: each text is exactly message(i) for a distinct i. */
function expectIntactOnce(texts: readonly string[]): void {
  const seen = new Set<number>();
  for (const t of texts) {
    const i = Number(t.slice(8, 12));
    expect(t).toBe(message(i));
    expect(seen.has(i), `message ${i} twice`).toBe(false);
    seen.add(i);
  }
}

describe('NAT rebinding on the simulated network (RFC 9146)', () => {
  const CIDS = { client: { connectionId: { length: 4 } }, server: { connectionId: { length: 8, serverId: Uint8Array.of(0x5e, 0x7e) } } };
  const WITH_RRC = {
    client: { connectionId: { length: 4, returnRoutabilityCheck: true } },
    server: { connectionId: { length: 8, serverId: Uint8Array.of(0x5e, 0x7e), returnRoutabilityCheck: true } },
  };
  it.each([
    ['seed 1', 1, CIDS],
    ['seed 2', 2, CIDS],
    ['seed 1, with the RFC 9853 return routability check', 1, WITH_RRC],
  ] as const)('%s: 20 rebinds in 1,000 messages at 10 percent loss each way, with CIDs: one session, nothing lost beyond the network', async (name, seed, options) => {
    const started = Date.now();
    const o = await natRun(seed, options);
    const conn = o.server.connection;
    console.log(
      `${name}: ${o.c2s.sent} messages from ${o.rebinds + 1} client addresses (${o.rebinds} rebinds); client→server ${o.c2s.dropped} lost, ` +
        `${o.serverGot.length} delivered; server→client ${o.s2c.sent} echoes, ${o.s2c.dropped} lost, ${o.s2c.unreachable} to a stale address, ` +
        `${o.echoes.length} delivered; RRC ${o.rrcS2c} challenges / ${o.rrcC2s} responses, ${conn?.stats.pathValidations ?? 0} validations; ` +
        `${o.server.accepted} handshake; ${Date.now() - started} ms`,
    );
    expect(o.rebinds).toBe(20);
    expect(o.c2s.sent).toBe(MESSAGES);
    // One session: one handshake each side, still up, the endpoint never asked again.
    expect(o.server.accepted).toBe(1);
    expect(o.clientHandshakes).toBe(1);
    expect(o.client.state).toBe('established');
    expect(conn?.state).toBe('established');
    expect(o.server.strays).toBe(0);
    // Delivered = sent − dropped by the network, each way; at most once and intact.
    expect(o.c2s.unreachable).toBe(0);
    expect(o.serverGot.length).toBe(o.c2s.sent - o.c2s.dropped);
    expectIntactOnce(o.serverGot);
    expect(o.s2c.sent).toBe(o.serverGot.length); // every message echoed, nothing held back
    expect(o.echoes.length).toBe(o.s2c.sent - o.s2c.dropped - o.s2c.unreachable);
    expectIntactOnce(o.echoes);
    expect(conn?.stats.unvalidatedHeldBytes).toBe(0);
    // The server follows the client to its latest address.
    expect(conn?.peerAddress).toEqual(o.net.address('A'));
    expect(o.c2s.dropped).toBeGreaterThan(50); // the 10% loss did happen
    if (options === WITH_RRC) {
      expect(conn?.returnRoutabilityCheck).toBe(true);
      expect(o.rrcS2c).toBeGreaterThanOrEqual(20); // at least one challenge per new address
      expect(conn?.stats.pathValidations).toBeGreaterThan(10); // most new addresses validated despite the loss
    } else {
      expect(o.rrcS2c + o.rrcC2s).toBe(0);
    }
  }, 60_000);

  it('the same run without CIDs loses the session at the first rebind', async () => {
    const o = await natRun(1, {});
    const afterRebind = o.serverGot.filter((t) => Number(t.slice(8, 12)) >= o.firstRebindAt);
    console.log(
      `no CIDs: ${o.serverGot.length} of ${o.sent} delivered (all before the first rebind at message ${o.firstRebindAt}), ` +
        `${o.server.strays} datagrams from new addresses went to the endpoint and were dropped`,
    );
    expect(o.client.connectionId).toBeUndefined();
    expect(o.serverGot.length).toBeGreaterThan(0); // the session worked before
    expect(afterRebind).toEqual([]);
    expect(o.serverGot.length).toBeLessThan(o.c2s.sent - o.c2s.dropped);
    expect(o.server.strays).toBeGreaterThan(0);
    expect(o.server.accepted).toBe(1);
  }, 60_000);
});
