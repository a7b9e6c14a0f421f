/**
 * Ephemeral ECDHE key pairs made ahead (DtlsConnection.prepare, in the spare time while the
 * peer works on its answer) are used by exactly one handshake: the client's ClientKeyExchange
 * carries the pair it made while it waited, a server's next ServerKeyExchange the pair it made
 * after its flight 4, and no public value ever appears in two handshakes. A client that ends
 * before using its pair keeps nothing.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes.js';
import { DtlsConnection } from '../../src/connection.js';
import { recordingProvider } from '../support/recording-provider.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeEcdhePskClientKeyExchange } from '../../src/handshake/messages/client-key-exchange.js';
import { decodeEcdhePskServerKeyExchange } from '../../src/handshake/messages/server-key-exchange.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { fullGc } from '../support/full-gc.js';
import { clientPsk, serverPsk } from '../support/psk.js';

const SUITE = 'ECDHE-PSK-AES128-GCM-SHA256';
const PEER = '192.0.2.7:40000';

/** The ECDHE public values of the plaintext (epoch 0) ServerKeyExchange and ClientKeyExchange in a datagram. */
function ecdhePublicValues(datagram: Uint8Array): { server: string[]; client: string[] } {
  const found = { server: [] as string[], client: [] as string[] };
  for (const r of splitRecords(datagram)) {
    if (r.header.type !== ContentType.handshake || r.header.epoch !== 0) continue;
    for (const f of decodeHandshakeFragments(r.fragment)) {
      if (f.msgType === HandshakeType.server_key_exchange) found.server.push(toHex(decodeEcdhePskServerKeyExchange(f.body).params.publicKey));
      if (f.msgType === HandshakeType.client_key_exchange) found.client.push(toHex(decodeEcdhePskClientKeyExchange(f.body).publicKey));
    }
  }
  return found;
}

interface Run {
  client: DtlsConnection;
  server: DtlsConnection | undefined;
  /** ServerKeyExchange and ClientKeyExchange public values, as they crossed. */
  serverKx: string[];
  clientKx: string[];
  /** Every datagram the server side (endpoint or connection) sent, as hex. */
  fromServer: string[];
}

/**
 * One handshake against `endpoint`, datagrams delivered at once; `spare` is called on each side
 * after it sent a flight, before the other side reads it (where a runtime calls prepare()).
 * `ecdhe`: the suite is ECDHE_PSK, whose key exchange messages are read as they cross.
 */
function handshake(endpoint: ServerEndpoint, client: DtlsConnection, spare: (conn: DtlsConnection) => void, ecdhe = true): Run {
  const run: Run = { client, server: undefined, serverKx: [], clientKx: [], fromServer: [] };
  const watch = (d: Uint8Array): void => {
    if (!ecdhe) return;
    const v = ecdhePublicValues(d);
    run.serverKx.push(...v.server);
    run.clientKx.push(...v.client);
  };
  client.connect(0);
  for (let round = 0; round < 20; round++) {
    const out = client.datagramsToSend();
    spare(client);
    if (out.length === 0 && round > 0) break;
    const back: Uint8Array[] = [];
    for (const d of out) {
      watch(d);
      if (run.server) run.server.receive(d, 0);
      else {
        const r = endpoint.handle(d, PEER, 0);
        if (r.type === 'reply') back.push(r.datagram);
        else if (r.type === 'accept') run.server = r.connection;
      }
    }
    if (run.server) {
      back.push(...run.server.datagramsToSend());
      spare(run.server);
    }
    for (const d of back) {
      watch(d);
      run.fromServer.push(toHex(d));
      client.receive(d, 0);
    }
  }
  expect(client.error).toBeUndefined();
  expect(client.state).toBe('established');
  expect(run.server?.state).toBe('established');
  return run;
}

