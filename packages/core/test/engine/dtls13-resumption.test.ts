/**
 * DTLS 1.3 resumption in the engine (RFC 8446 2.2, 4.2.11, 4.6.1; RFC 9147 5.8, 7): our server
 * sends a NewSessionTicket under the application keys once the handshake is done and resends it
 * until our client ACKs it; the client keeps it (getSession(), the 'session' event) and offers it
 * as a resumption PSK with connect({ session }); the resumed handshake carries no Certificate.
 * What makes a server pass a ticket over (other keys, too old, wrong obfuscated age, other SNI)
 * and what it refuses (a wrong binder: decrypt_error). wolfSSL against both sides:
 * packages/nonblocking/test/dtls13-resumption-wolfssl.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { decodeOfferedPsks, encodeOfferedPsks } from '../../src/handshake/extensions/pre-shared-key.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeHandshakeFragments, encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { encodeRecord } from '../../src/record/record-header.js';
import { decodeClientSession13 } from '../../src/session/client-session-13.js';
import { TICKET_KEY_LENGTH } from '../../src/session/ticket-keys.js';
import { PSK_KEY, serverPsk } from '../support/psk.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { expectLocalFailure, expectPeerFailure, Pair, type Tap } from './harness.js';

const V13 = { maxVersion: 'DTLSv1.3' } as const;
const CERT_CLIENT: Partial<ClientOptions> = { ...V13, psk: undefined, x509: clientX509() };

function endpoint(options: Partial<ServerOptions> = {}): ServerEndpoint {
  return new ServerEndpoint({ ...V13, psk: undefined, x509: serverX509('ecdsa'), ...options });
}

/** Handshake message types the server sent under encryption can't be read here; the plaintext ones and the record types can. */
function serverRecordTypes(p: Pair): number[] {
  return p.wire.filter((w) => w.direction === 's2c').flatMap((w) => splitRecords(w.datagram).map((r) => r.header.type));
}

/** The datagrams each way, as count and bytes (a resumed handshake is shorter: no certificate chain). */
function bytes(p: Pair, direction: 'c2s' | 's2c'): number {
  return p.wire.filter((w) => w.direction === direction).reduce((n, w) => n + w.datagram.length, 0);
}

async function full(ep: ServerEndpoint, client: Partial<ClientOptions> = CERT_CLIENT): Promise<{ pair: Pair; session: Uint8Array }> {
  const pair = await new Pair({ endpoint: ep, client }).handshake();
  // The NewSessionTicket comes after the handshake: one more round.
  await pair.run(5000);
  const session = pair.client.getSession();
  if (session === undefined) throw new Error('no session after the first handshake');
  expect(pair.client.isSessionReused()).toBe(false);
  expect(pair.clientEvents.filter((e) => e.type === 'session').length).toBe(1);
  return { pair, session };
}

