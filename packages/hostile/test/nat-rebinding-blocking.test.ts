/**
 * NAT rebinding over real sockets, BLOCKING server (RFC 9146): a client (@dtls-kit/nonblocking's
 * connect) talks to a @dtls-kit/blocking server through startNatRelay, whose port mapping for the
 * client moves every 50 client datagrams (replies to an expired mapping are lost, as behind a
 * real NAT) at 10% loss per datagram and direction. With connection IDs the server routes the
 * client's tls12_cid records by CID, its engine moves the peer address once a record from the new
 * port authenticates (RFC 9146 6) and the replies follow: one session carries 1,000 messages
 * through ~20 rebinds, intact and at most once, with delivered = sent - what the relay destroyed
 * (DTLS does not retransmit application data). Without CIDs the first rebind ends the session.
 * A genuine CID record replayed from a third address, and a forged one (valid CID, garbage
 * ciphertext), move nothing.
 */
import { connect, type DtlsSocket } from '@dtls-kit/nonblocking';
import { createBlockingServer, type BlockingServer, type RemoteAddressInfo } from '@dtls-kit/blocking';
import { pskClient } from '@dtls-kit/psk';
import { sleep, startNatRelay, type NatRelay, type NatRelayStats } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { forgeCidRecord, recordsIn, startsWithCidRecord, type DtlsVersion } from './support/cid-records.js';
import { udpRcvbufErrors } from './support/kernel-drops.js';

const KEY = '000102030405060708090a0b0c0d0e0f';
const MESSAGES = 1000;
const REBIND_EVERY = 50;
const LOSS = 0.1;
const RETRANSMIT = { initialMs: 250, maxMs: 2000 };
const SUITE = 'TLS_PSK_WITH_AES_128_GCM_SHA256';
/** The server's CID: in the client's records (tls12_cid, RFC 9146 4; a DTLS 1.3 unified header, RFC 9147 4). */
const CID_LENGTH = 8;

const PAYLOAD = (i: number): string => `m${i}:${'abcdefghijklmnopqrstuvwxyz'.repeat(1 + (i % 4)).slice(0, 20 + (i % 60))}`;

interface Report {
  delivered: number;
  duplicates: number;
  corrupt: number;
  changes: number;
  lastChange: { current: RemoteAddressInfo; previous: RemoteAddressInfo } | null;
  address: string;
  port: number;
  family: string;
}

