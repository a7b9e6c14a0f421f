import type { HandshakeFragment } from '../handshake/handshake-header.js';
import { FRAGMENT_OVERHEAD, HandshakeReassembler } from '../handshake/common/reassembler.js';

/** A ClientHello put back together from fragments that came in several datagrams. */
export interface AssembledClientHello {
  readonly body: Uint8Array;
  readonly messageSeq: number;
  /** Bytes of every datagram that carried a part of it: the budget for an answer (no amplification). */
  readonly datagramBytes: number;
}

interface Partial {
  readonly messageSeq: number;
  readonly reassembler: HandshakeReassembler;
  readonly startedAt: number;
  datagramBytes: number;
}

export interface ClientHelloFragmentsOptions {
  /** Partial ClientHellos kept at once (the oldest is forgotten first). Default 64. */
  maxEntries?: number;
  /** How long a partial ClientHello is kept, in ms. Default 5000. */
  lifetimeMs?: number;
  /** Largest ClientHello accepted in fragments, in bytes. Default 4096. */
  maxLength?: number;
}

/**
 * The one bounded exception to the stateless endpoint: a ClientHello too large for the path
 * MTU arrives in fragments (RFC 6347 4.2.3) over several datagrams, and cannot be checked for a
 * cookie until it is whole. Parts are kept in a fixed-size table (entries × (maxLength + 2 KiB
 * of fragment overhead) at most, counting bytes received, oldest evicted, short lifetime), so
 * spoofed fragments can only displace each other: they never make the server's memory grow, and they create no connection. OpenSSL's
 * DTLSv1_listen drops such ClientHellos instead; clients with a small MTU then never connect.
 *
 * One partial ClientHello per address (RFC 9147 5.1: the server keeps no state before the cookie
 * returns; this bounded buffer is all it holds): fragments of another message_seq from the same
 * address (a DTLS 1.3 second ClientHello, with the cookie, after the first) replace the one held,
 * so one address never holds more than maxLength bytes in at most 128 fragments' overhead. A
 * whole ClientHello leaves the table at once: nothing is kept once it is answered.
 */
export class ClientHelloFragments {
  private readonly partial = new Map<string, Partial>();
  private readonly maxEntries: number;
  private readonly lifetimeMs: number;
  private readonly maxLength: number;

  constructor(options: ClientHelloFragmentsOptions = {}) {
    this.maxEntries = options.maxEntries ?? 64;
    this.lifetimeMs = options.lifetimeMs ?? 5000;
    this.maxLength = options.maxLength ?? 4096;
  }

  /** Entries held now (for tests and stats). */
  get size(): number {
    return this.partial.size;
  }

  /** Adds the ClientHello fragments of one datagram; returns the whole message once complete. */
  add(peer: string, fragments: readonly HandshakeFragment[], datagramBytes: number, now: number): AssembledClientHello | undefined {
    this.expire(now);
    const first = fragments[0];
    if (!first || first.length > this.maxLength) return undefined;
    // One entry per address; the ClientHello with a cookie (message_seq 1) never mixes with the
    // first one: it replaces it.
    const key = peer;
    let entry = this.partial.get(key);
    if (entry !== undefined && entry.messageSeq !== first.messageSeq) {
      this.partial.delete(key);
      entry = undefined;
    }
    if (!entry) {
      if (this.partial.size >= this.maxEntries) {
        const oldest = this.partial.keys().next();
        if (!oldest.done) this.partial.delete(oldest.value);
      }
      // The budget counts bytes held plus FRAGMENT_OVERHEAD per fragment: room for a ClientHello
      // of maxLength bytes in up to 128 fragments.
      const reassembler = new HandshakeReassembler({ maxMessageLength: this.maxLength, window: 0, maxBufferedBytes: this.maxLength + 128 * FRAGMENT_OVERHEAD });
      reassembler.reset(first.messageSeq);
      entry = { messageSeq: first.messageSeq, reassembler, startedAt: now, datagramBytes: 0 };
      this.partial.set(key, entry);
    }
    entry.datagramBytes += datagramBytes;
    try {
      for (const f of fragments) if (f.messageSeq === first.messageSeq) entry.reassembler.add(f);
    } catch {
      this.partial.delete(key); // contradictory fragments: start over
      return undefined;
    }
    const message = entry.reassembler.poll();
    if (!message) return undefined;
    this.partial.delete(key);
    return { body: message.body, messageSeq: message.messageSeq, datagramBytes: entry.datagramBytes };
  }

  private expire(now: number): void {
    // Insertion order is age order: stop at the first entry still young enough.
    for (const [key, entry] of this.partial) {
      if (now - entry.startedAt < this.lifetimeMs) break;
      this.partial.delete(key);
    }
  }
}
