/**
 * Our DTLS client and server on real UDP sockets (127.0.0.1), for the interop matrix:
 * - runOurClient: a DtlsConnection driven by the test kit's driveOverUdp; sends each
 *   message after the previous one came back, then close_notify.
 * - startOurServer: a ServerEndpoint served by serveOverUdp in echo mode.
 * Both tap the wire to tell whether a handshake message travelled in fragments.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  DtlsConnection,
  ServerEndpoint,
  nobleCryptoProvider,
  nodeCryptoProvider,
  type DtlsEvent,
} from '@dtls-kit/core';
import { ContentType, decodeHandshakeFragments, splitRecords } from '@dtls-kit/core/internal';
import { driveOverUdp, serveOverUdp, type SimEndpoint, type UdpServer } from '@dtls-kit/test-kit';
import { pskClient, pskServer } from '../../src/index.js';

export const PSK = '000102030405060708090a0b0c0d0e0f';
export const IDENTITY = 'Client_identity';

export const SUITES = [
  'PSK-AES128-GCM-SHA256',
  'PSK-AES256-GCM-SHA384',
  'PSK-AES128-CCM',
  'PSK-AES128-CCM8',
  'PSK-CHACHA20-POLY1305',
  'ECDHE-PSK-CHACHA20-POLY1305',
] as const;
export type Suite = (typeof SUITES)[number];

export type ProviderName = 'node' | 'noble';
const PROVIDERS = { node: nodeCryptoProvider, noble: nobleCryptoProvider } as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bindLoopback(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

export function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

/**
 * What the plaintext (epoch 0) handshake looked like on the wire: the message types each
 * way, and the messages that travelled split into several fragments.
 */
export class FragmentTap {
  /** e.g. "out type 16 0+187/258": a fragment of a ClientKeyExchange. */
  readonly fragments: string[] = [];
  /** e.g. "in 3" for a HelloVerifyRequest fragment received. */
  readonly messages: string[] = [];

  see(direction: 'in' | 'out', datagram: Uint8Array): void {
    for (const record of splitRecords(datagram)) {
      if (record.header.type !== ContentType.handshake || record.header.epoch !== 0) continue;
      try {
        for (const f of decodeHandshakeFragments(record.fragment)) {
          this.messages.push(`${direction} ${f.msgType}`);
          if (f.body.length < f.length) {
            this.fragments.push(`${direction} type ${f.msgType} ${f.fragmentOffset}+${f.body.length}/${f.length}`);
          }
        }
      } catch {
        // not ours to judge here
      }
    }
  }

  get sawIn(): boolean {
    return this.fragments.some((f) => f.startsWith('in '));
  }

  get sawOut(): boolean {
    return this.fragments.some((f) => f.startsWith('out '));
  }

  /** How many ClientHello fragments went out and HelloVerifyRequests came in (a client's view). */
  get cookieExchange(): { clientHellos: number; helloVerifyRequests: number } {
    return {
      clientHellos: this.messages.filter((m) => m === 'out 1').length,
      helloVerifyRequests: this.messages.filter((m) => m === 'in 3').length,
    };
  }
}

/**
 * A DtlsConnection seen through the SimEndpoint interface, collecting its events as they
 * happen and tapping datagrams both ways.
 */
class ObservedClient implements SimEndpoint {
  onWake: (() => void) | undefined;
  readonly events: DtlsEvent[] = [];
  readonly received: Uint8Array[] = [];
  private listeners: Array<() => void> = [];

  constructor(
    readonly connection: DtlsConnection,
    readonly tap: FragmentTap,
  ) {
    connection.onWake = () => this.onWake?.();
  }

  receive(datagram: Uint8Array, now: number): void {
    this.tap.see('in', datagram);
    this.connection.receive(datagram, now);
    this.drain();
  }

  datagramsToSend(): Uint8Array[] {
    this.drain();
    const out = this.connection.datagramsToSend();
    for (const d of out) this.tap.see('out', d);
    return out;
  }

  nextTimeout(): number | undefined {
    return this.connection.nextTimeout();
  }

  handleTimeout(now: number): void {
    this.connection.handleTimeout(now);
    this.drain();
  }

  private drain(): void {
    let changed = false;
    for (let e = this.connection.pollEvent(); e !== undefined; e = this.connection.pollEvent()) {
      this.events.push(e);
      if (e.type === 'data') this.received.push(e.data);
      changed = true;
    }
    if (changed) for (const l of this.listeners.splice(0)) l();
  }

