/**
 * An established connection handed over (exportEstablished) and taken up elsewhere
 * (importEstablished) goes on with the same peer: records both ways, the replay window, the
 * negotiated parameters, close_notify; and the server's last flight still answers a client that
 * retransmits its flight 5 (RFC 6347 4.2.4).
 */
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { ServerOptions } from '../../src/config.js';
import { DtlsConnection, type DtlsEvent } from '../../src/connection.js';
import { DtlsError } from '../../src/errors.js';
import { decodeEstablishedSnapshot, encodeEstablishedSnapshot, type EstablishedSnapshot } from '../../src/established-snapshot.js';
import { CborError, encodeCbor } from '../../src/codec/cbor.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { DTLS12_RECORD_FORMAT } from '../../src/record/dtls12-record-format.js';
import { resolveClientOptions, resolveServerOptions } from '../../src/options.js';
import { clientPsk, serverPsk } from '../support/psk.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { Pair, recordsOf } from './harness.js';
import { AlertDescription } from '../../src/alert.js';
import { encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function drain(conn: DtlsConnection): DtlsEvent[] {
  const out: DtlsEvent[] = [];
  for (let e = conn.pollEvent(); e !== undefined; e = conn.pollEvent()) out.push(e);
  return out;
}

function texts(events: readonly DtlsEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'data' ? [dec.decode(e.data)] : []));
}

/** Moves every datagram of `from` to `to` once; returns them. */
function deliver(from: DtlsConnection, to: DtlsConnection, now: number): Uint8Array[] {
  const ds = from.datagramsToSend();
  for (const d of ds) to.receive(d, now, { address: '192.0.2.7', port: 40000 });
  return ds;
}

/**
 * As another thread gets it: through the snapshot's own codec (encodeEstablishedSnapshot, CBOR:
 * what the blocking server's hand-over uses), the copy being what is taken up; and through the
 * structured clone of postMessage (v8 serialize), which must carry it as well.
 */
function carried(snapshot: EstablishedSnapshot): EstablishedSnapshot {
  expect(deserialize(serialize(snapshot))).toEqual(snapshot);
  const copy = decodeEstablishedSnapshot(encodeEstablishedSnapshot(snapshot));
  expect(copy).toEqual(snapshot);
  return copy;
}

function serverOptions(extra: Partial<ServerOptions> = {}): ServerOptions {
  return { psk: serverPsk(), ...extra };
}

