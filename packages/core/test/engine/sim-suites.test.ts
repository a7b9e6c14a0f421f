/**
 * Every PSK suite with both crypto providers (and with one provider on each side; the native
 * sodium-native one on its ChaCha20-Poly1305 suites against each of the others), on a
 * clean simulated network: the handshake completes, the negotiated suite is the one asked
 * for on both ends, and application data goes both ways.
 */
import { describe, expect, it } from 'vitest';
import { cipherSuiteByName } from '../../src/suites/registry.js';
import { PROVIDERS, PSK_SUITES, SimPair, type ProviderName } from './sim-harness.js';
import { PSK_IDENTITY } from '../support/psk.js';

type Cell = [suite: string, client: ProviderName, server: ProviderName];

const CELLS: Cell[] = PSK_SUITES.flatMap((suite): Cell[] => [
  [suite, 'node', 'node'],
  [suite, 'noble', 'noble'],
]);
// Mixed providers: each side's records are sealed by one implementation and opened by the other.
CELLS.push(['TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'node', 'noble']);
CELLS.push(['TLS_PSK_WITH_AES_128_CCM_8', 'noble', 'node']);
CELLS.push(['TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256', 'noble', 'node']);
// The native provider (libsodium's ChaCha20-Poly1305) against itself and against each of the others,
// and on an AES suite, which it hands to node:crypto.
CELLS.push(['TLS_PSK_WITH_CHACHA20_POLY1305_SHA256', 'sodium', 'sodium']);
CELLS.push(['TLS_PSK_WITH_CHACHA20_POLY1305_SHA256', 'sodium', 'node']);
CELLS.push(['TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'noble', 'sodium']);
CELLS.push(['TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'sodium', 'noble']);
CELLS.push(['TLS_PSK_WITH_AES_128_GCM_SHA256', 'sodium', 'noble']);
// The native-aead provider (OpenSSL EVP: AES-GCM and ChaCha20-Poly1305) against itself and the
// pure-JS one, on its three AEADs, and on a CCM suite, which it hands to node:crypto.
CELLS.push(['TLS_PSK_WITH_AES_128_GCM_SHA256', 'native', 'native']);
CELLS.push(['TLS_PSK_WITH_AES_128_GCM_SHA256', 'native', 'noble']);
CELLS.push(['TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256', 'noble', 'native']);
CELLS.push(['TLS_PSK_WITH_CHACHA20_POLY1305_SHA256', 'native', 'sodium']);
CELLS.push(['TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'noble', 'native']);
CELLS.push(['TLS_PSK_WITH_AES_128_CCM_8', 'native', 'noble']);

describe('every PSK suite on a clean simulated network', () => {
  it.each(CELLS)('%s (client %s, server %s)', async (suite, clientProvider, serverProvider) => {
    const pair = new SimPair({ suite, clientProvider: PROVIDERS[clientProvider], serverProvider: PROVIDERS[serverProvider], record: true });
    const hs = await pair.handshake();
    expect(pair.client.error).toBeUndefined();
    expect(pair.serverConn?.error).toBeUndefined();
    expect(hs.reason).toBe('until');
    expect(pair.established).toBe(true);

    const expected = cipherSuiteByName(suite);
    expect(expected).toBeDefined();
    expect(pair.client.cipherSuite).toBe(expected);
    expect(pair.serverConn?.cipherSuite).toBe(expected);
    expect(pair.client.protocol).toBe('DTLSv1.2');
    expect(pair.serverConn?.pskIdentity).toEqual(PSK_IDENTITY);
    expect(pair.client.extendedMasterSecret).toBe(true);
    expect(pair.serverConn?.extendedMasterSecret).toBe(true);
    // Both ends derived the same master secret: the exporter agrees.
    expect(pair.client.exportKeyingMaterial(32, 'EXTRACTOR-dtls_srtp')).toEqual(pair.serverConn?.exportKeyingMaterial(32, 'EXTRACTOR-dtls_srtp'));

    // A clean network needs no retransmission: the full exchange is HVR + 3 round trips of 10 ms each way.
    expect(pair.client.stats.retransmissions).toBe(0);
    expect(pair.serverConn?.stats.retransmissions).toBe(0);
    expect(hs.time).toBe(60);
    expect(pair.server.endpointResults).toEqual(['reply', 'accept']);

    const data = await pair.exchange('ping from client', 'pong from server');
    expect(data.reason).toBe('until');
    expect(pair.serverLog.data).toEqual(['ping from client']);
    expect(pair.clientLog.data).toEqual(['pong from server']);
    expect(pair.clientLog.types()).toEqual(['handshake-complete', 'data']);
    expect(pair.serverLog.types()).toEqual(['handshake-complete', 'data']);
    // Records of application data are protected: the plaintext is not on the wire.
    const wire = pair.sent.map((s) => Buffer.from(s.datagram).toString('latin1')).join('');
    expect(wire).not.toContain('ping from client');
    expect(wire).not.toContain('pong from server');
    expect(pair.net.getStats().AtoB.oversize + pair.net.getStats().BtoA.oversize).toBe(0);
  });

  it('works whatever the clock origin (a runtime may pass Date.now())', async () => {
    const startAt = 1_750_000_000_000;
    const pair = new SimPair({ startAt, suite: 'TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256' });
    const hs = await pair.handshake();
    expect(pair.client.error).toBeUndefined();
    expect(pair.established).toBe(true);
    expect(hs.elapsed).toBe(60);
    // The deadline counts from connect(), not from zero.
    const timeout = pair.client.nextTimeout();
    expect(timeout).toBeUndefined();
  });

  it('a client that connects long after it was created still gets its whole handshake deadline', async () => {
    const pair = new SimPair({ startAt: 100_000, bToA: { loss: 1 }, client: { handshakeTimeoutMs: 10_000 } });
    pair.client.connect(pair.now());
    // First retransmission after 1 s, not an immediate timeout.
    expect(pair.client.nextTimeout()).toBe(101_000);
    const r = await pair.runUntil(() => pair.anyClosed);
    expect(r.time).toBe(110_000);
    expect(pair.client.error?.name).toBe('HandshakeTimeoutError');
  });
});
