/**
 * A fault-injecting UDP relay on 127.0.0.1 between real DTLS clients and a server, for tests
 * of RFC 6347 4.2.4 (timeouts and retransmission), 4.1.2.6 (replay), 4.2.3 (fragmentation)
 * and 4.1.2.7 (invalid records are dropped) over real sockets.
 *
 * Each client (source address and port) gets its own upstream socket, so the server sees one
 * peer per client. Two kinds of faults, both seeded by a test-kit Rng:
 *
 * - random, per direction: loss, duplication, reordering (a delay), truncation, corruption;
 * - scripted rules, matched against the records parsed from each datagram (content type, epoch,
 *   handshake message type) and counted per client or globally: "drop the HelloVerifyRequest",
 *   "drop the server's second flight twice", "hold the ChangeCipherSpec until the Finished has
 *   gone", "truncate the Certificate", "flip a byte of the ServerKeyExchange".
 *
 * It counts everything it did, application-data records (content type 23) included, so a test
 * can check that what arrived is what was sent minus what the relay destroyed: DTLS does not
 * retransmit application data.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { CONTENT_TYPE, describeRecord, parseRecords, recordBytes, type WireRecord } from './dtls-wire.js';
import { Rng } from './rng.js';

export type RelayDirection = 'toServer' | 'toClient';

/** Matches a record; every field given must hold. A datagram matches when one of its records does. */
export interface RecordMatch {
  contentType?: number | readonly number[];
  /** Epoch-0 handshake messages only (later epochs are encrypted). */
  handshakeType?: number | readonly number[];
  epoch?: number;
  minEpoch?: number;
}

export type FaultAction =
  /** Forward untouched (spared from random faults): a rule that only counts. */
  | { kind: 'pass' }
  | { kind: 'drop' }
  | { kind: 'duplicate'; copies?: number }
  | { kind: 'delay'; ms: number }
  /** Keep only the first `length` bytes (default: a random cut inside the datagram). */
  | { kind: 'truncate'; length?: number }
  /** XOR one byte (default: a random byte of a random record body) with a non-zero value. */
  | { kind: 'corrupt'; offset?: number }
  /**
   * Record-level: the matching records are taken out of the datagram and held (the rest goes
   * on); they are sent as their own datagram right after the next datagram, in the same
   * direction for the same client, that holds a record matching `until` (or after maxMs,
   * default 2000).
   */
  | { kind: 'hold'; until: RecordMatch; maxMs?: number };

export interface FaultRule {
  /** For reports. */
  name?: string;
  /** Default: both directions. */
  direction?: RelayDirection;
  match: RecordMatch;
  action: FaultAction;
  /** Matching datagrams let through before the rule acts (the nth occurrence is skip = n - 1). Default 0. */
  skip?: number;
  /** How many matching datagrams the rule acts on (default 1; Infinity: all). */
  times?: number;
  /** Count occurrences for each client separately (default true) or over all clients. */
  perClient?: boolean;
}

export interface RandomFaults {
  /** Probability that a datagram is dropped. */
  loss?: number;
  /** Probability that a datagram is sent twice. */
  duplicate?: number;
  /** Probability that a copy is delayed by delayMs (so later datagrams overtake it). */
  reorder?: number;
  /** Range of that delay, ms (default [5, 40]). */
  delayMs?: readonly [number, number];
  /** Probability that a datagram is cut short. */
  truncate?: number;
  /** Probability that one byte of a record body is flipped. */
  corrupt?: number;
}

export interface FaultRelayOptions {
  /** The server's UDP port (on targetHost, default 127.0.0.1). */
  target: number;
  targetHost?: string;
  seed: number;
  toServer?: RandomFaults;
  toClient?: RandomFaults;
  rules?: readonly FaultRule[];
  /** Datagrams whose records all match this are never hit by random faults (rules still apply). */
  spare?: RecordMatch;
  /** Bound on upstream sockets (clients); datagrams from further clients are dropped. Default 4096. */
  maxClients?: number;
  /** Keep a trace of every fault (bounded to 10 000 entries). */
  trace?: boolean;
  /**
   * SO_RCVBUF of the relay's sockets (default 1 MiB): a datagram the kernel drops because a
   * busy test process did not read in time is a loss the relay cannot count.
   */
  recvBufferSize?: number;
  /**
   * Reveals the content type of a DTLS 1.3 unified-header record (RFC 9147 4: it travels inside
   * the encryption, so ACKs, handshake messages and application data look alike), e.g. by opening
   * it with the session's key log; undefined when it cannot. Called once per record as its
   * datagram reaches the relay, in the order the sender sent them. Without it such records count
   * as no application data.
   */
  revealContentType?: (direction: RelayDirection, record: Uint8Array, clientPort: number) => number | undefined;
  /** Sees every datagram as it reaches the relay, before any fault. */
  onDatagram?: (direction: RelayDirection, records: readonly WireRecord[], datagram: Uint8Array, clientPort: number) => void;
}

