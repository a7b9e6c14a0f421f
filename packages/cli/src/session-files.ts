/**
 * Session resumption in the CLI, as openssl s_client's -sess_out / -sess_in / -reconnect: the
 * session (getSession(): opaque bytes) is written to and read from a file as it is.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** Reads --sess-in FILE; an Error naming the file when it cannot. */
export function readSessionFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : String(error);
    throw new Error(`--sess-in ${path}: cannot read it: ${code}`);
  }
}

/** Writes --sess-out FILE (mode 0600: it holds the session's master secret). */
export function writeSessionFile(path: string, session: Uint8Array): void {
  writeFileSync(path, session, { mode: 0o600 });
}

/** What a connection line says about resumption: ' resumed' for an abbreviated handshake (RFC 5246 7.3). */
export function resumedNote(socket: { isSessionReused(): boolean }): string {
  return socket.isSessionReused() ? ' resumed' : '';
}

/** openssl s_client -reconnect: after the first connection, 5 more with its session. */
export const RECONNECTS = 5;
