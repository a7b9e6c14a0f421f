import { randomBytes } from 'node:crypto';
import { TICKET_KEY_LENGTH } from '@dtls-kit/core';
import type { PlainServerOptions } from './protocol.js';

/**
 * A blocking server resumes sessions by ticket (RFC 5077) only: each connection runs in whichever
 * worker is free, and a worker's own session cache would rarely see the client again. So the
 * main thread makes the ticket keys (unless given) and every worker gets the same ones: a ticket
 * from one worker resumes in any other, and in another process given the same `ticketKeys`. (A
 * credentials module may still return a `sessionStore` shared by the workers, one in a database.)
 */
export function withSharedTicketKeys(engine: PlainServerOptions): PlainServerOptions {
  if (engine.sessionTickets === false || engine.ticketKeys !== undefined) return engine;
  return { ...engine, ticketKeys: new Uint8Array(randomBytes(TICKET_KEY_LENGTH)) };
}