export interface DirectionStats {
  /** Datagrams received by the relay in this direction. */
  datagrams: number;
  /** Bytes of those datagrams (UDP payloads), as the sender put them on the wire. */
  bytes: number;
  /** Datagrams sent on (duplicates and released holds included). */
  forwarded: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  /** Datagrams from which records were held. */
  held: number;
  truncated: number;
  corrupted: number;
  /** Application-data records seen / destroyed (in dropped datagrams, cut off by truncation) / corrupted. */
  appRecords: number;
  appDropped: number;
  appCorrupted: number;
}

export interface FaultRelayStats {
  toServer: DirectionStats;
  toClient: DirectionStats;
  /** Datagrams each rule acted on, by index in options.rules. */
  ruleHits: number[];
  /** Clients seen (upstream sockets opened). */
  clients: number;
  /** Datagrams dropped because maxClients was reached. */
  refusedClients: number;
}

export interface FaultEvent {
  readonly direction: RelayDirection;
  readonly clientPort: number;
  /** The rule's name or index, or 'random'. */
  readonly cause: string;
  readonly action: FaultAction['kind'];
  /** describeRecord of each record of the datagram. */
  readonly records: readonly string[];
}

export interface FaultRelay {
  /** The port clients send to (on 127.0.0.1). */
  readonly port: number;
  readonly stats: FaultRelayStats;
  /** Stats of one client, by its source port. */
  clientStats(clientPort: number): { toServer: DirectionStats; toClient: DirectionStats } | undefined;
  /** The upstream port the server sees for a client, by the client's source port. */
  upstreamPort(clientPort: number): number | undefined;
  /** The upstream ports the server sees, one per client so far. */
  upstreamPorts(): number[];
  /** The faults done so far (only with options.trace). */
  readonly trace: readonly FaultEvent[];
  /** Resolves once nothing is delayed or held (or after timeoutMs, default 5000). */
  settled(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

const TRACE_LIMIT = 10_000;

function emptyDirection(): DirectionStats {
  return { datagrams: 0, bytes: 0, forwarded: 0, dropped: 0, duplicated: 0, delayed: 0, held: 0, truncated: 0, corrupted: 0, appRecords: 0, appDropped: 0, appCorrupted: 0 };
}

function oneOf(value: number, wanted: number | readonly number[] | undefined): boolean {
  if (wanted === undefined) return true;
  return typeof wanted === 'number' ? value === wanted : wanted.includes(value);
}

export function recordMatches(record: WireRecord, match: RecordMatch): boolean {
  if (!oneOf(record.contentType, match.contentType)) return false;
  if (match.epoch !== undefined && record.epoch !== match.epoch) return false;
  if (match.minEpoch !== undefined && record.epoch < match.minEpoch) return false;
  if (match.handshakeType !== undefined) {
    if (record.handshakeType === undefined || !oneOf(record.handshakeType, match.handshakeType)) return false;
  }
  return true;
}

interface Held {
  readonly records: Uint8Array[];
  readonly until: RecordMatch;
  readonly timer: NodeJS.Timeout;
}

interface Client {
  readonly index: number;
  readonly port: number;
  readonly address: string;
  readonly upstream: dgram.Socket;
  readonly stats: { toServer: DirectionStats; toClient: DirectionStats };
  /** Occurrences of each per-client rule's match so far. */
  readonly seen: number[];
  readonly held: { toServer: Held[]; toClient: Held[] };
}

/** Starts the relay on an ephemeral port of 127.0.0.1. */
export async function startFaultRelay(options: FaultRelayOptions): Promise<FaultRelay> {
  const rules = options.rules ?? [];
  const targetHost = options.targetHost ?? '127.0.0.1';
  const maxClients = options.maxClients ?? 4096;
  const root = new Rng(options.seed);
  // One stream per direction: what one direction draws does not shift the other's faults.
  const rngs: Record<RelayDirection, Rng> = { toServer: root.fork(), toClient: root.fork() };
  const faults: Record<RelayDirection, RandomFaults> = { toServer: options.toServer ?? {}, toClient: options.toClient ?? {} };
  const stats: FaultRelayStats = { toServer: emptyDirection(), toClient: emptyDirection(), ruleHits: rules.map(() => 0), clients: 0, refusedClients: 0 };
  const globalSeen = rules.map(() => 0);
  const trace: FaultEvent[] = [];
  const clients = new Map<string, Client>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let settleWaiters: Array<() => void> = [];

  const recvBufferSize = options.recvBufferSize ?? 1 << 20;
  const front = dgram.createSocket({ type: 'udp4', recvBufferSize });
  front.on('error', () => {});

  const pending = (): number => {
    let n = timers.size;
    for (const c of clients.values()) n += c.held.toServer.length + c.held.toClient.length;
    return n;
  };
  const checkSettled = (): void => {
    if (pending() > 0 || settleWaiters.length === 0) return;
    const waiters = settleWaiters;
    settleWaiters = [];
    for (const w of waiters) w();
  };

  const count = (client: Client, direction: RelayDirection, key: keyof DirectionStats, n = 1): void => {
    stats[direction][key] += n;
    client.stats[direction][key] += n;
  };

  const note = (client: Client, direction: RelayDirection, cause: string, action: FaultAction['kind'], records: readonly WireRecord[]): void => {
    if (options.trace !== true || trace.length >= TRACE_LIMIT) return;
    trace.push({ direction, clientPort: client.port, cause, action, records: records.map(describeRecord) });
  };

  const rawSend = (client: Client, direction: RelayDirection, datagram: Uint8Array): void => {
    if (closed) return;
    count(client, direction, 'forwarded');
    try {
      if (direction === 'toServer') client.upstream.send(datagram, options.target, targetHost);
      else front.send(datagram, client.port, client.address);
    } catch {
      // A socket closed under us: the datagram is lost, as UDP may lose it anyway.
    }
  };

  /** Sends, then releases any held records waiting for what this datagram carries. */
  const forward = (client: Client, direction: RelayDirection, datagram: Uint8Array, records: readonly WireRecord[]): void => {
    rawSend(client, direction, datagram);
    const held = client.held[direction];
    for (let i = 0; i < held.length; ) {
      const h = held[i];
      if (h !== undefined && records.some((r) => recordMatches(r, h.until))) {
        held.splice(i, 1);
        clearTimeout(h.timer);
        rawSend(client, direction, Buffer.concat(h.records));
      } else {
        i++;
      }
    }
    checkSettled();
  };

  const later = (ms: number, f: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
      checkSettled();
    }, ms);
    timers.add(t);
  };

