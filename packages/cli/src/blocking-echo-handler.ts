/**
 * The `dtls-kit server --runtime blocking` handler: runs in a @dtls-kit/blocking worker, one
 * connection at a time, and echoes every datagram back with a synchronous recv()/send() loop.
 * It reports the connection (cipher, identity) and its end to the main thread over a
 * BroadcastChannel (the server's own events only carry the peer's address).
 * Built as its own entry, dist/blocking-echo-handler.js, next to dist/cli.js.
 */
import type { BlockingConnection } from '@dtls-kit/blocking';
import { describeCertificate } from '@dtls-kit/x509';
import { srtpReport } from './srtp-report.js';
import { rawKeyNote } from './raw-key-note.js';

/** Passed as the server's `args`. */
export interface EchoHandlerArgs {
  /** BroadcastChannel name the main thread listens on. */
  channel: string;
  /** --srtp: report the SRTP profile and keying material (RFC 5764 4.2) with the connection. */
  srtp?: boolean;
}

/** What the handler posts on the channel. */
export type EchoReport =
  | { type: 'connection'; address: string; port: number; protocol: string; cipher: string; identity: string; reused: boolean; srtp?: string }
  | { type: 'close'; address: string; port: number; messages: number; error?: string }
  /** Nothing came from the peer for the server's idleTimeoutMs (--idle-timeout): the connection is being closed. */
  | { type: 'idle'; address: string; port: number }
  /** A message larger than one of the server's datagrams carries (conn.maxPayload): not echoed. */
  | { type: 'not-echoed'; address: string; port: number; size: number; maxPayload: number; cipher: string };

function identityOf(conn: BlockingConnection): string {
  const identity = conn.pskIdentity;
  if (identity !== undefined) return `identity=${JSON.stringify(identity)}`;
  const rawKey = rawKeyNote(conn.getPeerRawPublicKey(), conn.authorized);
  if (rawKey !== undefined) return rawKey;
  const der = conn.getPeerCertificate()?.raw;
  if (der !== undefined) {
    try {
      return `subject=${JSON.stringify(describeCertificate(der).subject)}${conn.authorized ? '' : ' (not authorized)'}`;
    } catch {
      return 'subject=(unreadable certificate)';
    }
  }
  return 'anonymous';
}

export default function echo(conn: BlockingConnection, args: EchoHandlerArgs): void {
  const channel = new BroadcastChannel(args.channel);
  const peer = { address: conn.remoteAddress, port: conn.remotePort };
  let messages = 0;
  // The connection's idle timeout (the server's idleTimeoutMs): its recv() returns null right after.
  conn.on('timeout', () => channel.postMessage({ type: 'idle', ...peer } satisfies EchoReport));
  try {
    channel.postMessage({
      type: 'connection',
      ...peer,
      protocol: conn.getProtocol(),
      reused: conn.isSessionReused(),
      cipher: conn.getCipher().name,
      identity: identityOf(conn),
      ...(args.srtp === true ? { srtp: srtpReport(conn) } : {}),
    } satisfies EchoReport);
    for (let message; (message = conn.recv()) !== null; ) {
      messages++;
      // As the non-blocking server: a reply that cannot fit one of our datagrams is not sent (RFC 6347 4.1.1).
      if (message.length > conn.maxPayload) {
        channel.postMessage({ type: 'not-echoed', ...peer, size: message.length, maxPayload: conn.maxPayload, cipher: conn.getCipher().name } satisfies EchoReport);
      } else conn.send(message);
    }
    channel.postMessage({ type: 'close', ...peer, messages } satisfies EchoReport);
  } catch (error) {
    channel.postMessage({ type: 'close', ...peer, messages, error: (error as Error).message } satisfies EchoReport);
    throw error;
  } finally {
    channel.close();
  }
}
