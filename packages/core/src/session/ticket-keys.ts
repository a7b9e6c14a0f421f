import { concatBytes, constantTimeEqual } from '../bytes.js';
import type { Aead, CryptoProvider } from '../crypto/provider.js';

/** Bytes of one ticket key (node:tls's `ticketKeys` size): a 16-byte key name, then 32 bytes of secret. */
export const TICKET_KEY_LENGTH = 48;
/** RFC 5077 4: key_name identifies the key a ticket was protected with. */
const KEY_NAME_LENGTH = 16;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
/** The most keys a set holds: the newest encrypts, the others are older keys that still decrypt. */
export const MAX_TICKET_KEYS = 16;

interface TicketKey {
  readonly name: Uint8Array;
  readonly aead: Aead;
}

/**
 * The keys that protect session tickets (RFC 5077 4, "Recommended Ticket Construction"), both
 * encrypted and authenticated: a ticket is
 *
 *   key_name[16] | nonce[12] | AES-256-GCM(state) | tag[16]    (additional data: key_name)
 *
 * (an AEAD in place of 4's AES-CBC + HMAC-SHA-256: the same properties, one primitive). The set
 * is a list so that several servers or processes can share it and keys can rotate: the first
 * (newest) key seals, every key opens the tickets that name it. Nonces are random: at 2^32
 * tickets per key the nonce-collision bound of GCM is still far away, and keys rotate long before.
 */
export class TicketKeySet {
  private keys: TicketKey[] = [];

  constructor(
    private readonly provider: CryptoProvider,
    keys: readonly Uint8Array[],
  ) {
    this.setKeys(keys);
  }

  /** A set of one random key: what a server uses unless given `ticketKeys` (node:tls does the same). */
  static random(provider: CryptoProvider): TicketKeySet {
    return new TicketKeySet(provider, [provider.randomBytes(TICKET_KEY_LENGTH)]);
  }

  /** Replaces the keys (rotation): newest first. TypeError/RangeError for a malformed list. */
  setKeys(keys: readonly Uint8Array[]): void {
    if (!Array.isArray(keys) || keys.length === 0) throw new TypeError('ticketKeys must be a non-empty list of 48-byte keys, newest first');
    if (keys.length > MAX_TICKET_KEYS) throw new RangeError(`ticketKeys holds at most ${MAX_TICKET_KEYS} keys (got ${keys.length})`);
    const next: TicketKey[] = [];
    for (const k of keys) {
      if (!(k instanceof Uint8Array) || k.length !== TICKET_KEY_LENGTH) {
        throw new RangeError(`each ticket key must be ${TICKET_KEY_LENGTH} bytes (a 16-byte name, then 32 bytes of secret)`);
      }
      next.push({ name: k.slice(0, KEY_NAME_LENGTH), aead: this.provider.aead('aes-256-gcm', k.slice(KEY_NAME_LENGTH)) });
    }
    this.keys = next;
  }

  /** Encrypts and authenticates a session state with the newest key. */
  seal(state: Uint8Array): Uint8Array {
    const key = this.keys[0];
    if (key === undefined) throw new TypeError('no ticket key');
    const nonce = this.provider.randomBytes(NONCE_LENGTH);
    return concatBytes(key.name, nonce, key.aead.seal(nonce, state, key.name));
  }

  /**
   * The state a ticket holds, or undefined when no key of the set names it or it does not
   * authenticate (RFC 5077 3.4: a ticket the server cannot use means a full handshake, never an error).
   */
  open(ticket: Uint8Array): Uint8Array | undefined {
    if (ticket.length < KEY_NAME_LENGTH + NONCE_LENGTH + TAG_LENGTH) return undefined;
    const name = ticket.subarray(0, KEY_NAME_LENGTH);
    const key = this.keys.find((k) => constantTimeEqual(k.name, name));
    if (key === undefined) return undefined;
    const nonce = ticket.slice(KEY_NAME_LENGTH, KEY_NAME_LENGTH + NONCE_LENGTH);
    const opened = key.aead.open(nonce, ticket.subarray(KEY_NAME_LENGTH + NONCE_LENGTH), name.slice());
    return opened === null ? undefined : opened.slice();
  }
}
