/**
 * The DTLS 1.3 server (ServerHandshake13 behind the stateless HelloRetryRequest cookie) with our
 * own 1.3 client on the simulated network: both runtimes' engine, PSK and certificates, async
 * credentials, loss, and what the server refuses. wolfSSL's client against it:
 * packages/nonblocking/test/interop-wolfssl13-server.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { DOWNGRADE_TO_1_2 } from '../../src/handshake/messages/downgrade-sentinel.js';
import { decodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { splitRecords } from '../../src/record/datagram.js';
import { clientPsk, PSK_KEY, serverPsk } from '../support/psk.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { expectLocalFailure, expectPeerFailure, Pair } from './harness.js';

const V13 = { maxVersion: 'DTLSv1.3' } as const;

function dataOf(events: readonly { type: string }[]): string[] {
  return events.flatMap((e) => ('data' in e && e.data instanceof Uint8Array ? [Buffer.from(e.data).toString()] : []));
}

async function echoBothWays(p: Pair): Promise<void> {
  p.client.send(Buffer.from('ping'));
  p.s.send(Buffer.from('pong'));
  await p.run();
  expect(dataOf(p.serverEvents)).toContain('ping');
  expect(dataOf(p.clientEvents)).toContain('pong');
}

describe('DTLS 1.3 server (RFC 9147) with our DTLS 1.3 client', () => {
  it('PSK (psk_dhe_ke): HelloRetryRequest with a cookie, 1.3 handshake, data both ways', async () => {
    const p = await new Pair({ client: V13, server: V13 }).handshake();
    expect(p.s.protocol).toBe('DTLSv1.3');
    expect(p.client.protocol).toBe('DTLSv1.3');
    expect(p.s.getCipher()?.name).toBe('TLS_AES_128_GCM_SHA256');
    expect(Buffer.from(p.s.pskIdentity ?? []).toString()).toBe('Client_identity');
    // The endpoint answered the first ClientHello (the HelloRetryRequest) and kept nothing.
    expect(p.endpointReplies.length).toBe(1);
    await echoBothWays(p);
  });

  it('certificates: ECDSA P-256 and RSA (RSA-PSS CertificateVerify)', async () => {
    for (const kind of ['ecdsa', 'rsa'] as const) {
      const p = await new Pair({ client: { ...V13, psk: undefined, x509: clientX509() }, server: { ...V13, psk: undefined, x509: serverX509(kind) } }).handshake();
      expect(p.client.protocol, kind).toBe('DTLSv1.3');
      await echoBothWays(p);
    }
  });

  it('TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256 when the server prefers them (certificates)', async () => {
    for (const suite of ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
      const p = await new Pair({ client: { ...V13, psk: undefined, x509: clientX509() }, server: { ...V13, psk: undefined, x509: serverX509('ecdsa'), cipherSuites: [suite] } }).handshake();
      expect(p.s.getCipher()?.name).toBe(suite);
      await echoBothWays(p);
    }
  });

  it('an asynchronous PSK lookup pauses the server flight until it answers', async () => {
    const lookup = (): Promise<Uint8Array> => new Promise((resolve) => setTimeout(() => resolve(PSK_KEY), 5));
    const p = await new Pair({ client: V13, server: { ...V13, psk: serverPsk(lookup) } }).handshake();
    expect(p.s.protocol).toBe('DTLSv1.3');
  });

  it('completes under loss: the flight is resent from ACKs and timers (every third datagram dropped)', async () => {
    const p = new Pair({ client: V13, server: V13, tap: (d, _dir, index) => (index % 3 === 2 ? [] : [d]) }).start();
    await p.run(60_000);
    expect(p.client.state).toBe('established');
    expect(p.s.state).toBe('established');
    expect(p.s.protocol).toBe('DTLSv1.3');
    expect(p.s.stats.retransmissions).toBeGreaterThan(0);
  });

  it('a client with another PSK: the binder does not verify, decrypt_error (RFC 8446 4.2.11, 6.2)', async () => {
    const other = PSK_KEY.slice();
    other[0] = (other[0] ?? 0) ^ 1;
    const p = new Pair({ client: { ...V13, psk: clientPsk(other) }, server: V13 }).start();
    await p.run(30_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.decrypt_error);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
  });

  it('a DTLS 1.2 client still gets DTLS 1.2, and the ServerHello.random carries the downgrade sentinel (RFC 8446 4.1.3)', async () => {
    const p = await new Pair({ server: V13 }).handshake();
    expect(p.s.protocol).toBe('DTLSv1.2');
    const sh = p.wire
      .filter((w) => w.direction === 's2c')
      .flatMap((w) => splitRecords(w.datagram))
      .filter((r) => r.header.epoch === 0 && r.header.type === 22)
      .flatMap((r) => decodeHandshakeFragments(r.fragment))
      .find((f) => f.msgType === HandshakeType.server_hello);
    if (sh === undefined) throw new Error('no ServerHello');
    expect(Array.from(decodeServerHello(sh.body).random.subarray(24))).toEqual(Array.from(DOWNGRADE_TO_1_2));
    // Without maxVersion DTLSv1.3 the random is plain (no sentinel: we could not have spoken 1.3).
    const q = await new Pair().handshake();
    const plain = q.wire
      .filter((w) => w.direction === 's2c')
      .flatMap((w) => splitRecords(w.datagram))
      .filter((r) => r.header.epoch === 0 && r.header.type === 22)
      .flatMap((r) => decodeHandshakeFragments(r.fragment))
      .find((f) => f.msgType === HandshakeType.server_hello);
    if (plain === undefined) throw new Error('no ServerHello');
    expect(Array.from(decodeServerHello(plain.body).random.subarray(24))).not.toEqual(Array.from(DOWNGRADE_TO_1_2));
  });

  it('minVersion DTLSv1.3: a DTLS 1.2 client gets protocol_version from the endpoint (RFC 8446 4.2.1)', async () => {
    const p = new Pair({ server: { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } }).start();
    await p.run(30_000);
    expect(p.server).toBeUndefined();
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.protocol_version);
  });

  it('ALPN in EncryptedExtensions (RFC 8446 4.3.1, RFC 7301): the first of ours the client offers; none in common is no_application_protocol', async () => {
    const p = await new Pair({ client: { ...V13, ALPNProtocols: ['h3', 'coap'] }, server: { ...V13, ALPNProtocols: ['coap', 'h3'] } }).handshake();
    expect(p.s.alpnProtocol).toBe('coap');
    expect(p.client.alpnProtocol).toBe('coap');
    const q = new Pair({ client: { ...V13, ALPNProtocols: ['h3'] }, server: { ...V13, ALPNProtocols: ['coap'] } }).start();
    await q.run(30_000);
    expectLocalFailure(q.s, q.serverEvents, AlertDescription.no_application_protocol);
  });
});
