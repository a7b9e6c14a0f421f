/**
 * Session resumption in the engine (RFC 5246 7.3 Figure 2, RFC 6347 4.2.4, RFC 5077, RFC 7627 5.3):
 * by session ID and by ticket, shared ticket keys, the abbreviated flights on the wire, and what
 * makes a server fall back to a full handshake or refuse.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import type { ServerOptions } from '../../src/config.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeServerHello, encodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { AlertDescription } from '../../src/alert.js';
import { decodeClientSession } from '../../src/session/client-session.js';
import { MemorySessionStore } from '../../src/session/session-store.js';
import { serverPsk } from '../support/psk.js';
import { editHandshake, Pair, withBody, type PairOptions } from './harness.js';

/** Handshake message types sent in the clear (epoch 0) in one direction. */
function plaintextMessages(p: Pair, direction: 'c2s' | 's2c'): number[] {
  const types: number[] = [];
  for (const w of p.wire) {
    if (w.direction !== direction) continue;
    for (const r of splitRecords(w.datagram)) {
      if (r.header.type !== ContentType.handshake || r.header.epoch !== 0) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) if (f.fragmentOffset === 0) types.push(f.msgType);
    }
  }
  return types;
}

function endpoint(options: Partial<ServerOptions> = {}): ServerEndpoint {
  return new ServerEndpoint({ psk: serverPsk(), ...options });
}

async function first(options: PairOptions): Promise<{ pair: Pair; session: Uint8Array }> {
  const pair = await new Pair(options).handshake();
  const session = pair.client.getSession();
  expect(session).toBeDefined();
  expect(pair.client.isSessionReused()).toBe(false);
  return { pair, session: session ?? new Uint8Array(0) };
}

async function exchange(p: Pair): Promise<void> {
  p.client.send(utf8('ping'));
  p.s.send(utf8('pong'));
  await p.run();
  expect(p.serverEvents.some((e) => e.type === 'data' && new TextDecoder().decode(e.data) === 'ping')).toBe(true);
  expect(p.clientEvents.some((e) => e.type === 'data' && new TextDecoder().decode(e.data) === 'pong')).toBe(true);
}

