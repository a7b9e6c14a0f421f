/**
 * Numbered application payloads that prove themselves: each carries its handshake and
 * message numbers and a digest of both, so a receiver can tell an exact payload from a
 * damaged or foreign one, and count duplicates. DTLS does not retransmit application data
 * (RFC 6347 4.1.2.6/4.1.2.7: a lost or invalid record is just gone), so the test compares
 * what arrived with what was sent minus what the relay destroyed.
 */
import { createHash } from 'node:crypto';

export function payload(tag: string, handshake: number, message: number): string {
  const digest = createHash('sha256').update(`${tag}/${handshake}/${message}`).digest('hex');
  // Varying lengths: 40..160 bytes of filler.
  return `dk|${tag}|${handshake}|${message}|${digest}|${'x'.repeat(40 + ((handshake * 7 + message * 13) % 121))}`;
}

export interface Tally {
  /** Exact payloads seen, by message number. */
  readonly delivered: Set<number>;
  /** Payloads seen twice (must stay 0: the replay window drops duplicates). */
  duplicates: number;
  /** Data that is not an exact payload of this handshake (must stay 0). */
  foreign: number;
}

export const newTally = (): Tally => ({ delivered: new Set(), duplicates: 0, foreign: 0 });

/** Counts one received message (or line) against the payloads of `handshake`. */
export function tallyMessage(tally: Tally, tag: string, handshake: number, received: string, messages: number): void {
  // Payloads travel with a newline so that OpenSSL's stdout keeps them apart.
  const text = received.endsWith('\n') ? received.slice(0, -1) : received;
  const parts = text.split('|');
  const message = Number(parts[3]);
  if (parts[0] !== 'dk' || !Number.isInteger(message) || message < 0 || message >= messages || text !== payload(tag, handshake, message)) {
    tally.foreign++;
    return;
  }
  if (tally.delivered.has(message)) tally.duplicates++;
  else tally.delivered.add(message);
}

/** Tallies the payload lines of a process's stdout (lines that do not start with "dk|" are its own chatter). */
export function tallyLines(tag: string, handshake: number, stdout: string, messages: number): Tally {
  const tally = newTally();
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('dk|');
    if (at < 0) continue;
    tallyMessage(tally, tag, handshake, line.slice(at).replace(/\r$/, ''), messages);
  }
  return tally;
}