  const appIn = (records: readonly WireRecord[], from = 0): number =>
    records.filter((r) => r.contentType === CONTENT_TYPE.applicationData && r.offset >= from).length;

  /** Flips one byte; counts the application-data records it can have destroyed. */
  const corrupt = (
    client: Client,
    direction: RelayDirection,
    datagram: Uint8Array,
    records: readonly WireRecord[],
    offset: number | undefined,
    targets: readonly WireRecord[] = records,
  ): Uint8Array => {
    const rng = rngs[direction];
    const out = Uint8Array.from(datagram);
    let at = offset;
    if (at === undefined) {
      // A body byte: the record is then rejected by its MAC/AEAD check (or its handshake
      // transcript), and only that record: the framing of the others is untouched. A rule's
      // corruption hits a record the rule matched (its Finished, not a plaintext message beside it).
      const withBody = targets.filter((r) => r.complete && r.length > 0);
      const target = withBody.length > 0 ? withBody[rng.int(withBody.length)] : undefined;
      at = target === undefined ? rng.int(Math.max(1, out.length)) : target.offset + target.headerLength + rng.int(target.length);
    }
    if (at >= out.length) return out;
    out[at] = (out[at] ?? 0) ^ (1 + rng.int(255));
    count(client, direction, 'corrupted');
    const hit = records.find((r) => at >= r.offset && at < r.offset + r.headerLength + r.length);
    if (hit !== undefined) {
      // A header byte can change the framing of every later record too.
      const inHeader = at < hit.offset + hit.headerLength;
      const damaged = inHeader ? appIn(records, hit.offset) : hit.contentType === CONTENT_TYPE.applicationData ? 1 : 0;
      count(client, direction, 'appCorrupted', damaged);
    }
    return out;
  };

