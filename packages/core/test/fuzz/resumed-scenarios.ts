/**
 * Fuzz scenarios of resumed (abbreviated) handshakes, RFC 5246 7.3 Figure 2: the client offers a
 * session from a clean full handshake against a server that can resume it, by ticket (RFC 5077,
 * under ticket keys every case's server shares) or by session ID (a shared, bounded store), so
 * the mutations reach the server's ServerHello/ChangeCipherSpec/Finished flight, the client's
 * last flight, the session_ticket extension and the NewSessionTicket of full handshakes.
 */
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { MemorySessionStore } from '../../src/session/session-store.js';
import { FuzzPump } from './fuzz-pump.js';

/** The ticket keys of every resumed-by-ticket case's server. */
const TICKET_KEYS = [new Uint8Array(48).fill(0x5a)];
/** Bounded: fuzz cases that fall back to full handshakes add sessions to it. */
const STORE = new MemorySessionStore(64);

const sessions = new Map<string, Uint8Array>();

/** `base` with a server that resumes (by `via`) and a client that offers a session made by a clean handshake with it. */
export function withResumption(
  via: 'ticket' | 'id',
  base: { client: ClientOptions; server: ServerOptions },
  key: string,
): { client: ClientOptions; server: ServerOptions } {
  const server: ServerOptions = via === 'ticket' ? { ...base.server, ticketKeys: TICKET_KEYS, sessionStore: false } : { ...base.server, sessionTickets: false, sessionStore: STORE };
  let session = sessions.get(key);
  if (session === undefined) {
    const p = new FuzzPump(base.client, server, undefined);
    p.start();
    p.run();
    session = p.client.conn.getSession();
    if (session === undefined) throw new Error(`the clean ${key} handshake gave no session: ${p.failures.join('; ')}`);
    sessions.set(key, session);
  }
  return { client: { ...base.client, session }, server };
}
