/**
 * node:diagnostics_channel hands its listeners `unknown`: the channel name is what says a
 * message's type. `subscribe` ties the two together, so a listener gets the message type of its
 * channel without a cast, and skips a message of another shape on the same name (another copy of
 * this package, or @dtls-kit/blocking's server on `dtls-kit:stats`).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type {
  AlertMessage,
  CloseMessage,
  DatagramMessage,
  DiagnosticsBase,
  EvictMessage,
  HandshakeMessage,
  HandshakeStartMessage,
  RefuseMessage,
  RemoteAddressChangeMessage,
  RetransmitMessage,
  StatsMessage,
} from './diagnostics.js';
import { DtlsServer } from './server.js';
import { DtlsSocket } from './socket.js';

/** The message type of each channel this package publishes on (the values of CHANNELS). */
export interface ChannelMessages {
  'dtls-kit:handshake-start': HandshakeStartMessage;
  'dtls-kit:handshake': HandshakeMessage;
  'dtls-kit:alert': AlertMessage;
  'dtls-kit:retransmit': RetransmitMessage;
  'dtls-kit:close': CloseMessage;
  'dtls-kit:refuse': RefuseMessage;
  'dtls-kit:evict': EvictMessage;
  'dtls-kit:datagram': DatagramMessage;
  'dtls-kit:remote-address-change': RemoteAddressChangeMessage;
  'dtls-kit:stats': StatsMessage;
}

export type ChannelName = keyof ChannelMessages;

type Guards = { readonly [C in ChannelName]: (message: unknown) => message is ChannelMessages[C] };

function isRecord(message: unknown): message is Readonly<Record<string, unknown>> {
  return typeof message === 'object' && message !== null;
}

/** A message about one of this package's sockets (every channel but refuse, datagram and stats). */
function aboutSocket(message: unknown): message is DiagnosticsBase {
  return isRecord(message) && message.socket instanceof DtlsSocket;
}

// Each check looks at the socket (or server) and at the fields that set the message apart.
const GUARDS: Guards = {
  'dtls-kit:handshake-start': (m): m is HandshakeStartMessage => aboutSocket(m),
  'dtls-kit:handshake': (m): m is HandshakeMessage => aboutSocket(m) && 'durationMs' in m,
  'dtls-kit:alert': (m): m is AlertMessage => aboutSocket(m) && 'description' in m && 'direction' in m,
  'dtls-kit:retransmit': (m): m is RetransmitMessage => aboutSocket(m) && 'retransmissions' in m,
  'dtls-kit:close': (m): m is CloseMessage => aboutSocket(m) && 'established' in m,
  'dtls-kit:refuse': (m): m is RefuseMessage => isRecord(m) && typeof m.reason === 'string' && typeof m.remotePort === 'number',
  'dtls-kit:evict': (m): m is EvictMessage => aboutSocket(m) && 'stalledMs' in m,
  'dtls-kit:datagram': (m): m is DatagramMessage => isRecord(m) && m.datagram instanceof Uint8Array && typeof m.direction === 'string',
  'dtls-kit:remote-address-change': (m): m is RemoteAddressChangeMessage => aboutSocket(m) && 'previous' in m && isRecord(m.previous),
  'dtls-kit:stats': (m): m is StatsMessage => isRecord(m) && m.server instanceof DtlsServer,
};

/**
 * Subscribes `listener` to one of the channels (`CHANNELS.handshake`, ...) with its message typed;
 * returns the function that unsubscribes it. A message of another shape on the same channel name
 * is not passed on.
 *
 * ```js
 * const stop = subscribe('dtls-kit:alert', (m) => console.log(m.direction, m.name));
 * ```
 */
export function subscribe<C extends ChannelName>(channel: C, listener: (message: ChannelMessages[C]) => void): () => void {
  const isMessage = GUARDS[channel];
  const onMessage = (message: unknown): void => {
    if (isMessage(message)) listener(message);
  };
  diagnosticsChannel.subscribe(channel, onMessage);
  return (): void => {
    diagnosticsChannel.unsubscribe(channel, onMessage);
  };
}