let server: BlockingServer | undefined;
let relay: NatRelay | undefined;
let client: DtlsSocket | undefined;
afterEach(async () => {
  client?.destroy();
  client = undefined;
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

async function setUp(
  cids: boolean,
  version: DtlsVersion,
  handshakes: 'worker' | 'main',
  onToServer?: (d: Uint8Array) => void,
  onToClient?: (d: Uint8Array) => void,
): Promise<{ inbox: string[]; events: [RemoteAddressInfo, RemoteAddressInfo][] }> {
  server = createBlockingServer({
    handler: new URL('./support/nat-rebinding-blocking-handler.mjs', import.meta.url),
    credentials: { psk: { keys: { Client_identity: KEY } } },
    maxThreads: 1,
    retransmit: RETRANSMIT,
    handshakes,
    ...(cids ? { connectionId: { length: CID_LENGTH } } : {}),
  });
  const events: [RemoteAddressInfo, RemoteAddressInfo][] = [];
  server.on('remoteAddressChange', (current, previous) => events.push([current, previous]));
  const { port } = await server.listen(0, '127.0.0.1');
  relay = await startNatRelay({ target: port, rebindEvery: REBIND_EVERY, loss: LOSS, seed: 13, onToServer: (d) => onToServer?.(d), onToClient: (d) => onToClient?.(d) });
  client = await connect({
    host: '127.0.0.1',
    port: relay.port,
    psk: pskClient({ identity: 'Client_identity', key: KEY }),
    cipherSuites: [SUITE],
    retransmit: RETRANSMIT,
    handshakeTimeoutMs: 20_000,
    maxVersion: version,
    // The client sends the server's CID and asks for none (RFC 9146 3): its own address never moves.
    ...(cids ? { connectionId: { length: 0 } } : {}),
  });
  expect(client.getProtocol()).toBe(version);
  const inbox: string[] = [];
  client.on('message', (m: Buffer) => inbox.push(m.toString('utf8')));
  return { inbox, events };
}

/** Sends `text` until a reply for which `match` holds arrives (bounded); undefined if none did. */
async function ask(inbox: string[], text: string, match: (reply: string) => boolean, tries = 20): Promise<string | undefined> {
  for (let i = 0; i < tries; i++) {
    client?.send(text);
    const deadline = performance.now() + 300;
    while (performance.now() < deadline) {
      const found = inbox.find(match);
      if (found !== undefined) return found;
      await sleep(10);
    }
  }
  return undefined;
}

/**
 * Waits until neither `inbox` nor the server's traffic at the relay (whatever became of it) has
 * grown for `quietMs` (bounded by `maxMs`). Echoes to an expired mapping never reach the inbox: a
 * loaded server still working through its backlog may send nothing the client sees for a while.
 */
async function settle(inbox: string[], quietMs: number, maxMs: number): Promise<void> {
  const progress = (): number => {
    const r = relay?.stats;
    return inbox.length + (r === undefined ? 0 : r.forwardedToClient + r.droppedToClient + r.toExpiredMapping);
  };
  const end = performance.now() + maxMs;
  let seen = progress();
  let since = performance.now();
  while (performance.now() < end) {
    await sleep(25);
    const now = progress();
    if (now !== seen) {
      seen = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
  }
}

/** Sends MESSAGES numbered messages, a few at a time (the relay forwards in order). */
async function sendAll(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    client?.send(PAYLOAD(i));
    if (i % 5 === 4) await sleep(1);
  }
}

/** The client's own port (the relay knows its mappings by it). */
function clientPort(): number {
  const port = client?.address()?.port;
  if (port === undefined) throw new Error('the client has no socket');
  return port;
}

const delta = (a: NatRelayStats, b: NatRelayStats, k: keyof NatRelayStats): number => b[k] - a[k];

/**
 * The records in the server's datagrams, by what the relay did with each datagram: the echoes
 * balance in records, the unit the server sends, whatever number of them a datagram carries
 * (RFC 6347 4.1.1 lets a sender put several in one; in the runs seen here each echo had its own).
 * The relay calls onToClient just before it decides a datagram's fate, so its counters read at
 * the next call (or at the end) tell that fate.
 */
class ToClientRecords {
  private readonly seen: { records: number; before: NatRelayStats }[] = [];
  counting = false;

  constructor(private readonly stats: () => NatRelayStats) {}

  datagram(d: Uint8Array): void {
    if (this.counting) this.seen.push({ records: recordsIn(d), before: { ...this.stats() } });
  }

  /** Records forwarded, dropped (loss) and sent to an expired mapping, up to `end` (the relay's counters then). */
  fates(end: NatRelayStats): { forwarded: number; dropped: number; expired: number } {
    const out = { forwarded: 0, dropped: 0, expired: 0 };
    for (const [i, s] of this.seen.entries()) {
      const after = this.seen[i + 1]?.before ?? end;
      if (delta(s.before, after, 'forwardedToClient') > 0) out.forwarded += s.records;
      else if (delta(s.before, after, 'droppedToClient') > 0) out.dropped += s.records;
      else if (delta(s.before, after, 'toExpiredMapping') > 0) out.expired += s.records;
    }
    return out;
  }
}

/**
 * What a failure to get an answer says: the client's state and counters, the relay's mappings and
 * counts, the server's counters, the last address change: enough to tell a lost route from a dead
 * connection.
 */
function whereThingsStand(events: readonly [RemoteAddressInfo, RemoteAddressInfo][]): string {
  const s = server?.stats;
  return `no answer to 'report': ${JSON.stringify({
    client: { state: client?.state, error: client?.error?.message, port: client?.address()?.port, stats: client?.stats },
    relay: { stats: relay?.stats, upstreamPorts: client?.address() === undefined ? [] : relay?.upstreamPorts(clientPort()) },
    server: s && { connections: s.connections, active: s.active, addressChanges: s.addressChanges, inboundDropped: s.inboundDropped, outboundDropped: s.outboundDropped },
    lastMove: events.at(-1),
  }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}`;
}

// handshakes 'main' (DTLS 1.2 only: 1.3 handshakes in the worker either way): the CID is negotiated on the main thread, then handed over.
describe.each([
  ['DTLSv1.3', 'worker'],
  ['DTLSv1.2', 'worker'],
  ['DTLSv1.2', 'main'],
] as const)('NAT rebinding through a relay, blocking server (RFC 9146), %s, handshakes %s', (version, handshakes) => {
  it('with CIDs: one session, 1,000 messages through ~20 rebinds at 10% loss, delivered = sent - dropped; spoofed CID records move nothing', async () => {
    const t0 = performance.now();
    let capture = false;
    let captured: Uint8Array | undefined;
    const toClientRecords = new ToClientRecords(() => relay!.stats);
    const { inbox, events } = await setUp(
      true,
      version,
      handshakes,
      (d) => {
        if (capture && captured === undefined && startsWithCidRecord(d, version)) captured = d.slice();
      },
      (d) => toClientRecords.datagram(d),
    );
    // The handshake's stray retransmissions settle before the count starts.
    expect(await ask(inbox, 'ping', (r) => r === 'ping')).toBe('ping');
    await settle(inbox, 300, 3000);
    inbox.length = 0;
    const s0 = { ...relay!.stats };
    const server0 = server!.stats;
    toClientRecords.counting = true;
    const firstPort = relay!.upstreamPorts(clientPort())[0];

    capture = true;
    const kernelBefore = udpRcvbufErrors();
    await sendAll(MESSAGES);
    // Quiet for 3 s, not 1: on a loaded 2-core machine the worker's last echoes can trail by more
    // than a second (a CI run counted 4 of 882 echoes missing at the relay with 1 s); and quiet at
    // the relay too, not only in the inbox (18 of 893 echoes were missing here, under load, when
    // only the inbox was watched).
    await settle(inbox, 3000, 20_000);
    const s1 = { ...relay!.stats };
    // After a rebind the server sends to the client's new address at most 3 times what came from
    // there (RFC 9853 5, anti-amplification; no return routability check here): a server that
    // read a backlog of messages at once (a loaded machine) holds the echoes beyond that budget
    // until the client sends more. Messages the handler neither echoes nor counts give the
    // budget, so that every echo has left before the count ends.
    // Two rounds: should the relay rebind during the first (one every 50 client datagrams), the
    // second comes from the new address.
    for (const round of [10, 5]) {
      for (let i = 0; i < round; i++) {
        client?.send(`flush${'.'.repeat(1000)}`);
        await sleep(20);
      }
      await settle(inbox, 1500, 10_000);
    }
    const s2 = { ...relay!.stats };
    toClientRecords.counting = false;
    const server1 = server!.stats;
    // The blocking server's rings between its main thread and the worker are bounded: a datagram
    // that finds one full is dropped and counted (stats.inboundDropped / outboundDropped), a loss
    // the relay cannot see either (on a loaded machine the main thread may drain the worker's
    // echoes slower than it makes them).
    const inDropped = server1.inboundDropped - server0.inboundDropped;
    const outDropped = server1.outboundDropped - server0.outboundDropped;
    // A datagram the kernel dropped for want of socket buffer (a loaded machine; machine-wide
    // count) is a loss the relay cannot see: each balance below may be off by at most that many.
    const kernel = (udpRcvbufErrors() ?? 0) - (kernelBefore ?? 0);
    const balances = (actual: number, expected: number): void =>
      expect(
        Math.abs(actual - expected),
        `${actual} against ${expected} (kernel drops ${kernel}, server ring drops in/out ${inDropped}/${outDropped}, relay ${JSON.stringify(s2)} from ${JSON.stringify(s0)})`,
      ).toBeLessThanOrEqual(kernel);

    // What the client got back: each message intact, at most once.
    const echoes = inbox.filter((m) => m.startsWith('m'));
    expect(new Set(echoes).size).toBe(echoes.length);
    for (const e of echoes) expect(e).toBe(PAYLOAD(Number(/^m(\d+):/.exec(e)?.[1])));
    const report = JSON.parse((await ask(inbox, 'report', (r) => r.startsWith('{'))) ?? 'null') as Report;
    expect(report, report === null ? whereThingsStand(events) : '').not.toBeNull();
    const ports = relay!.upstreamPorts(clientPort());

    const toServer = delta(s0, s1, 'droppedToServer');
    // In records, not datagrams (see ToClientRecords).
    const { forwarded: echoesForwarded, dropped: toClient, expired } = toClientRecords.fates(s2);
    // The client sent exactly the messages in that phase, the server exactly their echoes.
    balances(delta(s0, s1, 'forwardedToServer') + toServer, MESSAGES);
    balances(report.delivered, MESSAGES - toServer - inDropped);
    expect(report.duplicates).toBe(0);
    expect(report.corrupt).toBe(0);
    balances(echoesForwarded + toClient + expired, report.delivered - outDropped);
    balances(echoes.length, MESSAGES - toServer - inDropped - outDropped - toClient - expired);
    // One session all along: one connection, none ended; the server followed every rebind.
    expect(server!.stats.completed).toBe(0);
    expect(server!.stats.active).toBe(1);
    expect(relay!.stats.rebinds).toBeGreaterThanOrEqual(19);
    expect(events.length).toBe(relay!.stats.rebinds);
    expect(report.changes).toBe(events.length);
    expect(events[0]?.[1].port).toBe(firstPort);
    expect(report.port).toBe(ports.at(-1));
    expect(events.at(-1)?.[0]).toEqual({ address: '127.0.0.1', family: 'IPv4', port: ports.at(-1) });
    console.log(
      `blocking NAT rebinding with CIDs: ${MESSAGES} sent, ${report.delivered} reached the server (${toServer} dropped), ` +
        `${echoes.length} echoes back (${toClient} dropped, ${expired} to expired mappings; ${echoesForwarded} forwarded in ${delta(s0, s2, 'forwardedToClient')} datagrams); ` +
        `${relay!.stats.rebinds} rebinds, ${events.length} 'remoteAddressChange'; final remote port ${report.port}; ` +
        `${kernel} UDP datagrams dropped by the kernel (machine-wide); ${(performance.now() - t0).toFixed(0)} ms`,
    );

    // Spoofed CID records from a third address: a genuine one replayed (the replay window drops
    // it, RFC 6347 4.1.2.6) and a forged one (valid CID, newer sequence number, garbage
    // ciphertext: it does not authenticate). Neither moves the peer (RFC 9146 6).
    expect(captured).toBeDefined();
    const genuine = captured ?? new Uint8Array(0);
    const forged = forgeCidRecord(genuine, version, CID_LENGTH);
    const third = [await relay!.sendFromThirdAddress(genuine), await relay!.sendFromThirdAddress(forged)];
    expect(third.some((p) => ports.includes(p))).toBe(false);
    await sleep(500);
    inbox.length = 0;
    const after = JSON.parse((await ask(inbox, 'report', (r) => r.startsWith('{'))) ?? 'null') as Report;
    expect(after).not.toBeNull();
    const portsNow = relay!.upstreamPorts(clientPort());
    expect(after.duplicates).toBe(0); // the replayed message was not delivered again
    expect(after.delivered).toBe(report.delivered);
    // No move to the third address: the only change since is a rebind of the relay, if any.
    expect(after.port).toBe(portsNow.at(-1));
    expect(third).not.toContain(after.port);
    expect(events.every(([c]) => !third.includes(c.port))).toBe(true);
    expect(events.length).toBe(relay!.stats.rebinds);
    expect(await ask(inbox, 'still here', (r) => r === 'still here')).toBe('still here');
    console.log(`spoofed CID records from ports ${third.join(', ')}: remote stays ${after.port}, nothing delivered twice, session alive`);
    expect(performance.now() - t0).toBeLessThan(60_000);
  }, 90_000);

  it('without CIDs the first rebind ends the session (the server cannot tell the new port from a stranger)', async () => {
    const { inbox, events } = await setUp(false, version, handshakes);
    expect(await ask(inbox, 'ping', (r) => r === 'ping')).toBe('ping');
    await settle(inbox, 300, 3000);
    inbox.length = 0;
    await sendAll(200);
    await settle(inbox, 1000, 10_000);
    const echoed = inbox.filter((m) => m.startsWith('m')).map((m) => Number(/^m(\d+):/.exec(m)?.[1]));
    // Only messages sent before the mapping moved come back (the handshake and ping used a few of the 50).
    expect(relay!.stats.rebinds).toBeGreaterThanOrEqual(3);
    expect(echoed.length).toBeLessThan(REBIND_EVERY);
    expect(Math.max(-1, ...echoed)).toBeLessThan(REBIND_EVERY);
    expect(events).toEqual([]);
    expect(server!.stats.addressChanges).toBe(0);
    console.log(`blocking NAT rebinding without CIDs: ${echoed.length} of 200 echoed, none after the first rebind`);
  }, 60_000);
});