describe('established connection hand-over', () => {
  it('goes on both ways with the same peer: data, replay window, negotiated parameters, close_notify', async () => {
    const p = await new Pair({ server: serverOptions({ ALPNProtocols: ['x'] }), client: { ALPNProtocols: ['x'] } }).handshake();
    p.drainEvents();
    p.client.send(enc.encode('before'));
    const beforeDatagram = p.client.datagramsToSend();
    for (const d of beforeDatagram) p.s.receive(d, p.now, { address: '192.0.2.7', port: 40000 });
    expect(texts(drain(p.s))).toEqual(['before']);
    // Something queued on each side at the hand-over travels with the snapshot.
    p.client.send(enc.encode('queued'));
    for (const d of p.client.datagramsToSend()) p.s.receive(d, p.now, { address: '192.0.2.7', port: 40000 });
    p.s.send(enc.encode('unsent'));

    const original = p.s;
    const keyLog = original.keyLogLine;
    const material = original.exportKeyingMaterial(32, 'EXPORTER-test');
    const statsBefore = original.stats;
    const snapshot = carried(original.exportEstablished());
    // The original is done: it never seals again (a sequence number would be an AEAD nonce used twice).
    expect(original.state).toBe('closed');
    expect(() => original.send(enc.encode('x'))).toThrow(DtlsError);
    expect(original.datagramsToSend()).toEqual([]);
    expect(original.pollEvent()).toBeUndefined();

    const server = DtlsConnection.importEstablished(snapshot, resolveServerOptions(serverOptions({ ALPNProtocols: ['x'] })), p.now);
    expect(server.state).toBe('established');
    expect(server.isClient).toBe(false);
    expect(server.keyLogLine).toBe(keyLog);
    expect(server.exportKeyingMaterial(32, 'EXPORTER-test')).toEqual(material);
    expect(server.alpnProtocol).toBe('x');
    expect(server.cipherSuite?.id).toBe(p.client.cipherSuite?.id);
    expect(server.pskIdentity).toEqual(p.client.pskIdentity);
    expect(server.peerAddress).toEqual({ address: '192.0.2.7', port: 40000 });
    expect(server.stats.recordsIn).toBe(statsBefore.recordsIn);
    expect(server.stats.recordsOut).toBe(statsBefore.recordsOut);
    expect(texts(drain(server))).toEqual(['queued']);

    // The queued datagram, then new records, both ways.
    deliver(server, p.client, p.now);
    server.send(enc.encode('from the new thread'));
    deliver(server, p.client, p.now);
    expect(texts(drain(p.client))).toEqual(['unsent', 'from the new thread']);
    p.client.send(enc.encode('after'));
    deliver(p.client, server, p.now);
    expect(texts(drain(server))).toEqual(['after']);

    // A record the original read is a replay here (RFC 6347 4.1.2.6).
    const replayed = server.stats.replayed;
    for (const d of beforeDatagram) server.receive(d, p.now, { address: '192.0.2.7', port: 40000 });
    expect(drain(server)).toEqual([]);
    expect(server.stats.replayed).toBe(replayed + 1);

    // close_notify from the client is answered and ends the imported connection cleanly.
    p.client.close();
    deliver(p.client, server, p.now);
    expect(drain(server)).toEqual([{ type: 'close', error: undefined }]);
    expect(server.state).toBe('closed');
    const answer = server.datagramsToSend();
    expect(answer).toHaveLength(1);
    const records = splitRecords(answer[0] ?? new Uint8Array(0), [DTLS12_RECORD_FORMAT]);
    expect(records.map((r) => r.header.type)).toEqual([ContentType.alert]);
  });

  it('answers a retransmitted flight 5 with the last flight, after the hand-over', async () => {
    // Flight 6 (the server's ChangeCipherSpec and Finished) is lost: the client will retransmit flight 5.
    let dropServer = true;
    const p: Pair = new Pair({
      tap: (d, direction): Uint8Array[] => (direction === 's2c' && dropServer && p.server?.state === 'established' ? [] : [d]),
    });
    p.start();
    await p.run();
    expect(p.s.state).toBe('established');
    expect(p.client.state).toBe('handshaking');
    dropServer = false;

    const snapshot = carried(p.s.exportEstablished());
    expect(snapshot.handshake.lastFlight?.flight.map((m) => m.kind).slice(-2)).toEqual(['change_cipher_spec', 'handshake']);
    const server = DtlsConnection.importEstablished(snapshot, resolveServerOptions(serverOptions()), p.now);
    expect(drain(server)).toEqual([]); // the pump polled 'handshake-complete' before the hand-over

    // The client's timer fires: flight 5 again; the imported server answers with flight 6.
    const due = p.client.nextTimeout();
    expect(due).toBeDefined();
    p.client.handleTimeout(due ?? 0);
    const flight5 = deliver(p.client, server, due ?? 0);
    expect(flight5.length).toBeGreaterThan(0);
    expect(server.stats.retransmissions).toBe(1);
    const flight6 = deliver(server, p.client, due ?? 0);
    expect(flight6.length).toBeGreaterThan(0);
    expect(p.client.state).toBe('established');
    expect(drain(p.client)).toEqual([{ type: 'handshake-complete' }]);

    p.client.send(enc.encode('ping'));
    deliver(p.client, server, due ?? 0);
    expect(texts(drain(server))).toEqual(['ping']);
    server.send(enc.encode('pong'));
    deliver(server, p.client, due ?? 0);
    expect(texts(drain(p.client))).toEqual(['pong']);
  });

  it('carries connection IDs: the records keep their tls12_cid format both ways (RFC 9146)', async () => {
    const p = await new Pair({ server: serverOptions({ connectionId: { length: 4 } }), client: { connectionId: { length: 3 } } }).handshake();
    p.drainEvents();
    const cid = p.s.connectionId;
    expect(cid?.receive.length).toBe(4);
    const server = DtlsConnection.importEstablished(carried(p.s.exportEstablished()), resolveServerOptions(serverOptions({ connectionId: { length: 4 } })), p.now);
    expect(server.connectionId).toEqual(cid);
    p.client.send(enc.encode('cid up'));
    const up = deliver(p.client, server, p.now);
    expect(up[0]?.[0]).toBe(ContentType.tls12_cid);
    expect(texts(drain(server))).toEqual(['cid up']);
    server.send(enc.encode('cid down'));
    const down = deliver(server, p.client, p.now);
    expect(down[0]?.[0]).toBe(ContentType.tls12_cid);
    expect(texts(drain(p.client))).toEqual(['cid down']);
  });

  it('carries DTLS-SRTP (profile, MKI, keying material) and works for the client side too', async () => {
    const srtp = { srtpProfiles: 'SRTP_AEAD_AES_128_GCM', srtpMki: new Uint8Array([7, 7]) };
    const p = await new Pair({ server: serverOptions(srtp), client: srtp }).handshake();
    p.drainEvents();
    const serverMaterial = p.s.getSrtpKeyingMaterial();
    const clientMaterial = p.client.getSrtpKeyingMaterial();
    expect(serverMaterial).toBeDefined();
    const server = DtlsConnection.importEstablished(carried(p.s.exportEstablished()), resolveServerOptions(serverOptions(srtp)), p.now);
    const client = DtlsConnection.importEstablished(carried(p.client.exportEstablished()), resolveClientOptions({ psk: clientPsk(), ...srtp }), p.now);
    expect(client.isClient).toBe(true);
    expect(server.srtpProfile?.name).toBe('SRTP_AEAD_AES_128_GCM');
    expect(server.srtpMki).toEqual(new Uint8Array([7, 7]));
    expect(server.getSrtpKeyingMaterial()).toEqual(serverMaterial);
    expect(client.getSrtpKeyingMaterial()).toEqual(clientMaterial);
    // Both ends moved: they still talk, in both directions.
    client.send(enc.encode('c'));
    deliver(client, server, p.now);
    server.send(enc.encode('s'));
    deliver(server, client, p.now);
    expect(texts(drain(server))).toEqual(['c']);
    expect(texts(drain(client))).toEqual(['s']);
  });

  it('carries the peer certificate chain, its authorization and the server name (ECDHE-ECDSA, client certificate)', async () => {
    const serverX = { x509: serverX509('ecdsa', { requestCert: true }) };
    const p = await new Pair({
      server: serverX,
      client: { x509: clientX509({ cert: 'ecdsa' }), servername: 'localhost', cipherSuites: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
    }).handshake();
    p.drainEvents();
    const chain = p.s.peerCertificates;
    expect(chain.length).toBeGreaterThan(0);
    expect(p.s.authorized).toBe(true);
    const server = DtlsConnection.importEstablished(carried(p.s.exportEstablished()), resolveServerOptions(serverOptions(serverX)), p.now);
    expect(server.getCipher()?.name).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(server.peerCertificates).toEqual(chain);
    expect(server.authorized).toBe(true);
    expect(server.authorizationError).toBeUndefined();
    expect(server.servername).toBe('localhost');
    p.client.send(enc.encode('signed'));
    deliver(p.client, server, p.now);
    expect(texts(drain(server))).toEqual(['signed']);
  });

  it('a resumed client holds the last flight: handed over, it answers the server that retransmits its flight', async () => {
    const endpoint = new ServerEndpoint(serverOptions());
    const first = await new Pair({ endpoint }).handshake();
    const session = first.client.getSession();
    expect(session).toBeDefined();
    // The client's last flight (ChangeCipherSpec, Finished) is lost: the server will retransmit its flight.
    let dropClient = true;
    const p: Pair = new Pair({
      endpoint,
      client: { session },
      tap: (d, direction): Uint8Array[] => (direction === 'c2s' && dropClient && p.client.state === 'established' ? [] : [d]),
    });
    p.start();
    await p.run();
    expect(p.client.state).toBe('established');
    expect(p.client.isSessionReused()).toBe(true);
    expect(p.s.state).toBe('handshaking');
    dropClient = false;
    const snapshot = carried(p.client.exportEstablished());
    expect(snapshot.handshake.role).toBe('client');
    expect(snapshot.handshake.lastFlight?.flight.map((m) => m.kind)).toEqual(['change_cipher_spec', 'handshake']);
    const client = DtlsConnection.importEstablished(snapshot, resolveClientOptions({ psk: clientPsk(), session }), p.now);
    expect(client.isSessionReused()).toBe(true);
    expect(client.getSession()).toEqual(session);

    const due = p.s.nextTimeout() ?? 0;
    p.s.handleTimeout(due);
    deliver(p.s, client, due);
    expect(client.stats.retransmissions).toBe(1);
    deliver(client, p.s, due);
    expect(p.s.state).toBe('established');
    client.send(enc.encode('resumed'));
    deliver(client, p.s, due);
    expect(texts(drain(p.s))).toEqual(['resumed']);
  });

  it('refuses renegotiation after the hand-over as before it (RFC 5746): a no_renegotiation warning, the connection goes on', async () => {
    const p = await new Pair().handshake();
    p.drainEvents();
    const server = DtlsConnection.importEstablished(carried(p.s.exportEstablished()), resolveServerOptions(serverOptions()), p.now);
    // A ClientHello under the connection's keys (message_seq 0, as RFC 6347 4.2.2 restarts it).
    const hello = encodeHandshakeFragment({ msgType: HandshakeType.client_hello, length: 4, messageSeq: 0, fragmentOffset: 0, body: new Uint8Array([254, 253, 0, 0]) });
    server.receive(recordsOf(p.client).seal(ContentType.handshake, hello), p.now, { address: '192.0.2.7', port: 40000 });
    expect(server.state).toBe('established');
    deliver(server, p.client, p.now);
    expect(drain(p.client)).toEqual([{ type: 'alert', description: AlertDescription.no_renegotiation, name: 'no_renegotiation' }]);
  });

  it('refuses what it cannot carry: a connection not established, another layout, another replay window size', async () => {
    const p = new Pair();
    p.start();
    p.step();
    expect(() => p.client.exportEstablished()).toThrow(TypeError);
    await p.run();
    const snapshot = p.s.exportEstablished();
    const otherLayout = { ...snapshot };
    Reflect.set(otherLayout, 'format', 'dtls-kit/established/0');
    expect(() => DtlsConnection.importEstablished(otherLayout, resolveServerOptions(serverOptions()), 0)).toThrow(TypeError);
    expect(() => DtlsConnection.importEstablished(snapshot, resolveServerOptions(serverOptions({ replayWindowSize: 128 })), 0)).toThrow(/replay window/);
    expect(() => DtlsConnection.importEstablished({ ...snapshot, negotiated: { ...snapshot.negotiated, suiteId: 0xfefe } }, resolveServerOptions(serverOptions()), 0)).toThrow(/unknown cipher suite/);
    // As bytes: another layout's, a data item that is no snapshot, bytes that are no CBOR.
    expect(() => decodeEstablishedSnapshot(encodeEstablishedSnapshot(otherLayout))).toThrow(/not an established-connection snapshot of layout dtls-kit\/established\/1/);
    expect(() => decodeEstablishedSnapshot(encodeCbor([snapshot.format]))).toThrow(TypeError);
    const bytes = encodeEstablishedSnapshot(snapshot);
    expect(() => decodeEstablishedSnapshot(bytes.subarray(0, bytes.length - 1))).toThrow(CborError);
  });
});
