/** Codecs and building blocks of resumption: NewSessionTicket (RFC 5077 3.3), session states, ticket protection, the bounded store. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError } from '../../src/errors.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { decodeNewSessionTicket, encodeNewSessionTicket } from '../../src/handshake/messages/new-session-ticket.js';
import { decodeClientSession, encodeClientSession } from '../../src/session/client-session.js';
import { decodeSessionState, encodeSessionState, type SessionState } from '../../src/session/session-state.js';
import { MemorySessionStore } from '../../src/session/session-store.js';
import { TicketKeySet } from '../../src/session/ticket-keys.js';

const state: SessionState = {
  suiteId: 0xc02b,
  masterSecret: new Uint8Array(48).fill(3),
  extendedMasterSecret: true,
  recordProtection: 0,
  alpnProtocol: 'coap',
  servername: 'example.com',
  pskIdentity: new Uint8Array([1, 2, 3]),
  peerCertificates: [new Uint8Array([0x30, 1]), new Uint8Array([0x30, 2, 3])],
  issuedAt: 1_796_000_000_000,
};

describe('NewSessionTicket (RFC 5077 3.3)', () => {
  it('round-trips; a hand-made body decodes as the RFC lays it out', () => {
    const body = encodeNewSessionTicket({ lifetimeHint: 300, ticket: new Uint8Array([9, 8, 7]) });
    expect([...body]).toEqual([0, 0, 1, 44, 0, 3, 9, 8, 7]);
    expect(decodeNewSessionTicket(body)).toEqual({ lifetimeHint: 300, ticket: new Uint8Array([9, 8, 7]) });
  });
  it('random bytes give only DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          decodeNewSessionTicket(b);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});

describe('session state', () => {
  it('round-trips (server state and client session)', () => {
    expect(decodeSessionState(encodeSessionState(state))).toEqual(state);
    const noExtras: SessionState = { ...state, alpnProtocol: undefined, servername: undefined, pskIdentity: undefined, peerCertificates: [] };
    expect(decodeSessionState(encodeSessionState(noExtras))).toEqual(noExtras);
    const cs = { sessionId: new Uint8Array(32).fill(1), ticket: new Uint8Array(100).fill(2), ticketLifetimeHint: 7200, state };
    expect(decodeClientSession(encodeClientSession(cs))).toEqual(cs);
  });
  it('random and truncated bytes give only DecodeError', () => {
    const good = encodeClientSession({ sessionId: new Uint8Array(0), ticket: new Uint8Array(4), ticketLifetimeHint: 0, state });
    for (let n = 0; n < good.length; n++) expect(() => decodeClientSession(good.subarray(0, n))).toThrow(DecodeError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        for (const decode of [decodeSessionState, decodeClientSession]) {
          try {
            decode(b);
          } catch (err) {
            expect(err).toBeInstanceOf(DecodeError);
          }
        }
      }),
    );
  });
});

describe('ticket keys (RFC 5077 4: encrypted and authenticated, named)', () => {
  const k1 = new Uint8Array(48).fill(1);
  const k2 = new Uint8Array(48).fill(2);
  it('the newest key seals, every key of the set opens; other keys and any changed byte do not', () => {
    const plain = encodeSessionState(state);
    const t1 = new TicketKeySet(nodeCryptoProvider, [k1]).seal(plain);
    expect(t1.subarray(0, 16)).toEqual(k1.subarray(0, 16)); // key_name first
    expect(Buffer.from(t1).includes(Buffer.from(state.masterSecret))).toBe(false); // encrypted
    const rotated = new TicketKeySet(nodeCryptoProvider, [k2, k1]);
    expect(rotated.open(t1)).toEqual(plain);
    expect(rotated.seal(plain).subarray(0, 16)).toEqual(k2.subarray(0, 16));
    expect(new TicketKeySet(nodeCryptoProvider, [k2]).open(t1)).toBeUndefined();
    for (const i of [0, 20, t1.length - 1]) {
      const bad = t1.slice();
      bad[i] = (bad[i] ?? 0) ^ 1;
      expect(rotated.open(bad)).toBeUndefined();
    }
    expect(rotated.open(new Uint8Array(10))).toBeUndefined();
  });
  it('refuses malformed key lists', () => {
    expect(() => new TicketKeySet(nodeCryptoProvider, [])).toThrow(TypeError);
    expect(() => new TicketKeySet(nodeCryptoProvider, [new Uint8Array(32)])).toThrow(RangeError);
  });
});

describe('MemorySessionStore', () => {
  it('is bounded: the least recently used session goes first', () => {
    const store = new MemorySessionStore(2);
    const id = (n: number): Uint8Array => new Uint8Array([n]);
    store.set(id(1), new Uint8Array([1]));
    store.set(id(2), new Uint8Array([2]));
    store.get(id(1)); // 1 used: 2 is now the oldest
    store.set(id(3), new Uint8Array([3]));
    expect(store.size).toBe(2);
    expect(store.get(id(2))).toBeUndefined();
    expect(store.get(id(1))).toEqual(new Uint8Array([1]));
    store.delete(id(1));
    expect(store.get(id(1))).toBeUndefined();
    for (let i = 0; i < 10_000; i++) store.set(new Uint8Array([i & 0xff, i >> 8]), new Uint8Array(8));
    expect(store.size).toBe(2);
  });
});
