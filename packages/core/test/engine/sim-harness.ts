/**
 * Helpers for running the engine on the simulated network: a PSK client and a server
 * (ServerEndpoint then DtlsConnection, see ServerNode) joined by a SimNetwork, with event
 * logs that drain pollEvent(). What it shares with the in-memory Pair (harness.ts) is in
 * ../support: the PSK credentials, ServerNode, EventLog, and the datagram readers (wire.ts).
 */
import {
  SimNetwork,
  VirtualClock,
  type LinkOptions,
  type RunResult,
  type ScriptHook,
  type SimEndpoint,
  type SimTraceEvent,
} from '@dtls-kit/test-kit';
import { utf8 } from '../../src/bytes.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { DtlsConnection } from '../../src/connection.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { nobleCryptoProvider } from '../../src/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { loadSodiumCryptoProvider } from '../../src/crypto/sodium-provider.js';
import { loadNativeCryptoProvider } from '../../src/crypto/native-provider.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { EventLog } from '../support/event-log.js';
import { clientPsk, serverPsk } from '../support/psk.js';
import { ServerNode } from '../support/server-node.js';

export const PSK_SUITES = [
  'TLS_PSK_WITH_AES_128_GCM_SHA256',
  'TLS_PSK_WITH_AES_256_GCM_SHA384',
  'TLS_PSK_WITH_AES_128_CCM',
  'TLS_PSK_WITH_AES_128_CCM_8',
  'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256',
] as const;

export type ProviderName = 'node' | 'noble' | 'sodium' | 'native';

/** The providers by name; sodium-native's is loaded (core's optional dependency, installed here: never skipped). */
export const PROVIDERS: Record<ProviderName, CryptoProvider> = {
  node: nodeCryptoProvider,
  noble: nobleCryptoProvider,
  sodium: loadSodiumCryptoProvider(),
  // @dtls-kit/native-aead's (OpenSSL EVP): core's optional dependency, built here: never skipped.
  native: loadNativeCryptoProvider(),
};

export interface PairOptions {
  suite?: string;
  clientProvider?: CryptoProvider;
  serverProvider?: CryptoProvider;
  seed?: number;
  link?: LinkOptions;
  aToB?: LinkOptions;
  bToA?: LinkOptions;
  script?: ScriptHook;
  /** mtu for both engines. */
  mtu?: number;
  client?: Partial<ClientOptions>;
  server?: Partial<ServerOptions>;
  /** Virtual time the simulation starts at (default 0). */
  startAt?: number;
  trace?: (event: SimTraceEvent) => void;
  /** Record every datagram sent (time, direction, bytes) in `sent`. */
  record?: boolean;
  /** The virtual clock (default: a new one at `startAt`). */
  clock?: VirtualClock;
  /** Wrap what the network sees of each side (e.g. to add virtual-time events). */
  wrapClient?: (endpoint: SimEndpoint) => SimEndpoint;
  wrapServer?: (endpoint: SimEndpoint) => SimEndpoint;
}

export interface SentDatagram {
  time: number;
  dir: 'AtoB' | 'BtoA';
  index: number;
  datagram: Uint8Array;
}

/**
 * Sits between the network and an endpoint and remembers how many datagrams the endpoint
 * emitted in answer to each datagram it received (amplification checks).
 */
export class ResponseCounter implements SimEndpoint {
  /** One entry per received datagram: [virtual time, datagrams emitted in answer]. */
  readonly answers: [number, number][] = [];
  private readonly queued: Uint8Array[] = [];

  constructor(readonly inner: SimEndpoint) {}

  receive(datagram: Uint8Array, now: number): void {
    this.queued.push(...this.inner.datagramsToSend());
    this.inner.receive(datagram, now);
    const out = this.inner.datagramsToSend();
    this.answers.push([now, out.length]);
    this.queued.push(...out);
  }

  datagramsToSend(): Uint8Array[] {
    return [...this.queued.splice(0), ...this.inner.datagramsToSend()];
  }

  nextTimeout(): number | undefined {
    return this.inner.nextTimeout();
  }

  handleTimeout(now: number): void {
    this.inner.handleTimeout(now);
  }
}

export class SimPair {
  readonly client: DtlsConnection;
  readonly server: ServerNode;
  /** What the server emitted per datagram received. */
  readonly serverAnswers: ResponseCounter;
  /** What the client emitted per datagram received. */
  readonly clientAnswers: ResponseCounter;
  readonly net: SimNetwork;
  readonly clientLog = new EventLog();
  readonly serverLog = new EventLog();
  /** Every datagram the endpoints emitted (when `record` is set), before faults. */
  readonly sent: SentDatagram[] = [];

