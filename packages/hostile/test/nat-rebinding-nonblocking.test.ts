/**
 * A client behind a NAT that rebinds, over real sockets, with @dtls-kit/nonblocking on both ends
 * (RFC 9146, connection IDs). The relay (test-kit's startNatRelay) gives the client a new source
 * port every 50 of its datagrams and loses 10% of the datagrams each way; replies the server
 * sends to an expired mapping are lost too, as behind a real NAT.
 *
 * - With CIDs: one session survives 20 rebinds in 1,000 messages; every message arrives intact
 *   and at most once; what arrives is exactly what was sent minus what the relay dropped (its
 *   loss, and replies to expired mappings), counted datagram by datagram; the server socket
 *   emits 'remoteAddressChange' once per rebind and ends at the last upstream port.
 * - Without CIDs the same run loses the session at the first rebind (so the test above can fail).
 * - A genuine CID record replayed from a third address, and a forged one (the connection's CID,
 *   a newer sequence number, garbage ciphertext), move nothing and deliver nothing (RFC 9146 6:
 *   the address moves only on a record that authenticates and is newer than any before it).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { ContentType } from '@dtls-kit/core/internal';
import { connect, createServer, type DtlsServer, type DtlsSocket, type RemoteAddressInfo } from '@dtls-kit/nonblocking';
import { HIDDEN_CONTENT_TYPE, startNatRelay, type NatRelay } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { forgeCidRecord, isUnifiedHeader, startsWithCidRecord, type DtlsVersion } from './support/cid-records.js';
import { PSK_SUITE, clientPsk, serverPsk } from './support/credentials.js';
import { KeyLogOpener } from './support/key-log-opener.js';
import { sleep, waitUntil } from './support/pool.js';

const MESSAGES = 1_000;
const REBIND_EVERY = 50;
const LOSS = 0.1;
/** How long a message waits for its echo before the next is sent (a lost one costs this). */
const PACE_MS = 15;

let server: DtlsServer | undefined;
let relay: NatRelay | undefined;
const clients: DtlsSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

/** Message `i`'s text: its index and a digest of it, so that a damaged or misrouted one shows. */
function payload(i: number): string {
  return `m${i}:${createHash('sha256').update(`message ${i}`).digest('hex')}`;
}

function indexOf(text: string): number | undefined {
  const m = /^m(\d+):([0-9a-f]{64})$/.exec(text);
  if (m === null) return undefined;
  const i = Number(m[1]);
  return payload(i) === text ? i : undefined;
}

/**
 * Which datagrams the relay dropped, one by one. The relay calls onToServer/onToClient just
 * before it decides a datagram's fate, so the drop counters read at the next call (or at the
 * end) tell whether the one before was dropped.
 */
class DropLedger {
  private readonly seen: { type: number; upstreamPort: number; droppedBefore: number }[] = [];

  constructor(private readonly dropped: () => number) {}

  /** `type`: the content type of the datagram's first record (DTLS 1.3: as the key log opens it). */
  record(type: number, upstreamPort: number): void {
    this.seen.push({ type, upstreamPort, droppedBefore: this.dropped() });
  }

  /** Every datagram seen so far whose first record has `type`, with whether it was dropped. */
  fates(type: number): { upstreamPort: number; dropped: boolean }[] {
    const out: { upstreamPort: number; dropped: boolean }[] = [];
    const end = this.dropped();
    for (const [i, s] of this.seen.entries()) {
      const after = this.seen[i + 1]?.droppedBefore ?? end;
      if (s.type === type) out.push({ upstreamPort: s.upstreamPort, dropped: after > s.droppedBefore });
    }
    return out;
  }
}

interface Run {
  sent: number;
  /** Echoes received by the client, per message index. */
  echoes: Map<number, number>;
  /** Messages received by the server, per message index. */
  received: Map<number, number>;
  /** Messages that arrived damaged (not one of ours). */
  damaged: number;
  moves: Array<[RemoteAddressInfo, RemoteAddressInfo]>;
  toServer: DropLedger;
  toClient: DropLedger;
  client: DtlsSocket;
  socket: DtlsSocket;
  relay: NatRelay;
  ms: number;
}