  /** Resolves once `condition` holds (checked after each batch of events), rejects at the deadline. */
  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (condition()) return resolve();
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${this.describeEvents()}`));
      }, timeoutMs);
      const check = (): void => {
        if (condition()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.listeners.push(check);
        }
      };
      this.listeners.push(check);
    });
  }

  describeEvents(): string {
    return (
      this.events
        .map((e) => (e.type === 'close' ? `close(${e.error?.message ?? 'clean'})` : e.type === 'data' ? `data(${e.data.length})` : e.type))
        .join(', ') || 'none'
    );
  }
}

export interface OurClientOptions {
  port: number;
  suite: Suite;
  provider?: ProviderName;
  identity?: string;
  mtu?: number;
  messages: readonly string[];
  timeoutMs?: number;
  /** Called once the handshake is complete, before any message is sent. */
  onEstablished?: () => void;
  /** After the messages, wait for the peer to end the connection instead of closing it. */
  waitForPeerClose?: boolean;
}

export interface OurClientResult {
  /** OpenSSL name of the suite our client negotiated. */
  suite: string | undefined;
  /** What came back, decoded, concatenated. */
  received: string;
  events: string;
  /** Hint the server sent, as our pskCallback saw it. */
  hint: string | null | undefined;
  fragments: FragmentTap;
}

/**
 * Connects our client to 127.0.0.1:port, waits for the handshake, sends each message and
 * waits until the bytes come back (the peer echoes), then sends close_notify.
 * Throws with the events seen if any step does not happen in time.
 */
export async function runOurClient(options: OurClientOptions): Promise<OurClientResult> {
  const timeoutMs = options.timeoutMs ?? 8000;
  const socket = await bindLoopback();
  let hint: string | null | undefined;
  const identity = options.identity ?? IDENTITY;
  const connection = DtlsConnection.client({
    psk: pskClient({
      pskCallback: (h) => {
        hint = h;
        return { identity, psk: PSK };
      },
    }),
    cipherSuites: options.suite,
    provider: PROVIDERS[options.provider ?? 'node'],
    mtu: options.mtu,
  });
  const tap = new FragmentTap();
  const client = new ObservedClient(connection, tap);
  connection.connect(performance.now());
  const driver = driveOverUdp(client, socket, { address: '127.0.0.1', port: options.port });
  const closedOrDone = (done: () => boolean) => () => done() || client.events.some((e) => e.type === 'close');
  try {
    await client.until(
      closedOrDone(() => connection.state === 'established'),
      timeoutMs,
      'handshake-complete',
    );
    if (connection.state !== 'established') {
      throw new Error(`handshake failed: ${client.describeEvents()}`);
    }
    options.onEstablished?.();
    let expected = '';
    for (const message of options.messages) {
      expected += message;
      connection.send(encoder.encode(message));
      driver.pump();
      const want = expected;
      await client.until(
        closedOrDone(() => client.received.map((d) => decoder.decode(d)).join('').length >= want.length),
        timeoutMs,
        `the echo of ${JSON.stringify(message)}`,
      );
    }
    if (options.waitForPeerClose) await client.until(closedOrDone(() => false), timeoutMs, 'the peer to close');
    const received = client.received.map((d) => decoder.decode(d)).join('');
    const suite = connection.cipherSuite?.opensslName;
    const events = client.describeEvents();
    connection.close();
    driver.pump();
    return { suite, received, events, hint, fragments: tap };
  } finally {
    // Let close_notify leave before the socket goes.
    await new Promise((resolve) => setTimeout(resolve, 10));
    driver.stop();
    await closeSocket(socket);
  }
}

export interface OurServerOptions {
  suite: Suite;
  hint?: string;
  mtu?: number;
  provider?: ProviderName;
  /** Identities accepted, all with PSK (default: IDENTITY). */
  identities?: readonly string[];
}

export interface OurServer {
  port: number;
  server: UdpServer<DtlsConnection>;
  fragments: FragmentTap;
  /** Per accepted connection: suite, identity, data received, how it ended. */
  readonly sessions: Array<{ peer: string; suite?: string; identity?: string; data: string; handshake: boolean; close?: string }>;
  stop(): Promise<void>;
}

/** Our server on 127.0.0.1 (a free port), cookie exchange on, echoing every message. */
export async function startOurServer(options: OurServerOptions): Promise<OurServer> {
  const socket = await bindLoopback();
  const keys = Object.fromEntries((options.identities ?? [IDENTITY]).map((id) => [id, PSK]));
  const endpoint = new ServerEndpoint({
    psk: pskServer({ keys, pskIdentityHint: options.hint }),
    cipherSuites: options.suite,
    mtu: options.mtu,
    provider: PROVIDERS[options.provider ?? 'node'],
  });
  const fragments = new FragmentTap();
  const sessions: OurServer['sessions'] = [];
  const server = serveOverUdp(endpoint, socket, {
    echo: true,
    onDatagram: (direction, datagram) => fragments.see(direction, datagram),
    onAccept: (_c, peer) => sessions.push({ peer, data: '', handshake: false }),
    onEvent: (c, event, peer) => {
      const session = [...sessions].reverse().find((s) => s.peer === peer);
      if (!session) return;
      if (event.type === 'handshake-complete') {
        session.handshake = true;
        session.suite = c.cipherSuite?.opensslName;
        session.identity = c.pskIdentity ? decoder.decode(c.pskIdentity) : undefined;
      } else if (event.type === 'data') {
        session.data += decoder.decode(event.data);
      } else if (event.type === 'close') {
        session.close = event.error?.message ?? 'clean';
      }
    },
  });
  return {
    port: socket.address().port,
    server,
    fragments,
    sessions,
    stop: async () => {
      server.stop();
      await closeSocket(socket);
    },
  };
}