  const truncate = (client: Client, direction: RelayDirection, datagram: Uint8Array, records: readonly WireRecord[], length: number | undefined): Uint8Array => {
    const keep = Math.max(0, Math.min(datagram.length - 1, length ?? 1 + rngs[direction].int(Math.max(1, datagram.length - 1))));
    count(client, direction, 'truncated');
    const lost = records.filter((r) => r.contentType === CONTENT_TYPE.applicationData && r.offset + r.headerLength + r.length > keep).length;
    count(client, direction, 'appDropped', lost);
    return datagram.subarray(0, keep);
  };

  const drop = (client: Client, direction: RelayDirection, records: readonly WireRecord[]): void => {
    count(client, direction, 'dropped');
    count(client, direction, 'appDropped', appIn(records));
  };

  const applyRule = (client: Client, direction: RelayDirection, datagram: Uint8Array, records: WireRecord[], rule: FaultRule, cause: string): void => {
    const action = rule.action;
    note(client, direction, cause, action.kind, records);
    switch (action.kind) {
      case 'pass':
        forward(client, direction, datagram, records);
        return;
      case 'drop':
        drop(client, direction, records);
        return;
      case 'duplicate': {
        const copies = Math.max(2, action.copies ?? 2);
        count(client, direction, 'duplicated');
        for (let i = 0; i < copies; i++) forward(client, direction, datagram, records);
        return;
      }
      case 'delay':
        count(client, direction, 'delayed');
        later(action.ms, () => forward(client, direction, datagram, records));
        return;
      case 'truncate':
        forward(client, direction, truncate(client, direction, datagram, records, action.length), records);
        return;
      case 'corrupt':
        forward(client, direction, corrupt(client, direction, datagram, records, action.offset, records.filter((r) => recordMatches(r, rule.match))), records);
        return;
      case 'hold': {
        const matched = records.filter((r) => recordMatches(r, rule.match));
        const rest = records.filter((r) => !recordMatches(r, rule.match));
        const bytes = (r: WireRecord): Uint8Array => recordBytes(datagram, r);
        count(client, direction, 'held');
        const list = client.held[direction];
        const h: Held = {
          records: matched.map(bytes),
          until: action.until,
          timer: setTimeout(() => {
            const i = list.indexOf(h);
            if (i >= 0) {
              list.splice(i, 1);
              rawSend(client, direction, Buffer.concat(h.records));
              checkSettled();
            }
          }, action.maxMs ?? 2000),
        };
        list.push(h);
        if (rest.length > 0) forward(client, direction, Buffer.concat(rest.map(bytes)), rest);
        return;
      }
    }
  };

  const random = (client: Client, direction: RelayDirection, datagram: Uint8Array, records: WireRecord[]): void => {
    const f = faults[direction];
    const rng = rngs[direction];
    if (options.spare !== undefined && records.length > 0 && records.every((r) => options.spare !== undefined && recordMatches(r, options.spare))) {
      forward(client, direction, datagram, records);
      return;
    }
    if (rng.chance(f.loss ?? 0)) {
      note(client, direction, 'random', 'drop', records);
      drop(client, direction, records);
      return;
    }
    let out = datagram;
    // One kind of damage per datagram, so each destroyed application record is counted once.
    if (rng.chance(f.truncate ?? 0)) {
      note(client, direction, 'random', 'truncate', records);
      out = truncate(client, direction, out, records, undefined);
    } else if (rng.chance(f.corrupt ?? 0)) {
      note(client, direction, 'random', 'corrupt', records);
      out = corrupt(client, direction, out, records, undefined);
    }
    const copies = rng.chance(f.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) count(client, direction, 'duplicated');
    const [lo, hi] = f.delayMs ?? [5, 40];
    for (let i = 0; i < copies; i++) {
      if (rng.chance(f.reorder ?? 0)) {
        count(client, direction, 'delayed');
        const copy = out;
        later(rng.range(lo, hi), () => forward(client, direction, copy, records));
      } else {
        forward(client, direction, out, records);
      }
    }
  };