/**
 * The client sends MESSAGES messages through the NAT, one at a time, each waiting for its echo
 * or PACE_MS; then (CIDs only) one more at a time until an echo proves the last mapping reached
 * the server. Bounded: at most MESSAGES + 30 messages.
 */
async function natRun(withCid: boolean, messages: number, version: DtlsVersion): Promise<Run> {
  const received = new Map<number, number>();
  let damaged = 0;
  const moves: Array<[RemoteAddressInfo, RemoteAddressInfo]> = [];
  const s = createServer({ psk: serverPsk(), cipherSuites: PSK_SUITE, ...(withCid ? { connectionId: { length: 8 } } : {}) }, (socket) => {
    socket.on('remoteAddressChange', (current, previous) => moves.push([current, previous]));
    socket.on('message', (m) => {
      const i = indexOf(m.toString('utf8'));
      if (i === undefined) {
        damaged++;
        return;
      }
      received.set(i, (received.get(i) ?? 0) + 1);
      socket.send(m);
    });
  });
  server = s;
  const accepted = once(s, 'connection').then(([socket]) => socket);
  const { port } = await s.listen(0, '127.0.0.1');
  let ledgers: { toServer: DropLedger; toClient: DropLedger } | undefined;
  // DTLS 1.3 hides the content type (RFC 9147 4): the client's key log opens its records, so that
  // application data is told from ACKs; a 1.2 datagram's first byte is its first record's type.
  const opener = new KeyLogOpener();
  const typeOf = (direction: 'toServer' | 'toClient', d: Uint8Array): number =>
    isUnifiedHeader(d[0] ?? 0) ? (opener.reveal(direction, d) ?? HIDDEN_CONTENT_TYPE) : (d[0] ?? 0);
  const r = await startNatRelay({
    target: port,
    rebindEvery: REBIND_EVERY,
    loss: LOSS,
    seed: 9146,
    onToServer: (d, upstream) => ledgers?.toServer.record(typeOf('toServer', d), upstream),
    onToClient: (d, upstream) => ledgers?.toClient.record(typeOf('toClient', d), upstream),
  });
  relay = r;
  ledgers = {
    toServer: new DropLedger(() => r.stats.droppedToServer),
    toClient: new DropLedger(() => r.stats.droppedToClient + r.stats.toExpiredMapping),
  };
  // A short first retransmission timeout: the handshake goes through the same 10% loss.
  const client = await connect({
    host: '127.0.0.1',
    port: r.port,
    psk: clientPsk(),
    cipherSuites: PSK_SUITE,
    retransmit: { initialMs: 100 },
    ...(withCid ? { connectionId: { length: 4 } } : {}),
    maxVersion: version,
    keylog: opener.onLine,
  });
  clients.push(client);
  opener.established(client.getCipher().standardName, client.connectionId);
  expect(client.getProtocol()).toBe(version);
  const socket = await accepted;

  const echoes = new Map<number, number>();
  let waiting: { index: number; resolve: () => void } | undefined;
  client.on('message', (m) => {
    const i = indexOf(m.toString('utf8'));
    if (i === undefined) {
      damaged++;
      return;
    }
    echoes.set(i, (echoes.get(i) ?? 0) + 1);
    if (waiting?.index === i) waiting.resolve();
  });
  const started = performance.now();
  let sent = 0;
  const sendOne = async (): Promise<boolean> => {
    const i = sent++;
    const echoed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), PACE_MS);
      waiting = {
        index: i,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
    });
    client.send(payload(i));
    const ok = await echoed;
    waiting = undefined;
    return ok;
  };
  for (let i = 0; i < messages; i++) await sendOne();
  // The last mapping must have reached the server once, for its final address to be known.
  if (withCid) for (let extra = 0; extra < 30 && !(await sendOne()); extra++);
  // Echoes still in flight, and the relay's queue.
  await sleep(100);
  return { sent, echoes, received, damaged, moves, toServer: ledgers.toServer, toClient: ledgers.toClient, client, socket, relay: r, ms: performance.now() - started };
}

const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

