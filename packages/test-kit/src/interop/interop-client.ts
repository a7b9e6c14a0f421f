/**
 * Our client against a peer server over real UDP on 127.0.0.1: a connection built by the
 * caller (with PSK or certificate credentials) driven by driveOverUdp, resolved once the
 * handshake completed or the connection closed. A failed handshake is a result here, not an
 * exception, so negative cases can look at the error.
 */
import { driveOverUdp } from '../udp-driver.js';
import { FragmentTap } from './fragment-tap.js';
import type { InteropClientConnection } from './interop-connection.js';
import { bindLoopback, closeSocket } from './loopback.js';
import { ObservedClient } from './observed-client.js';

export interface InteropClientOptions {
  /** The peer server's port on 127.0.0.1. */
  port: number;
  /** Bound on each wait: the handshake, each echo, the peer's close (default 8000 ms). */
  timeoutMs?: number;
}

/** Our client, connected (or failed): look at it, then close(). */
export interface InteropClient<C, E> {
  readonly connection: C;
  readonly tap: FragmentTap;
  readonly established: boolean;
  /** The error the connection closed with, if it did. */
  readonly closeError: E | undefined;
  describeEvents(): string;
  /** Sends each message once the previous one came back (the peer echoes); resolves with all that came back. */
  exchange(messages: readonly string[]): Promise<string>;
  /** Waits for the peer to end the connection (rejects past the timeout). */
  waitForClose(): Promise<void>;
  /** close_notify (if still open), then the socket goes. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Calls connection.connect() and drives it against 127.0.0.1:port; resolves once the
 * handshake completed or the connection closed, rejects only if neither happens in time.
 */
export async function connectInteropClient<C extends InteropClientConnection<E>, E extends Error>(
  connection: C & InteropClientConnection<E>,
  options: InteropClientOptions,
): Promise<InteropClient<C, E>> {
  const timeoutMs = options.timeoutMs ?? 8000;
  const socket = await bindLoopback();
  const tap = new FragmentTap();
  const client = new ObservedClient<E>(connection, tap);
  connection.connect(performance.now());
  const driver = driveOverUdp(client, socket, { address: '127.0.0.1', port: options.port });
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
    waitForClose: () => client.until(() => client.closed, timeoutMs, 'the peer to close'),
    close: async () => {
      if (!client.closed) {
        connection.close();
        driver.pump();
      }
      await shutdown();
    },
  };
}
