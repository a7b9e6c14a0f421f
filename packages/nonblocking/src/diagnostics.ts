/**
 * Tracing through node:diagnostics_channel. Nothing is logged by default: each channel
 * costs one `hasSubscribers` check until someone subscribes.
 *
 * ```js
 * import diagnostics_channel from 'node:diagnostics_channel';
 * diagnostics_channel.subscribe('dtls-kit:handshake', (m) => console.log(m.role, m.remoteAddress, m.durationMs, m.error?.message));
 * ```
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { SERVER_STATS_CHANNEL, type DtlsError, type ServerStats, type StatsChange } from '@dtls-kit/core';
import type { DtlsServer } from './server.js';
import type { DtlsSocket } from './socket.js';

/** The names of the channels this package publishes on. */
export const CHANNELS = {
  /** A handshake began: a client's connect(), or a server's ClientHello whose cookie verified. */
  handshakeStart: 'dtls-kit:handshake-start',
  /** A handshake ended: established (`cipher` set) or failed (`error` set). */
  handshake: 'dtls-kit:handshake',
  /** An alert was received from the peer or sent to it (fatal alerts and close_notify included). */
  alert: 'dtls-kit:alert',
  /** A handshake flight was sent again (our timer fired, or the peer retransmitted its own). */
  retransmit: 'dtls-kit:retransmit',
  /** A connection ended (after its handshake or not). */
  close: 'dtls-kit:close',
  /** A server refused a new handshake because a limit (maxConnections, maxHandshakes, maxHandshakesPerAddress) was reached. */
  refuse: 'dtls-kit:refuse',
  /** A server dropped a stalled handshake to make room for a new one (a limit was reached). */
  evict: 'dtls-kit:evict',
  /** Every datagram received or sent (the wire, for a trace: decode it with the core's codecs). */
  datagram: 'dtls-kit:datagram',
  /** A connection's peer address moved (connection IDs, RFC 9146 6): remoteAddress/remotePort are the new one. */
  remoteAddressChange: 'dtls-kit:remote-address-change',
  /**
   * A server counter changed (server.stats): one message per change, naming it. The same channel
   * and message shape in @dtls-kit/blocking.
   */
  stats: SERVER_STATS_CHANNEL,
} as const;

/** Fields every message carries. */
export interface DiagnosticsBase {
  readonly socket: DtlsSocket;
  readonly role: 'client' | 'server';
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export interface HandshakeStartMessage extends DiagnosticsBase {}

export interface HandshakeMessage extends DiagnosticsBase {
  /** ms from the start of the handshake. */
  readonly durationMs: number;
  /** OpenSSL name of the negotiated suite, when established. */
  readonly cipher: string | undefined;
  readonly error: DtlsError | undefined;
}

export interface AlertMessage extends DiagnosticsBase {
  readonly direction: 'received' | 'sent';
  readonly level: 'warning' | 'fatal';
  readonly description: number;
  /** e.g. `close_notify`, `unknown_psk_identity`. */
  readonly name: string;
}

export interface RetransmitMessage extends DiagnosticsBase {
  /** Flights sent again so far on this connection. */
  readonly retransmissions: number;
  readonly handshakeState: string;
}

export interface CloseMessage extends DiagnosticsBase {
  readonly error: DtlsError | undefined;
  readonly established: boolean;
}

export interface RemoteAddressChangeMessage extends DiagnosticsBase {
  /** Where the peer was before. */
  readonly previous: { readonly address: string; readonly family: 'IPv4' | 'IPv6'; readonly port: number };
}

export interface RefuseMessage {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly reason: 'maxConnections' | 'maxHandshakes' | 'maxHandshakesPerAddress';
}

/** The handshake that gave way (`socket`, its peer), and the ClientHello it gave way to. */
export interface EvictMessage extends DiagnosticsBase {
  /** The bound that was reached. */
  readonly reason: 'maxHandshakes' | 'maxHandshakesPerAddress';
  /** ms since the evicted peer last advanced its handshake (or since it began). */
  readonly stalledMs: number;
  /** The peer whose verified ClientHello took the slot. */
  readonly by: { readonly address: string; readonly port: number };
}

export interface DatagramMessage {
  readonly direction: 'in' | 'out';
  readonly role: 'client' | 'server';
  /** The connection, when there is one (not for a server's cookie exchange). */
  readonly socket: DtlsSocket | undefined;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly datagram: Uint8Array;
}

/**
 * One change of a server's counters. `change` names it: an event counter (`established`,
 * `datagrams`, `accepted`, ...), `handshakesFailed.sent.<alert>` / `handshakesFailed.received.<alert>`
 * / `handshakesFailed.timedOut`, or `dropped.<reason>`. `stats` is server.stats, computed when read.
 */
export interface StatsMessage {
  readonly server: DtlsServer;
  readonly change: StatsChange;
  readonly stats: ServerStats;
}

export const channels = {
  handshakeStart: diagnosticsChannel.channel(CHANNELS.handshakeStart),
  handshake: diagnosticsChannel.channel(CHANNELS.handshake),
  alert: diagnosticsChannel.channel(CHANNELS.alert),
  retransmit: diagnosticsChannel.channel(CHANNELS.retransmit),
  close: diagnosticsChannel.channel(CHANNELS.close),
  refuse: diagnosticsChannel.channel(CHANNELS.refuse),
  evict: diagnosticsChannel.channel(CHANNELS.evict),
  datagram: diagnosticsChannel.channel(CHANNELS.datagram),
  remoteAddressChange: diagnosticsChannel.channel(CHANNELS.remoteAddressChange),
  stats: diagnosticsChannel.channel(CHANNELS.stats),
};

/** Publishes a datagram on 'dtls-kit:datagram' if anyone listens. */
export function traceDatagram(
  direction: 'in' | 'out',
  role: 'client' | 'server',
  socket: DtlsSocket | undefined,
  remoteAddress: string,
  remotePort: number,
  datagram: Uint8Array,
): void {
  if (!channels.datagram.hasSubscribers) return;
  const message: DatagramMessage = { direction, role, socket, remoteAddress, remotePort, datagram };
  channels.datagram.publish(message);
}