describe.each(['DTLSv1.3', 'DTLSv1.2'] as const)('a NAT that rebinds, over real sockets (@dtls-kit/nonblocking, RFC 9146), %s', (version) => {
  it(`with CIDs: one session through ${MESSAGES / REBIND_EVERY} rebinds in ${MESSAGES} messages at ${LOSS * 100}% loss, nothing lost but what the relay dropped`, async () => {
    const run = await natRun(true, MESSAGES, version);
    const { relay: r, socket, client } = run;
    const ports = r.upstreamPorts(client.address()?.port ?? 0);
    // Application data only: in 1.2 datagrams starting with a tls12_cid record (the handshake's
    // flights start with a plain handshake or ChangeCipherSpec record); in 1.3 records the key log
    // opens as application data (not the ACKs).
    const dataType = version === 'DTLSv1.2' ? ContentType.tls12_cid : ContentType.application_data;
    const toServer = run.toServer.fates(dataType);
    const toClient = run.toClient.fates(dataType);
    const lostToServer = toServer.filter((f) => f.dropped).length;
    const lostToClient = toClient.filter((f) => f.dropped).length;
    console.log(
      `NAT rebinding with CIDs: ${run.sent} messages in ${run.ms.toFixed(0)} ms, ${r.stats.rebinds} rebinds, ` +
        `${run.moves.length} remoteAddressChange events; server got ${run.received.size} (relay dropped ${lostToServer}), ` +
        `client got ${run.echoes.size} echoes (relay dropped ${lostToClient}, ${r.stats.toExpiredMapping} of all datagrams to expired mappings)`,
    );

    // One session: the same connection on both ends, still established.
    expect(server?.stats).toMatchObject({ accepted: 1, established: 1, connections: 1, replaced: 0 });
    expect(client.state).toBe('established');
    expect(socket.state).toBe('established');
    expect(r.stats.rebinds).toBeGreaterThanOrEqual(MESSAGES / REBIND_EVERY);
    expect(r.stats.rebinds).toBeLessThanOrEqual(MESSAGES / REBIND_EVERY + 1);

    // Intact and at most once, both ways.
    expect(run.damaged).toBe(0);
    expect(sum(run.received)).toBe(run.received.size);
    expect(sum(run.echoes)).toBe(run.echoes.size);
    // Delivered = sent − what the relay dropped, datagram by datagram.
    expect(toServer.length).toBe(run.sent);
    expect(run.received.size).toBe(run.sent - lostToServer);
    expect(toClient.length).toBe(run.received.size);
    expect(run.echoes.size).toBe(run.received.size - lostToClient);
    expect(lostToServer).toBeGreaterThan(0);

    // The server followed every mapping that reached it, in order, and ends at the last one.
    const reached = [...new Set(toServer.filter((f) => !f.dropped).map((f) => f.upstreamPort))];
    expect(reached[0]).toBe(ports[0]);
    expect(run.moves.map(([current]) => current.port)).toEqual(reached.slice(1));
    expect(run.moves.length).toBe(r.stats.rebinds);
    for (const [i, [current, previous]] of run.moves.entries()) {
      expect(previous).toEqual({ address: '127.0.0.1', family: 'IPv4', port: reached[i] });
      expect(current.address).toBe('127.0.0.1');
    }
    expect(socket.remoteAddress).toBe('127.0.0.1');
    expect(socket.remotePort).toBe(ports.at(-1));
    // The client's own remote never moves (its socket is connected to the relay).
    expect(client.remotePort).toBe(r.port);
  });

  it('without CIDs the same run loses the session at the first rebind', async () => {
    const run = await natRun(false, 2 * REBIND_EVERY, version);
    const { relay: r } = run;
    const toServer = run.toServer.fates(ContentType.application_data);
    // The client datagram that started the first rebind, counted over all its datagrams.
    const firstMapping = run.relay.upstreamPorts(run.client.address()?.port ?? 0)[0];
    const beforeRebind = toServer.filter((f) => f.upstreamPort === firstMapping).length;
    const last = Math.max(...run.received.keys());
    console.log(`NAT rebinding without CIDs: ${run.sent} messages, ${r.stats.rebinds} rebinds; server got ${run.received.size}, the last being #${last}; ${beforeRebind} went out of the first port`);
    expect(r.stats.rebinds).toBeGreaterThanOrEqual(1);
    expect(run.moves).toEqual([]);
    // Nothing sent after the rebind reached the session, nor came back.
    expect(last).toBeLessThan(beforeRebind);
    expect(Math.max(...run.echoes.keys())).toBeLessThan(beforeRebind);
    expect(run.received.size).toBeLessThan(beforeRebind);
    // The server took the new port's records for a stranger's: not a ClientHello, dropped.
    expect(server?.stats.dropped.notClientHello).toBeGreaterThan(0);
    expect(server?.stats.established).toBe(1);
  });

  it('a CID record replayed, or forged, from a third address moves nothing and delivers nothing', async () => {
    const received: string[] = [];
    const moves: unknown[] = [];
    const CID_LENGTH = 8;
    const s = createServer({ psk: serverPsk(), cipherSuites: PSK_SUITE, connectionId: { length: CID_LENGTH } }, (socket) => {
      socket.on('remoteAddressChange', (current, previous) => moves.push([current, previous]));
      socket.on('message', (m) => {
        received.push(m.toString('utf8'));
        socket.send(m);
      });
    });
    server = s;
    s.on('remoteAddressChange', (current) => moves.push(current));
    const accepted = once(s, 'connection').then(([socket]) => socket);
    const { port } = await s.listen(0, '127.0.0.1');
    const captured: Uint8Array[] = [];
    const r = await startNatRelay({
      target: port,
      rebindEvery: Infinity,
      onToServer: (d) => {
        if (startsWithCidRecord(d, version)) captured.push(d.slice());
      },
    });
    relay = r;
    const client = await connect({ host: '127.0.0.1', port: r.port, psk: clientPsk(), cipherSuites: PSK_SUITE, connectionId: { length: 0 }, maxVersion: version });
    clients.push(client);
    const socket = await accepted;
    const roundTrip = async (text: string): Promise<string> => {
      const reply = once(client, 'message') as Promise<[Buffer]>;
      client.send(text);
      return (await reply)[0].toString('utf8');
    };
    for (const text of ['one', 'two', 'three']) expect(await roundTrip(text)).toBe(text);
    const home = { address: socket.remoteAddress, port: socket.remotePort };
    expect(home.port).toBe(r.upstreamPorts(client.address()?.port ?? 0)[0]);
    // The client's last data record: the newest the server has seen.
    const genuine = captured.at(-1);
    if (genuine === undefined) throw new Error('no CID record captured');

    // A replay: the same bytes from a third address. It authenticates, but is not new (RFC 6347
    // 4.1.2.6 replay window), so it is dropped, and does not move the peer (RFC 9146 6).
    const replayed = socket.stats.replayed;
    const thirdPort = await r.sendFromThirdAddress(genuine);
    expect(await waitUntil(() => socket.stats.replayed === replayed + 1, 5000)).toBe(true);

    // A forgery: the connection's CID and a sequence number far ahead of any sent (it would be
    // "newest"), with garbage for ciphertext. It fails authentication: dropped, nothing moves.
    const forged = forgeCidRecord(genuine, version, CID_LENGTH);
    const badMac = socket.stats.badMac;
    const forgerPort = await r.sendFromThirdAddress(forged);
    expect(await waitUntil(() => socket.stats.badMac === badMac + 1, 5000)).toBe(true);
    console.log(`spoofed CID records: a replay from port ${thirdPort} and a forgery from port ${forgerPort} were dropped (replayed ${socket.stats.replayed}, badMac ${socket.stats.badMac})`);

    expect(moves).toEqual([]);
    expect({ address: socket.remoteAddress, port: socket.remotePort }).toEqual(home);
    expect(received).toEqual(['one', 'two', 'three']);
    // The session goes on, at its own address, with a genuine record newer than the replay.
    expect(await roundTrip('four')).toBe('four');
    expect(received).toEqual(['one', 'two', 'three', 'four']);
    expect({ address: socket.remoteAddress, port: socket.remotePort }).toEqual(home);
    expect(moves).toEqual([]);
    expect(server?.stats).toMatchObject({ connections: 1, established: 1 });
  });
});