describe('ECDHE key pairs made ahead', () => {
  it("the client's ClientKeyExchange carries the pair it made while it waited for the server", () => {
    const { provider, made } = recordingProvider();
    const endpoint = new ServerEndpoint({ maxVersion: 'DTLSv1.2', psk: serverPsk(), cipherSuites: SUITE });
    const client = DtlsConnection.client({ maxVersion: 'DTLSv1.2', psk: clientPsk(), cipherSuites: SUITE, provider });
    let prepared = 0;
    const run = handshake(endpoint, client, (conn) => {
      if (conn !== client || !conn.canPrepare) return;
      prepared++;
      conn.prepare();
    });
    // Made once, while it waited (after the ClientHello with the cookie); the ClientKeyExchange took it.
    expect(prepared).toBe(1);
    expect(made).toHaveLength(1);
    expect(run.clientKx).toEqual([toHex(made[0]?.publicKey ?? new Uint8Array(0))]);
    // Nothing more to make once the ClientKeyExchange is out.
    expect(client.canPrepare).toBe(false);
  });

  it("a server's pair made after its flight serves its next handshake, and no pair serves two", () => {
    const { provider, made } = recordingProvider();
    const endpoint = new ServerEndpoint({ maxVersion: 'DTLSv1.2', psk: serverPsk(), cipherSuites: SUITE, provider });
    const serverValues: string[] = [];
    const clientValues: string[] = [];
    let prepared = 0;
    for (let i = 0; i < 6; i++) {
      const before = made.length;
      const client = DtlsConnection.client({ maxVersion: 'DTLSv1.2', psk: clientPsk(), cipherSuites: SUITE });
      const run = handshake(endpoint, client, (conn) => {
        if (conn === client || !conn.canPrepare) return;
        prepared++;
        conn.prepare();
      });
      expect(run.serverKx).toHaveLength(1);
      serverValues.push(...run.serverKx);
      clientValues.push(...run.clientKx);
      if (i > 0) {
        // This handshake's ServerKeyExchange used the pair the previous one made after its flight 4.
        expect(run.serverKx[0]).toBe(toHex(made[before - 1]?.publicKey ?? new Uint8Array(0)));
      }
    }
    // One pair per handshake, made in spare time (the first handshake had none ready: 7 made).
    expect(prepared).toBe(6);
    expect(made).toHaveLength(7);
    expect(new Set(serverValues).size).toBe(serverValues.length);
    expect(new Set([...serverValues, ...clientValues]).size).toBe(serverValues.length + clientValues.length);
  });

  it("a DTLS 1.3 server's pair made after its flight answers the next handshake's key_share, and no pair serves two", () => {
    const { provider, made } = recordingProvider();
    const options13 = { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3', cipherSuites: 'TLS_AES_128_GCM_SHA256' } as const;
    const endpoint = new ServerEndpoint({ ...options13, psk: serverPsk(), provider });
    const answered: string[] = [];
    let prepared = 0;
    for (let i = 0; i < 6; i++) {
      const before = made.length;
      const client = DtlsConnection.client({ ...options13, psk: clientPsk() });
      const run = handshake(
        endpoint,
        client,
        (conn) => {
          if (conn === client || !conn.canPrepare) return;
          prepared++;
          conn.prepare();
        },
        false,
      );
      expect(run.server?.protocol).toBe('DTLSv1.3');
      // psk_dhe_ke (RFC 8446 4.2.9): the ServerHello's key_share is the pair made after the
      // previous handshake's flight (the first handshake had none ready and made its own).
      const taken = toHex(made[i === 0 ? before : before - 1]?.publicKey ?? new Uint8Array(0));
      expect(taken).toHaveLength(64);
      expect(run.fromServer.some((d) => d.includes(taken))).toBe(true);
      answered.push(taken);
    }
    // A pair made in the spare time after each flight (none was ready for the first handshake).
    expect(prepared).toBe(6);
    expect(made).toHaveLength(7);
    expect(new Set(made.map((m) => toHex(m.publicKey))).size).toBe(7);
    expect(new Set(answered).size).toBe(6);
  });

  it('prepare() does nothing without an ECDHE suite', () => {
    const { provider, made } = recordingProvider();
    const client = DtlsConnection.client({ maxVersion: 'DTLSv1.2', psk: clientPsk(), cipherSuites: 'PSK-AES128-GCM-SHA256', provider });
    client.connect(0);
    expect(client.canPrepare).toBe(false);
    client.prepare();
    expect(made).toHaveLength(0);
  });

  it('a client whose server chose a suite without ECDHE keeps no pair once established', async () => {
    const gc = fullGc();
    const { provider, made } = recordingProvider();
    const endpoint = new ServerEndpoint({ maxVersion: 'DTLSv1.2', psk: serverPsk(), cipherSuites: 'PSK-AES128-GCM-SHA256' });
    const client = DtlsConnection.client({ maxVersion: 'DTLSv1.2', psk: clientPsk(), cipherSuites: `${SUITE}:PSK-AES128-GCM-SHA256`, provider });
    handshake(
      endpoint,
      client,
      (conn) => {
        if (conn === client && conn.canPrepare) conn.prepare();
      },
      false,
    );
    expect(client.cipherSuite?.name).toBe('TLS_PSK_WITH_AES_128_GCM_SHA256');
    expect(made).toHaveLength(1);
    const pair = new WeakRef(made.pop() ?? {});
    // Established and still open: the pair made ahead for a ClientKeyExchange that never came is gone.
    for (let i = 0; i < 5 && pair.deref() !== undefined; i++) {
      await new Promise((r) => setImmediate(r));
      gc();
    }
    expect(pair.deref()).toBeUndefined();
    expect(client.state).toBe('established');
  });

  it('a client makes its pair after flight 3 (with the cookie), not after flight 1', () => {
    const { provider, made } = recordingProvider();
    const endpoint = new ServerEndpoint({ maxVersion: 'DTLSv1.2', psk: serverPsk(), cipherSuites: SUITE });
    const client = DtlsConnection.client({ maxVersion: 'DTLSv1.2', psk: clientPsk(), cipherSuites: SUITE, provider });
    client.connect(0);
    const [hello] = client.datagramsToSend();
    // A HelloVerifyRequest comes back at once: nothing to make while waiting for it.
    expect(client.canPrepare).toBe(false);
    const hvr = endpoint.handle(hello ?? new Uint8Array(0), PEER, 0);
    expect(hvr.type).toBe('reply');
    if (hvr.type === 'reply') client.receive(hvr.datagram, 0);
    expect(client.datagramsToSend()).toHaveLength(1);
    expect(client.canPrepare).toBe(true);
    client.prepare();
    expect(made).toHaveLength(1);
    expect(client.canPrepare).toBe(false);
  });

  it('a client that ends before the server answers keeps no pair: it is collected', async () => {
    const gc = fullGc();
    const { provider, made } = recordingProvider();
    const endpoint = new ServerEndpoint({ maxVersion: 'DTLSv1.2', psk: serverPsk(), cipherSuites: SUITE });
    const client = DtlsConnection.client({ maxVersion: 'DTLSv1.2', psk: clientPsk(), cipherSuites: SUITE, provider });
    client.connect(0);
    const hvr = endpoint.handle(client.datagramsToSend()[0] ?? new Uint8Array(0), PEER, 0);
    if (hvr.type === 'reply') client.receive(hvr.datagram, 0);
    client.datagramsToSend();
    expect(client.canPrepare).toBe(true);
    client.prepare();
    expect(made).toHaveLength(1);
    const pair = new WeakRef(made.pop() ?? {});
    client.close();
    expect(client.state).toBe('closed');
    expect(client.canPrepare).toBe(false);
    // The connection is still referenced here; its pair must not be.
    for (let i = 0; i < 5 && pair.deref() !== undefined; i++) {
      await new Promise((r) => setImmediate(r));
      gc();
    }
    expect(pair.deref()).toBeUndefined();
    expect(client.state).toBe('closed');
  });
});
