/**
 * Our DTLS client and server with certificate credentials on real UDP sockets (127.0.0.1),
 * for the interop matrix and the negative cases (after the PSK harness, packages/psk/test/interop):
 * - connectOurClient: a DtlsConnection driven by the test kit's driveOverUdp, resolved once
 *   the handshake completed or the connection closed (a failed handshake is a result here,
 *   not an exception, so negative cases can look at the error).
 * - runOurClient: connects, sends each message after the previous one came back, then
 *   close_notify.
 * - startOurServer: a ServerEndpoint served by serveOverUdp in echo mode, recording per
 *   connection what an application would see (suite, peer certificates, authorized, error).
 * Both tap the wire to tell whether a handshake message travelled in fragments.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  DtlsConnection,
  ServerEndpoint,
  nobleCryptoProvider,
  nodeCryptoProvider,
  type DtlsError,
  type DtlsEvent,
} from '@dtls-kit/core';
import { ContentType, decodeHandshakeFragments, splitRecords } from '@dtls-kit/core/internal';
import { driveOverUdp, serveOverUdp, type SimEndpoint, type UdpDriver, type UdpServer } from '@dtls-kit/test-kit';
import type { X509ClientCredentials, X509ServerCredentials } from '../../src/index.js';
import type { KeyKind } from './pki.js';

/** Every certificate suite of the issue, by OpenSSL name, with the key its server needs. */
export const SUITES = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'ecdsa',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'ecdsa',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'ecdsa',
  'ECDHE-ECDSA-AES128-CCM': 'ecdsa',
  'ECDHE-ECDSA-AES128-CCM8': 'ecdsa',
  'ECDHE-RSA-AES128-GCM-SHA256': 'rsa',
  'ECDHE-RSA-AES256-GCM-SHA384': 'rsa',
  'ECDHE-RSA-CHACHA20-POLY1305': 'rsa',
} as const satisfies Record<string, KeyKind>;
export type Suite = keyof typeof SUITES;

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
  /** e.g. "out type 11 0+250/1021": a fragment of a Certificate. */
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

  /** True when a handshake message of this type (11 = Certificate) travelled in fragments that way. */
  fragmented(direction: 'in' | 'out', msgType?: number): boolean {
    const prefix = msgType === undefined ? `${direction} ` : `${direction} type ${msgType} `;
    return this.fragments.some((f) => f.startsWith(prefix));
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

  get closed(): boolean {
    return this.events.some((e) => e.type === 'close');
  }

  /** The error the connection closed with (undefined while open or after a clean close). */
  get closeError(): DtlsError | undefined {
    for (const e of this.events) if (e.type === 'close') return e.error;
    return undefined;
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
  x509: X509ClientCredentials;
  /** The name the server's certificate must carry (also sent as server_name). */
  servername?: string;
  /** One suite, or a list (OpenSSL names, colon-separated). */
  suite: string;
  provider?: ProviderName;
  mtu?: number;
  timeoutMs?: number;
}

/** Our client, connected (or failed): look at it, then close(). */
export interface OurClient {
  readonly connection: DtlsConnection;
  readonly tap: FragmentTap;
  readonly established: boolean;
  /** The error the connection closed with, if it did. */
  readonly closeError: DtlsError | undefined;
  describeEvents(): string;
  /** Sends each message once the previous one came back; resolves with all that came back. */
  exchange(messages: readonly string[]): Promise<string>;
  /** close_notify (if still open), then the socket goes. */
  close(): Promise<void>;
}

/**
 * Connects our client to 127.0.0.1:port and resolves once the handshake completed or the
 * connection closed; rejects only if neither happens in time.
 */
export async function connectOurClient(options: OurClientOptions): Promise<OurClient> {
  const timeoutMs = options.timeoutMs ?? 8000;
  const socket = await bindLoopback();
  const connection = DtlsConnection.client({
    x509: options.x509,
    servername: options.servername,
    cipherSuites: options.suite,
    provider: PROVIDERS[options.provider ?? 'node'],
    mtu: options.mtu,
  });
  const tap = new FragmentTap();
  const client = new ObservedClient(connection, tap);
  connection.connect(performance.now());
  const driver: UdpDriver = driveOverUdp(client, socket, { address: '127.0.0.1', port: options.port });
  const shutdown = async (): Promise<void> => {
    // Let close_notify (or the alert) leave before the socket goes.
    await new Promise((resolve) => setTimeout(resolve, 10));
    driver.stop();
    await closeSocket(socket);
  };
  try {
    await client.until(() => connection.state === 'established' || client.closed, timeoutMs, 'handshake-complete');
  } catch (error) {
    await shutdown();
    throw error;
  }
  return {
    connection,
    tap,
    established: connection.state === 'established',
    get closeError() {
      return client.closeError;
    },
    describeEvents: () => client.describeEvents(),
    exchange: async (messages) => {
      let expected = '';
      const receivedText = (): string => client.received.map((d) => decoder.decode(d)).join('');
      for (const message of messages) {
        expected += message;
        connection.send(encoder.encode(message));
        driver.pump();
        const want = expected.length;
        await client.until(() => receivedText().length >= want || client.closed, timeoutMs, `the echo of ${JSON.stringify(message)}`);
      }
      return receivedText();
    },
    close: async () => {
      if (!client.closed) {
        connection.close();
        driver.pump();
      }
      await shutdown();
    },
  };
}

export interface OurServerOptions {
  suite: string;
  x509: X509ServerCredentials;
  mtu?: number;
  provider?: ProviderName;
}

/** What our server saw of one connection. */
export interface OurSession {
  peer: string;
  handshake: boolean;
  suite?: string;
  servername?: string;
  peerCertificates: readonly Uint8Array[];
  authorized?: boolean;
  authorizationError?: Error;
  data: string;
  /** 'clean' after close_notify, else the error's message. */
  close?: string;
  closeError?: DtlsError;
}

export interface OurServer {
  port: number;
  server: UdpServer<DtlsConnection>;
  fragments: FragmentTap;
  readonly sessions: OurSession[];
  /** Resolves once some session has closed (or at the deadline, without throwing). */
  waitForClose(timeoutMs?: number): Promise<void>;
  describe(): string;
  stop(): Promise<void>;
}

/** Our server on 127.0.0.1 (a free port), cookie exchange on, echoing every message. */
export async function startOurServer(options: OurServerOptions): Promise<OurServer> {
  const socket = await bindLoopback();
  const endpoint = new ServerEndpoint({
    x509: options.x509,
    cipherSuites: options.suite,
    mtu: options.mtu,
    provider: PROVIDERS[options.provider ?? 'node'],
  });
  const fragments = new FragmentTap();
  const sessions: OurSession[] = [];
  let onClose: (() => void) | undefined;
  const server = serveOverUdp(endpoint, socket, {
    echo: true,
    onDatagram: (direction, datagram) => fragments.see(direction, datagram),
    onAccept: (_c, peer) => sessions.push({ peer, data: '', handshake: false, peerCertificates: [] }),
    onEvent: (c, event, peer) => {
      const session = [...sessions].reverse().find((s) => s.peer === peer);
      if (!session) return;
      if (event.type === 'handshake-complete') {
        session.handshake = true;
        session.suite = c.cipherSuite?.opensslName;
        session.servername = c.servername;
        session.peerCertificates = c.peerCertificates;
        session.authorized = c.authorized;
        session.authorizationError = c.authorizationError;
      } else if (event.type === 'data') {
        session.data += decoder.decode(event.data);
      } else if (event.type === 'close') {
        session.close = event.error?.message ?? 'clean';
        session.closeError = event.error;
        onClose?.();
      }
    },
  });
  return {
    port: socket.address().port,
    server,
    fragments,
    sessions,
    waitForClose: (timeoutMs = 3000) =>
      new Promise<void>((resolve) => {
        if (sessions.some((s) => s.close !== undefined)) return resolve();
        const timer = setTimeout(resolve, timeoutMs);
        onClose = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    describe: () =>
      [
        `our server: sessions ${JSON.stringify(sessions.map((s) => ({ ...s, peerCertificates: s.peerCertificates.length, closeError: undefined })))}`,
        `errors ${server.errors.map((e) => e.error.message).join('; ')}`,
        `stats ${JSON.stringify(server.stats)} fragments ${fragments.fragments.join(', ')}`,
      ].join('\n'),
    stop: async () => {
      server.stop();
      await closeSocket(socket);
    },
  };
}
