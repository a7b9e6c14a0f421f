/**
 * Our server against peer clients over real UDP on 127.0.0.1: an endpoint built by the
 * caller (with PSK or certificate credentials) served by serveOverUdp in echo mode, cookie
 * exchange on, recording per connection what an application would see.
 */
import { serveOverUdp, type ServedEndpoint, type UdpServer } from '../udp-server.js';
import { FragmentTap } from './fragment-tap.js';
import type { InteropConnection } from './interop-connection.js';
import { bindLoopback, closeSocket } from './loopback.js';

/** What our server saw of one connection, whatever the credentials. */
export interface InteropSessionBase<E> {
  /** "address:port" of the peer client. */
  peer: string;
  handshake: boolean;
  /** OpenSSL name of the suite negotiated. */
  suite?: string | undefined;
  /** The application data received, decoded, concatenated. */
  data: string;
  /** 'clean' after close_notify, else the error's message. */
  close?: string;
  closeError?: E | undefined;
}

/** The base fields and what the credentials add (`details` of the options). */
export type InteropSession<E, S> = InteropSessionBase<E> & S;

export interface InteropServerOptions<C, S> {
  /**
   * What the credentials let the application see of a connection (the PSK identity; the
   * peer's certificates, authorized, ...): read when it is accepted and again when its
   * handshake completes.
   */
  details: (connection: C) => S;
}

export interface InteropServer<C extends InteropConnection<E>, E, S> {
  port: number;
  server: UdpServer<C>;
  fragments: FragmentTap;
  readonly sessions: InteropSession<E, S>[];
  /** Resolves once some session has closed (or at the deadline, without throwing). */
  waitForClose(timeoutMs?: number): Promise<void>;
  /** Sessions, errors, stats and fragments, for failure messages. */
  describe(): string;
  stop(): Promise<void>;
}

const decoder = new TextDecoder();

/** Bytes as their length, errors as their message: what a failure message needs of a session. */
function readable(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (value instanceof Error) return value.message;
  return value;
}

/** Serves `endpoint` on 127.0.0.1 (a free port), echoing every message. */
export async function startInteropServer<C extends InteropConnection<E>, E extends Error, S extends object>(
  endpoint: ServedEndpoint<C & InteropConnection<E>>,
  options: InteropServerOptions<C, S>,
): Promise<InteropServer<C, E, S>> {
  const socket = await bindLoopback();
  const fragments = new FragmentTap();
  const sessions: InteropSession<E, S>[] = [];
  let onClose: (() => void) | undefined;
  const server = serveOverUdp<C & InteropConnection<E>>(endpoint, socket, {
    echo: true,
    onDatagram: (direction, datagram) => fragments.see(direction, datagram),
    onAccept: (c, peer) => sessions.push({ peer, data: '', handshake: false, ...options.details(c) }),
    onEvent: (c, event, peer) => {
      const session = [...sessions].reverse().find((s) => s.peer === peer);
      if (!session) return;
      if (event.type === 'handshake-complete') {
        session.handshake = true;
        session.suite = c.cipherSuite?.opensslName;
        Object.assign(session, options.details(c));
      } else if (event.type === 'data' && event.data !== undefined) {
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
        `our server: sessions ${JSON.stringify(sessions, readable)}`,
        `errors ${server.errors.map((e) => e.error.message).join('; ')}`,
        `stats ${JSON.stringify(server.stats)} fragments ${fragments.fragments.join(', ')}`,
      ].join('\n'),
    stop: async () => {
      server.stop();
      await closeSocket(socket);
    },
  };
}