describe('session resumption (engine)', () => {
  it('by ticket: the second handshake is abbreviated (ServerHello, CCS, Finished; no key exchange) and carries data', async () => {
    const ep = endpoint();
    const { session } = await first({ endpoint: ep });
    const decoded = decodeClientSession(session);
    expect(decoded.ticket.length).toBeGreaterThan(0);
    expect(decoded.sessionId.length).toBe(0); // a ticket needs no session ID (RFC 5077 3.4)
    const p = await new Pair({ endpoint: ep, client: { session } }).handshake();
    expect(p.client.isSessionReused()).toBe(true);
    expect(p.s.isSessionReused()).toBe(true);
    // RFC 5246 7.3 Figure 2: the server's only plaintext handshake message is its ServerHello.
    expect(plaintextMessages(p, 's2c').filter((t) => t !== HandshakeType.hello_verify_request)).toEqual([HandshakeType.server_hello]);
    expect(plaintextMessages(p, 'c2s')).toEqual([HandshakeType.client_hello, HandshakeType.client_hello]);
    expect(p.client.keyLogLine?.split(' ')[2]).toBe(Buffer.from(decoded.state.masterSecret).toString('hex'));
    // getSession() still gives the session after resuming it.
    expect(p.client.getSession()).toBeDefined();
    await exchange(p);
  });

  it('by session ID (client without tickets): the server store keeps it; resumed', async () => {
    const store = new MemorySessionStore(4);
    const ep = endpoint({ sessionStore: store });
    const { session } = await first({ endpoint: ep, client: { sessionTickets: false } });
    expect(decodeClientSession(session).sessionId.length).toBe(32);
    expect(store.size).toBe(1);
    const p = await new Pair({ endpoint: ep, client: { session, sessionTickets: false } }).handshake();
    expect(p.client.isSessionReused()).toBe(true);
    expect(plaintextMessages(p, 's2c').filter((t) => t !== HandshakeType.hello_verify_request)).toEqual([HandshakeType.server_hello]);
    await exchange(p);
  });

  it('an asynchronous store is waited for', async () => {
    const map = new Map<string, Uint8Array>();
    const key = (id: Uint8Array): string => Buffer.from(id).toString('hex');
    const ep = endpoint({
      sessionTickets: false,
      sessionStore: {
        get: async (id) => map.get(key(id)),
        set: async (id, s) => void map.set(key(id), s),
        delete: async (id) => void map.delete(key(id)),
      },
    });
    const { session } = await first({ endpoint: ep });
    await new Promise((r) => setImmediate(r));
    expect(map.size).toBe(1);
    const p = await new Pair({ endpoint: ep, client: { session } }).handshake();
    expect(p.client.isSessionReused()).toBe(true);
  });

  it('tickets work across servers that share ticketKeys (newest seals, all open), not with other keys', async () => {
    const k1 = new Uint8Array(48).fill(1);
    const k2 = new Uint8Array(48).fill(2);
    const { session } = await first({ endpoint: endpoint({ ticketKeys: [k1], sessionStore: false }) });
    // Another process, rotated: k2 is new, k1 still opens.
    const rotated = await new Pair({ endpoint: endpoint({ ticketKeys: [k2, k1], sessionStore: false }), client: { session } }).handshake();
    expect(rotated.client.isSessionReused()).toBe(true);
    const other = await new Pair({ endpoint: endpoint({ ticketKeys: [k2], sessionStore: false }), client: { session } }).handshake();
    expect(other.client.isSessionReused()).toBe(false); // RFC 5077 3.4: a full handshake, and a new ticket
    expect(other.client.getSession()).toBeDefined();
  });

  it('a session past sessionTimeout (wall clock) is not resumed', async () => {
    const ep = endpoint({ sessionTimeout: 10 });
    const { session } = await first({ endpoint: ep });
    const late = new Pair({ endpoint: ep, client: { session } });
    late.now = 11_000;
    await late.handshake();
    expect(late.client.isSessionReused()).toBe(false);
    const soon = new Pair({ endpoint: ep, client: { session } });
    soon.now = 9_000;
    await soon.handshake();
    expect(soon.client.isSessionReused()).toBe(true);
  });

  it('resumption off on the server (no store, no tickets): an empty session ID, nothing to resume', async () => {
    const p = await new Pair({ server: { sessionStore: false, sessionTickets: false } }).handshake();
    expect(p.client.getSession()).toBeUndefined();
  });

  it('RFC 7627 5.3: a ClientHello that resumes an extended-master-secret session without the extension is refused', async () => {
    const ep = endpoint();
    const { session } = await first({ endpoint: ep });
    const p = new Pair({
      endpoint: ep,
      client: { session },
      tap: (d, dir) =>
        dir === 'c2s'
          ? [
              editHandshake(d, (f) => {
                if (f.msgType !== HandshakeType.client_hello) return [f];
                const ch = decodeClientHello(f.body);
                return [withBody(f, encodeClientHello({ ...ch, extensions: ch.extensions.filter((e) => e.type !== ExtensionType.extended_master_secret) }))];
              }),
            ]
          : [d],
    });
    p.start();
    await p.run();
    expect(p.server?.error?.alert).toBe(AlertDescription.handshake_failure);
    expect(p.server?.error?.message).toMatch(/RFC 7627 5.3/);
  });

  it('the SNI of the session must be the one asked again (RFC 6066 3): otherwise a full handshake', async () => {
    const ep = endpoint();
    const { session } = await first({ endpoint: ep, client: { servername: 'a.example' } });
    const p = await new Pair({ endpoint: ep, client: { session, servername: 'b.example' } }).handshake();
    expect(p.client.isSessionReused()).toBe(false);
  });

  /** A resumed handshake whose ServerHello the tap rewrites (an on-path attacker, or a broken server). */
  async function resumedWithServerHello(edit: (sh: ReturnType<typeof decodeServerHello>) => ReturnType<typeof decodeServerHello>): Promise<Pair> {
    const ep = endpoint();
    const { session } = await first({ endpoint: ep });
    const p = new Pair({
      endpoint: ep,
      client: { session },
      tap: (d, dir) =>
        dir === 's2c'
          ? [editHandshake(d, (f) => (f.msgType === HandshakeType.server_hello ? [withBody(f, encodeServerHello(edit(decodeServerHello(f.body))))] : [f]))]
          : [d],
    });
    p.start();
    await p.run();
    return p;
  }

  it('RFC 7627 5.3 (client): a resumed ServerHello without extended_master_secret is refused with handshake_failure', async () => {
    const p = await resumedWithServerHello((sh) => ({ ...sh, extensions: sh.extensions.filter((e) => e.type !== ExtensionType.extended_master_secret) }));
    expect(p.client.error?.alert).toBe(AlertDescription.handshake_failure);
    expect(p.client.error?.message).toMatch(/RFC 7627 5.3/);
  });

  it("RFC 5246 7.4.1.3: a resumed ServerHello with another suite than the session's → illegal_parameter", async () => {
    const p = await resumedWithServerHello((sh) => ({ ...sh, cipherSuite: 0x00a8 /* TLS_PSK_WITH_AES_128_GCM_SHA256 */ === sh.cipherSuite ? 0xccab : 0x00a8 }));
    expect(p.client.error?.alert).toBe(AlertDescription.illegal_parameter);
  });

  it('a full-handshake message where the resumed Finished is due → unexpected_message (both sides)', async () => {
    const ep = endpoint();
    const { session } = await first({ endpoint: ep });
    const p = new Pair({
      endpoint: ep,
      client: { session },
      // The server's flight: a ServerHelloDone (epoch 0, right after the ServerHello) before its Finished.
      tap: (d, dir) =>
        dir === 's2c'
          ? [editHandshake(d, (f) => (f.msgType === HandshakeType.server_hello ? [f, { msgType: HandshakeType.server_hello_done, length: 0, messageSeq: f.messageSeq + 1, fragmentOffset: 0, body: new Uint8Array(0) }] : [f]))]
          : [d],
    });
    p.start();
    await p.run();
    expect(p.client.error?.alert).toBe(AlertDescription.unexpected_message);
    expect(p.client.error?.message).toMatch(/wait_resumed_finished/);
  });
});
