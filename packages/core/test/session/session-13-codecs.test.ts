/**
 * The two DTLS 1.3 session layouts: what our server seals into a ticket (ticket-state-13.ts) and
 * what getSession() returns to a client (client-session-13.ts). Round trips, refusal of anything
 * else (a DTLS 1.2 state, trailing bytes, bad flags), the ticket age arithmetic of RFC 8446
 * 4.2.11.1 and the 7-day cap of 4.6.1.
 */
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { decodeClientSession13, encodeClientSession13, obfuscatedTicketAge, ticketUsable13, type ClientSession13 } from '../../src/session/client-session-13.js';
import { encodeSessionState } from '../../src/session/session-state.js';
import { resolveClientSessionOptions } from '../../src/session/session-options.js';
import { decodeTicketState13, encodeTicketState13, type TicketState13 } from '../../src/session/ticket-state-13.js';

const ticketState: TicketState13 = {
  suiteId: 0x1302,
  psk: new Uint8Array(48).fill(1),
  tls13LabelPsk: new Uint8Array(48).fill(2),
  ageAdd: 0xfffffff0,
  issuedAt: 1_764_000_000_000,
  lifetime: 300,
  alpnProtocol: 'coap',
  servername: 'localhost',
  pskIdentity: new Uint8Array([1, 2, 3]),
  peerCertificates: [new Uint8Array([0x30, 1, 2]), new Uint8Array([0x30, 3])],
  authorized: true,
};

const session: ClientSession13 = {
  suiteId: 0x1301,
  psk: new Uint8Array(32).fill(7),
  ticket: new Uint8Array([9, 9, 9]),
  ageAdd: 0xfffffff0,
  lifetime: 700_000,
  receivedAt: 1_000_000,
  alpnProtocol: undefined,
  servername: 'example.com',
  peerCertificates: [],
};

describe('DTLS 1.3 session codecs', () => {
  it('a ticket state round-trips; a DTLS 1.2 state, trailing bytes or a bad flag are DecodeErrors', () => {
    expect(decodeTicketState13(encodeTicketState13(ticketState))).toEqual(ticketState);
    const v12 = encodeSessionState({ suiteId: 0xc02b, masterSecret: new Uint8Array(48), extendedMasterSecret: true, recordProtection: 0, alpnProtocol: undefined, servername: undefined, pskIdentity: undefined, peerCertificates: [], issuedAt: 0 });
    expect(() => decodeTicketState13(v12)).toThrow(DecodeError);
    const bytes = encodeTicketState13(ticketState);
    expect(() => decodeTicketState13(new Uint8Array([...bytes, 0]))).toThrow(DecodeError);
    expect(() => decodeTicketState13(bytes.subarray(0, bytes.length - 1))).toThrow(DecodeError);
  });

  it('a client session round-trips; connect({ session }) tells a 1.3 session from a 1.2 one and refuses garbage', () => {
    const bytes = encodeClientSession13(session);
    expect(decodeClientSession13(bytes)).toEqual(session);
    const resolved = resolveClientSessionOptions({ session: bytes });
    expect(resolved.session13).toEqual(session);
    expect(resolved.session).toBeUndefined();
    expect(() => resolveClientSessionOptions({ session: bytes.subarray(0, 10) })).toThrow(TypeError);
    expect(() => resolveClientSessionOptions({ session: new Uint8Array([0xd3]) })).toThrow(TypeError);
  });

  it('the external PSK identity of the full handshake round-trips (RFC 8446 4.2.11); a session written before it has none; a bad flag is a DecodeError', () => {
    const withIdentity: ClientSession13 = { ...session, pskIdentity: new TextEncoder().encode('Client_identity') };
    const bytes = encodeClientSession13(withIdentity);
    expect(decodeClientSession13(bytes)).toEqual(withIdentity);
    // Without an identity the session ends with a 0 flag; without the flag (an older session) it reads as none.
    const none = encodeClientSession13(session);
    expect(none[none.length - 1]).toBe(0);
    expect(decodeClientSession13(none.subarray(0, none.length - 1)).pskIdentity).toBeUndefined();
    const badFlag = Uint8Array.from(none);
    badFlag[badFlag.length - 1] = 2;
    expect(() => decodeClientSession13(badFlag)).toThrow(DecodeError);
  });

  it('RFC 8446 4.2.11.1: obfuscated age = age in ms + ticket_age_add mod 2^32; 4.6.1: never past 7 days, nor past the lifetime', () => {
    expect(obfuscatedTicketAge(session, session.receivedAt + 100)).toBe((100 + 0xfffffff0) % 0x1_0000_0000);
    // lifetime 700 000 s is capped at 604 800 s (7 days).
    expect(ticketUsable13(session, session.receivedAt + 604_799_000)).toBe(true);
    expect(ticketUsable13(session, session.receivedAt + 604_800_000)).toBe(false);
    expect(ticketUsable13({ ...session, lifetime: 10 }, session.receivedAt + 10_000)).toBe(false);
    expect(ticketUsable13({ ...session, lifetime: 0 }, session.receivedAt)).toBe(false);
    // From the future by more than a minute: a clock that jumped.
    expect(ticketUsable13(session, session.receivedAt - 61_000)).toBe(false);
  });
});