describe('DTLS 1.3 resumption (engine)', () => {
  it('NewSessionTicket after the handshake, ACKed; connect({ session }) resumes with psk_dhe_ke, no Certificate, data both ways', async () => {
    const ep = endpoint();
    const { pair: first, session } = await full(ep);
    const s = decodeClientSession13(session);
    expect(s.suiteId).toBe(0x1301);
    expect(s.peerCertificates.length).toBe(first.client.peerCertificates.length);
    expect(s.peerCertificates.length).toBeGreaterThan(0);
    expect(s.lifetime).toBe(300);
    // The client's ACK of the ticket ended the server's retransmission: nothing more is due.
    expect(first.s.stats.retransmissions).toBe(0);
    const fullBytes = bytes(first, 's2c');

    const resumed = await new Pair({ endpoint: ep, client: { ...CERT_CLIENT, session } }).handshake();
    expect(resumed.client.protocol).toBe('DTLSv1.3');
    expect(resumed.client.isSessionReused()).toBe(true);
    expect(resumed.s.isSessionReused()).toBe(true);
    // The server's certificate as the full handshake checked it.
    expect(resumed.client.peerCertificates.map((c) => Buffer.from(c).toString('hex'))).toEqual(first.client.peerCertificates.map((c) => Buffer.from(c).toString('hex')));
    // No Certificate: the server flight is far smaller than the full one (its chain alone is hundreds of bytes).
    expect(bytes(resumed, 's2c')).toBeLessThan(fullBytes - 200);
    resumed.client.send(Buffer.from('ping'));
    resumed.s.send(Buffer.from('pong'));
    await resumed.run(5000);
    expect(resumed.serverEvents.some((e) => e.type === 'data' && Buffer.from(e.data).toString() === 'ping')).toBe(true);
    expect(resumed.clientEvents.some((e) => e.type === 'data' && Buffer.from(e.data).toString() === 'pong')).toBe(true);
    // A resumed connection gets a new ticket too (RFC 8446 C.4: tickets are best used once).
    const next = resumed.client.getSession();
    expect(next).toBeDefined();
    expect(Buffer.from(next ?? []).equals(Buffer.from(session))).toBe(false);
  });

  it("with a client certificate: the resumed server reports the client's chain and authorization from the ticket (no CertificateRequest in a PSK handshake, RFC 8446 4.3.2)", async () => {
    const ep = endpoint({ x509: serverX509('ecdsa', { requestCert: true, rejectUnauthorized: true }) });
    const client = { ...V13, psk: undefined, x509: clientX509({ cert: 'ecdsa' }) };
    const { pair: first, session } = await full(ep, client);
    expect(first.s.authorized).toBe(true);
    const resumed = await new Pair({ endpoint: ep, client: { ...client, session } }).handshake();
    expect(resumed.s.isSessionReused()).toBe(true);
    expect(resumed.s.authorized).toBe(true);
    expect(resumed.s.peerCertificates.map((c) => Buffer.from(c).toString('hex'))).toEqual(first.s.peerCertificates.map((c) => Buffer.from(c).toString('hex')));
  });

  it('a lost ACK: the server resends the NewSessionTicket (RFC 9147 5.8) and the client ACKs it again', async () => {
    const ep = endpoint();
    let acksDropped = 0;
    let server: () => string | undefined = () => undefined;
    // Once the server is established, all the client sends (no data here) is the ACK of the
    // ticket (its records are encrypted, RFC 9147 4: the type is not on the wire). The first two go.
    const tap: Tap = (d, dir) => {
      if (dir !== 'c2s' || server() !== 'established' || acksDropped >= 2) return [d];
      acksDropped++;
      return [];
    };
    const pair = new Pair({ endpoint: ep, client: CERT_CLIENT, tap });
    server = () => pair.server?.state;
    const p = await pair.handshake();
    await p.run(30_000);
    expect(acksDropped).toBe(2);
    expect(p.s.stats.retransmissions).toBeGreaterThanOrEqual(2);
    expect(p.client.getSession()).toBeDefined();
    // Settled: the third ACK went through, nothing waits any more.
    const sent = p.wire.length;
    await p.run(60_000);
    expect(p.wire.length).toBe(sent);
  });

  it('a DTLS 1.2-style record type check: the ticket travels in the unified header (never a plaintext handshake record)', async () => {
    const ep = endpoint();
    const { pair } = await full(ep);
    const types = serverRecordTypes(pair);
    // RFC 9147 4: after the ServerHello every server record is a unified-header ciphertext (0b001xxxxx).
    expect(types.filter((t) => t === ContentType.handshake).length).toBe(2); // HelloRetryRequest, ServerHello
  });

  it('the external PSK of a PSK-only client and the ticket together: the ticket is chosen', async () => {
    const ep = new ServerEndpoint({ ...V13, psk: serverPsk() });
    const first = await new Pair({ endpoint: ep, client: V13 }).handshake();
    await first.run(5000);
    const session = first.client.getSession();
    expect(session).toBeDefined();
    const resumed = await new Pair({ endpoint: ep, client: { ...V13, session } }).handshake();
    expect(resumed.client.isSessionReused()).toBe(true);
    expect(resumed.s.isSessionReused()).toBe(true);
    // The external identity of the full handshake, carried by the ticket.
    expect(Buffer.from(resumed.s.pskIdentity ?? []).toString()).toBe('Client_identity');
    // A server under other ticket keys cannot open the ticket (offered first): it looks the
    // identities up in order and finds the external one after it (a full PSK handshake).
    const known = serverPsk((identity) => (Buffer.from(identity).toString() === 'Client_identity' ? PSK_KEY : undefined));
    const elsewhere = await new Pair({ endpoint: new ServerEndpoint({ ...V13, psk: known }), client: { ...V13, session } }).handshake();
    expect(elsewhere.s.isSessionReused()).toBe(false);
    expect(Buffer.from(elsewhere.s.pskIdentity ?? []).toString()).toBe('Client_identity');
  });

  it('tickets from servers sharing ticketKeys resume; other keys, sessionTickets: false, an old ticket or another server_name give a full handshake', async () => {
    const k1 = new Uint8Array(TICKET_KEY_LENGTH).fill(1);
    const k2 = new Uint8Array(TICKET_KEY_LENGTH).fill(2);
    const { session } = await full(endpoint({ ticketKeys: [k1] }), { ...CERT_CLIENT, servername: 'localhost' });
    const shared = await new Pair({ endpoint: endpoint({ ticketKeys: [k2, k1] }), client: { ...CERT_CLIENT, servername: 'localhost', session } }).handshake();
    expect(shared.client.isSessionReused()).toBe(true);
    const other = await new Pair({ endpoint: endpoint({ ticketKeys: [k2] }), client: { ...CERT_CLIENT, servername: 'localhost', session } }).handshake();
    expect(other.client.isSessionReused()).toBe(false);
    expect(other.s.isSessionReused()).toBe(false);
    // An IP address is never sent as server_name (RFC 6066 3): the ticket was issued for "localhost".
    const sni = await new Pair({ endpoint: endpoint({ ticketKeys: [k1] }), client: { ...CERT_CLIENT, servername: '127.0.0.1', session } }).handshake();
    expect(sni.client.isSessionReused()).toBe(false);
    // sessionTimeout 300 s: a client connecting 301 s later (its wall clock) does not offer it.
    const late = new Pair({ endpoint: endpoint({ ticketKeys: [k1] }), client: { ...CERT_CLIENT, servername: 'localhost', session } });
    late.client.connect(0, 301_000);
    await late.run();
    expect(late.client.state).toBe('established');
    expect(late.client.isSessionReused()).toBe(false);
    // No tickets: no NewSessionTicket, no session.
    const none = await new Pair({ endpoint: endpoint({ sessionTickets: false }), client: CERT_CLIENT }).handshake();
    await none.run(5000);
    expect(none.client.getSession()).toBeUndefined();
  });

  it("ticketPskLabel 'tls13' (wolfSSL 5.5.4's derivation): our server accepts that binder too (after the dtls13 one fails); a bad value is a TypeError", async () => {
    const ep = endpoint();
    const { session } = await full(ep, { ...CERT_CLIENT, ticketPskLabel: 'tls13' });
    const resumed = await new Pair({ endpoint: ep, client: { ...CERT_CLIENT, ticketPskLabel: 'tls13', session } }).handshake();
    expect(resumed.s.isSessionReused()).toBe(true);
    expect(() => new Pair({ client: { ...CERT_CLIENT, ticketPskLabel: 'dtls1.3' as 'dtls13' } })).toThrow(TypeError);
  });

  it('an obfuscated age off by more than the window: the server passes the ticket over (RFC 8446 4.2.11.1, 8.3)', async () => {
    const ep = endpoint();
    const { session } = await full(ep);
    // The client believes the ticket is 60 s old; the server issued it at wall time 0 and it is now 0.
    const p = new Pair({ endpoint: ep, client: { ...CERT_CLIENT, session } });
    p.client.connect(0, 60_000);
    await p.run();
    expect(p.client.state).toBe('established');
    expect(p.s.isSessionReused()).toBe(false);
  });

  it('a binder that does not verify (its last byte flipped on the wire): decrypt_error (RFC 8446 4.2.11)', async () => {
    const ep = endpoint();
    const { session } = await full(ep);
    const tap: Tap = (d, dir) => {
      if (dir !== 'c2s') return [d];
      const out: Uint8Array[] = [];
      const records = splitRecords(d);
      if (records.length !== 1 || records[0]?.header.type !== ContentType.handshake || records[0].header.epoch !== 0) return [d];
      const r = records[0];
      const fragments = decodeHandshakeFragments(r.fragment);
      const f = fragments[0];
      if (fragments.length !== 1 || f === undefined || f.msgType !== HandshakeType.client_hello || f.fragmentOffset !== 0 || f.body.length !== f.length) return [d];
      const hello = decodeClientHello(f.body);
      const extensions = hello.extensions.map((e) => {
        if (e.type !== ExtensionType.pre_shared_key) return e;
        const offered = decodeOfferedPsks(e.data);
        const binders = offered.binders.map((b) => {
          const c = b.slice();
          c[c.length - 1] = (c[c.length - 1] ?? 0) ^ 1;
          return c;
        });
        return { type: e.type, data: encodeOfferedPsks({ identities: offered.identities, binders }) };
      });
      const body = encodeClientHello({ ...hello, extensions });
      out.push(encodeRecord(r.header, encodeHandshakeFragment({ ...f, length: body.length, body })));
      return out;
    };
    const p = new Pair({ endpoint: ep, client: { ...CERT_CLIENT, session }, tap }).start();
    await p.run(30_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.decrypt_error);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
  });
});
