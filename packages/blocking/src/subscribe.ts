/**
 * `subscribe` as @dtls-kit/nonblocking's: diagnostics_channel with the message typed by its
 * channel. This runtime publishes one channel, `dtls-kit:stats`; a message of another shape
 * on it (a @dtls-kit/nonblocking server's) is not passed on.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { BlockingServer, type BlockingStatsMessage } from './server.js';

/** The message type of each channel this package publishes on. */
export interface BlockingChannelMessages {
  'dtls-kit:stats': BlockingStatsMessage;
}

function isStatsMessage(message: unknown): message is BlockingStatsMessage {
  return typeof message === 'object' && message !== null && 'server' in message && message.server instanceof BlockingServer;
}

/**
 * Subscribes `listener` to `dtls-kit:stats` (SERVER_STATS_CHANNEL) with BlockingStatsMessage typed;
 * returns the function that unsubscribes it.
 */
export function subscribe<C extends keyof BlockingChannelMessages>(channel: C, listener: (message: BlockingChannelMessages[C]) => void): () => void {
  const onMessage = (message: unknown): void => {
    if (isStatsMessage(message)) listener(message);
  };
  diagnosticsChannel.subscribe(channel, onMessage);
  return (): void => {
    diagnosticsChannel.unsubscribe(channel, onMessage);
  };
}
