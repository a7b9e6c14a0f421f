/**
 * The CBC suites (RFC 5246 6.2.3.2) between two of our engines on a simulated network, with and
 * without encrypt-then-MAC (RFC 7366), with each crypto provider and mixed providers (one seals,
 * the other opens), on a clean and on a lossy network; and the encrypt_then_mac negotiation rules.
 */
import { describe, expect, it } from 'vitest';
import { cipherSuiteByName } from '../../src/suites/registry.js';
import { PROVIDERS, SimPair, type ProviderName } from './sim-harness.js';

const CBC_PSK_SUITES = ['TLS_PSK_WITH_AES_128_CBC_SHA256', 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256'] as const;

type Cell = [suite: string, client: ProviderName, server: ProviderName, etm: boolean];
const CELLS: Cell[] = CBC_PSK_SUITES.flatMap((suite): Cell[] => [
  [suite, 'node', 'node', true],
  [suite, 'node', 'node', false],
  [suite, 'noble', 'noble', true],
  [suite, 'noble', 'noble', false],
  [suite, 'noble', 'node', true],
  [suite, 'node', 'noble', false],
  [suite, 'sodium', 'noble', true],
]);

describe('CBC suites on a simulated network', () => {
  it.each(CELLS)('%s (client %s, server %s, encrypt-then-MAC %s)', async (suite, clientProvider, serverProvider, etm) => {
    const pair = new SimPair({
      suite,
      clientProvider: PROVIDERS[clientProvider],
      serverProvider: PROVIDERS[serverProvider],
      record: true,
      client: { encryptThenMac: etm },
    });
    const hs = await pair.handshake();
    expect(pair.client.error).toBeUndefined();
    expect(pair.serverConn?.error).toBeUndefined();
    expect(pair.established).toBe(true);
    expect(hs.time).toBe(60);
    expect(pair.client.cipherSuite).toBe(cipherSuiteByName(suite));
    expect(pair.client.encryptThenMac).toBe(etm);
    expect(pair.serverConn?.encryptThenMac).toBe(etm);
    const data = await pair.exchange('ping from client', 'pong from server');
    expect(data.reason).toBe('until');
    expect(pair.serverLog.data).toEqual(['ping from client']);
    expect(pair.clientLog.data).toEqual(['pong from server']);
    const wire = pair.sent.map((s) => Buffer.from(s.datagram).toString('latin1')).join('');
    expect(wire).not.toContain('ping from client');
    expect(pair.client.stats.badMac + (pair.serverConn?.stats.badMac ?? 0)).toBe(0);
  });

  it.each([true, false])('completes under 20%% loss, duplication and reordering (encrypt-then-MAC %s)', async (etm) => {
    for (let seed = 1; seed <= 10; seed++) {
      const pair = new SimPair({
        suite: 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256',
        seed,
        link: { loss: 0.2, duplicate: 0.1, reorder: 0.2 },
        client: { encryptThenMac: etm },
      });
      await pair.handshake();
      expect(pair.established, `seed ${seed}`).toBe(true);
      expect(pair.client.encryptThenMac).toBe(etm);
    }
  });

  it('offers encrypt_then_mac only with a CBC suite, and the server answers it only for one', async () => {
    const aead = new SimPair({ suite: 'TLS_PSK_WITH_AES_128_GCM_SHA256', client: { cipherSuites: 'PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256' }, server: { cipherSuites: 'PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256' } });
    await aead.handshake();
    expect(aead.established).toBe(true);
    // The client offered it (a CBC suite is in its list), the server chose GCM: no EtM (RFC 7366 3).
    expect(aead.client.cipherSuite?.name).toBe('TLS_PSK_WITH_AES_128_GCM_SHA256');
    expect(aead.client.encryptThenMac).toBe(false);
    expect(aead.serverConn?.encryptThenMac).toBe(false);
  });

  it('requireEncryptThenMac: a server picks another suite, or none, for a client without it', async () => {
    const other = new SimPair({
      suite: 'TLS_PSK_WITH_AES_128_CBC_SHA256',
      client: { encryptThenMac: false, cipherSuites: 'PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256' },
      server: { requireEncryptThenMac: true, cipherSuites: 'PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256' },
    });
    await other.handshake();
    expect(other.established).toBe(true);
    expect(other.client.cipherSuite?.name).toBe('TLS_PSK_WITH_AES_128_GCM_SHA256');

    const none = new SimPair({ suite: 'TLS_PSK_WITH_AES_128_CBC_SHA256', client: { encryptThenMac: false }, server: { requireEncryptThenMac: true } });
    await none.handshake();
    expect(none.established).toBe(false);
    expect(none.serverConn?.error?.message ?? none.client.error?.message ?? '').toMatch(/no cipher suite|handshake_failure/);
  });

  it('requireEncryptThenMac: a client refuses a server that answers without it', async () => {
    const pair = new SimPair({ suite: 'TLS_PSK_WITH_AES_128_CBC_SHA256', client: { requireEncryptThenMac: true }, server: { encryptThenMac: false } });
    await pair.handshake();
    expect(pair.established).toBe(false);
    expect(pair.client.error?.message).toMatch(/encrypt_then_mac/);
  });

  it.each([true, false])('maxPayload bytes fit one datagram of the MTU with the padding at its largest (encrypt-then-MAC %s)', async (etm) => {
    // 13 header + 16 IV + 32 MAC + up to 16 padding (padding_length included).
    const pair = new SimPair({ suite: 'TLS_PSK_WITH_AES_128_CBC_SHA256', mtu: 300, record: true, client: { encryptThenMac: etm } });
    await pair.handshake();
    expect(pair.established).toBe(true);
    expect(pair.client.maxPayload).toBe(300 - (13 + 16 + 32 + 16));
    const max = pair.client.maxPayload ?? 0;
    // Every length up to the largest: each padding length occurs.
    const messages = Array.from({ length: 17 }, (_, i) => 'm'.repeat(max - i));
    for (const m of messages.slice(0, -1)) pair.client.send(new TextEncoder().encode(m));
    await pair.exchange(messages.at(-1) ?? '', 'done');
    expect(pair.serverLog.data).toEqual(messages);
    expect(Math.max(...pair.sent.map((d) => d.datagram.length))).toBeLessThanOrEqual(300);
  });

  it.each([true, false])('with connection IDs (RFC 9146 5.1, 5.2: the MAC over the tls12_cid header and inner plaintext), encrypt-then-MAC %s', async (etm) => {
    const pair = new SimPair({
      suite: 'TLS_PSK_WITH_AES_128_CBC_SHA256',
      record: true,
      client: { encryptThenMac: etm, connectionId: { length: 3 } },
      server: { connectionId: { length: 5 } },
    });
    await pair.handshake();
    expect(pair.established).toBe(true);
    expect(pair.client.encryptThenMac).toBe(etm);
    const data = await pair.exchange('cid and cbc from the client', 'cid and cbc from the server');
    expect(data.reason).toBe('until');
    expect(pair.serverLog.data).toEqual(['cid and cbc from the client']);
    expect(pair.clientLog.data).toEqual(['cid and cbc from the server']);
    // tls12_cid records (content type 25) went both ways.
    expect(pair.sent.filter((s) => s.datagram[0] === 25).map((s) => s.dir).sort()).toEqual(expect.arrayContaining(['AtoB', 'BtoA']));
  });

  it('rejects contradictory options', () => {
    expect(() => new SimPair({ client: { encryptThenMac: false, requireEncryptThenMac: true } })).toThrow(TypeError);
  });
});