  constructor(readonly options: PairOptions = {}) {
    const suite = options.suite ?? 'TLS_PSK_WITH_AES_128_GCM_SHA256';
    const mtu = options.mtu === undefined ? {} : { mtu: options.mtu };
    // `suite` is a DTLS 1.2 suite and the simulations around it are 1.2's: both sides pin 1.2 unless
    // the test's own options say otherwise (the 1.3 simulations set maxVersion).
    const endpoint = new ServerEndpoint({
      psk: serverPsk(),
      cipherSuites: suite,
      maxVersion: 'DTLSv1.2',
      provider: options.serverProvider ?? nodeCryptoProvider,
      ...mtu,
      ...options.server,
    });
    this.client = DtlsConnection.client({
      psk: clientPsk(),
      cipherSuites: suite,
      maxVersion: 'DTLSv1.2',
      provider: options.clientProvider ?? nodeCryptoProvider,
      ...mtu,
      ...options.client,
    });
    this.server = new ServerNode(endpoint);
    this.serverAnswers = new ResponseCounter(this.server);
    this.clientAnswers = new ResponseCounter(this.client);
    const clock = options.clock ?? new VirtualClock(options.startAt ?? 0);
    const userScript = options.script;
    const script: ScriptHook | undefined =
      options.record || userScript
        ? (dir, index, datagram) => {
            if (options.record) this.sent.push({ time: clock.now(), dir, index, datagram: datagram.slice() });
            return userScript?.(dir, index, datagram);
          }
        : undefined;
    this.net = new SimNetwork({
      a: options.wrapClient ? options.wrapClient(this.clientAnswers) : this.clientAnswers,
      b: options.wrapServer ? options.wrapServer(this.serverAnswers) : this.serverAnswers,
      clock,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.link === undefined ? {} : { link: options.link }),
      ...(options.aToB === undefined ? {} : { aToB: options.aToB }),
      ...(options.bToA === undefined ? {} : { bToA: options.bToA }),
      ...(script === undefined ? {} : { script }),
      ...(options.trace === undefined ? {} : { trace: options.trace }),
    });
  }

  get serverConn(): DtlsConnection | undefined {
    return this.server.connection;
  }

  now(): number {
    return this.net.now();
  }

  drain(): void {
    this.clientLog.drain(this.client, this.now());
    this.serverLog.drain(this.server.connection, this.now());
  }

  get established(): boolean {
    return this.client.state === 'established' && this.serverConn?.state === 'established';
  }

  /** Either side closed (an error or close_notify). */
  get anyClosed(): boolean {
    return this.client.state === 'closed' || this.serverConn?.state === 'closed';
  }

  /** Runs until `cond` holds, draining events after every step. */
  async runUntil(cond: () => boolean, maxTime = 600_000): Promise<RunResult> {
    return this.net.run({
      until: () => {
        this.drain();
        return cond();
      },
      maxTime,
    });
  }

  /** connect() then run until both ends are established or one of them closed. */
  async handshake(maxTime = 600_000): Promise<RunResult> {
    this.client.connect(this.now());
    return this.runUntil(() => this.established || this.anyClosed, maxTime);
  }

  /** Sends one message each way and runs until both arrived (or something closed). */
  async exchange(fromClient: string, fromServer: string, maxTime = 600_000): Promise<RunResult> {
    const server = this.serverConn;
    if (!server) throw new Error('no server connection');
    const c0 = this.serverLog.data.length;
    const s0 = this.clientLog.data.length;
    this.client.send(utf8(fromClient));
    server.send(utf8(fromServer));
    return this.runUntil(() => (this.serverLog.data.length > c0 && this.clientLog.data.length > s0) || this.anyClosed, maxTime);
  }
}

/** Percentiles of a list of numbers (nearest rank). */
export function summarize(values: readonly number[]): { min: number; p50: number; p90: number; p99: number; max: number; mean: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { min: s[0] ?? NaN, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] ?? NaN, mean: Math.round(mean) };
}

/**
 * Promises that settle at a given virtual time (a PSK "database" that answers after a delay).
 * Wrap an endpoint with `wrap` so the network wakes it when the next one is due.
 */
export class VirtualDelays {
  private pending: { at: number; seq: number; settle: () => void }[] = [];
  private seq = 0;

  constructor(readonly clock: VirtualClock) {}

  /** Resolves with `value()` `ms` after now (virtual). */
  after<T>(ms: number, value: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({
        at: this.clock.now() + ms,
        seq: this.seq++,
        settle: () => {
          try {
            resolve(value());
          } catch (err) {
            reject(err);
          }
        },
      });
    });
  }

  get count(): number {
    return this.pending.length;
  }

  next(): number | undefined {
    let t: number | undefined;
    for (const p of this.pending) if (t === undefined || p.at < t) t = p.at;
    return t;
  }

  fire(now: number): void {
    const due = this.pending.filter((p) => p.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.pending = this.pending.filter((p) => p.at > now);
    for (const p of due) p.settle();
  }

  wrap(inner: SimEndpoint): SimEndpoint {
    return {
      receive: (d, now) => inner.receive(d, now),
      datagramsToSend: () => inner.datagramsToSend(),
      nextTimeout: () => {
        const a = inner.nextTimeout();
        const b = this.next();
        return a === undefined ? b : b === undefined ? a : Math.min(a, b);
      },
      handleTimeout: (now) => {
        this.fire(now);
        const t = inner.nextTimeout();
        if (t !== undefined && t <= now) inner.handleTimeout(now);
      },
    };
  }
}