  const revealed = (client: Client, direction: RelayDirection, datagram: Uint8Array, records: WireRecord[]): WireRecord[] => {
    const reveal = options.revealContentType;
    if (reveal === undefined) return records;
    return records.map((r) => {
      const contentType = r.unified ? reveal(direction, recordBytes(datagram, r), client.port) : undefined;
      return contentType === undefined ? r : { ...r, contentType };
    });
  };

  const handle = (client: Client, direction: RelayDirection, datagram: Uint8Array): void => {
    if (closed) return;
    const records = revealed(client, direction, datagram, parseRecords(datagram));
    count(client, direction, 'datagrams');
    count(client, direction, 'bytes', datagram.length);
    count(client, direction, 'appRecords', appIn(records));
    options.onDatagram?.(direction, records, datagram, client.port);
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule === undefined) continue;
      if (rule.direction !== undefined && rule.direction !== direction) continue;
      if (!records.some((r) => recordMatches(r, rule.match))) continue;
      const seen = rule.perClient === false ? globalSeen : client.seen;
      const occurrence = seen[i] ?? 0;
      seen[i] = occurrence + 1;
      const skip = rule.skip ?? 0;
      if (occurrence < skip || occurrence >= skip + (rule.times ?? 1)) continue;
      stats.ruleHits[i] = (stats.ruleHits[i] ?? 0) + 1;
      applyRule(client, direction, datagram, records, rule, rule.name ?? `rule ${i}`);
      return;
    }
    random(client, direction, datagram, records);
  };

  front.on('message', (msg, rinfo) => {
    if (closed) return;
    const key = `${rinfo.address}:${rinfo.port}`;
    let client = clients.get(key);
    if (client === undefined) {
      if (clients.size >= maxClients) {
        stats.refusedClients++;
        return;
      }
      const upstream = dgram.createSocket({ type: 'udp4', recvBufferSize });
      upstream.on('error', () => {});
      // send() before the bind completes is queued by node:dgram until 'listening'.
      upstream.bind(0, '127.0.0.1');
      const c: Client = {
        index: clients.size,
        port: rinfo.port,
        address: rinfo.address,
        upstream,
        stats: { toServer: emptyDirection(), toClient: emptyDirection() },
        seen: rules.map(() => 0),
        held: { toServer: [], toClient: [] },
      };
      upstream.on('message', (reply) => handle(c, 'toClient', new Uint8Array(reply.buffer, reply.byteOffset, reply.byteLength)));
      clients.set(key, c);
      stats.clients++;
      client = c;
    }
    handle(client, 'toServer', new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
  });
  front.bind(0, '127.0.0.1');
  await once(front, 'listening');

  const byPort = (clientPort: number): Client | undefined => clients.get(`127.0.0.1:${clientPort}`);

  return {
    port: front.address().port,
    stats,
    trace,
    clientStats: (clientPort) => byPort(clientPort)?.stats,
    upstreamPort: (clientPort) => {
      try {
        return byPort(clientPort)?.upstream.address().port;
      } catch {
        return undefined;
      }
    },
    upstreamPorts: () => {
      const ports: number[] = [];
      for (const c of clients.values()) {
        try {
          ports.push(c.upstream.address().port);
        } catch {
          // not bound yet
        }
      }
      return ports;
    },
    settled: (timeoutMs = 5000) =>
      new Promise<boolean>((resolve) => {
        if (pending() === 0) {
          resolve(true);
          return;
        }
        const t = setTimeout(() => {
          settleWaiters = settleWaiters.filter((w) => w !== done);
          resolve(false);
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(t);
          resolve(true);
        };
        settleWaiters.push(done);
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of clients.values()) for (const h of [...c.held.toServer, ...c.held.toClient]) clearTimeout(h.timer);
      for (const w of settleWaiters) w();
      settleWaiters = [];
      const sockets = [front, ...[...clients.values()].map((c) => c.upstream)];
      await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
