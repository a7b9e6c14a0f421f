import { describe, expect, it } from 'vitest';
import { DtlsConnection, ServerEndpoint, AlertDescription, toHex } from '@dtls-kit/core';
import { utf8 } from '@dtls-kit/core/internal';
import { PSK_CIPHER_SUITES, pskClient, pskServer } from '../src/index.js';

const KEY = '000102030405060708090a0b0c0d0e0f';

/** Runs a handshake in memory (no loss) and returns both ends. */
async function handshake(client: DtlsConnection, endpoint: ServerEndpoint): Promise<DtlsConnection | undefined> {
  let server: DtlsConnection | undefined;
  client.connect(0);
  for (let i = 0; i < 20; i++) {
    for (const d of client.datagramsToSend()) {
      if (server) server.receive(d, i);
      else {
        const r = endpoint.handle(d, 'peer', i);
        if (r.type === 'reply') client.receive(r.datagram, i);
        else if (r.type === 'accept') server = r.connection;
      }
    }
    await new Promise((r) => setImmediate(r));
    server?.handleTimeout(i);
    for (const d of server?.datagramsToSend() ?? []) client.receive(d, i);
    client.handleTimeout(i);
    if (client.state === 'closed' || (client.state === 'established' && server?.state === 'established')) break;
  }
  return server;
}

describe('pskClient / pskServer', () => {
  it('accepts hex and bytes, and rejects what cannot be a key', () => {
    expect(() => pskClient({ identity: 'id', key: 'xyz' })).toThrow(TypeError);
    expect(() => pskClient({ identity: 'id', key: '' })).toThrow(RangeError);
    expect(() => pskServer({ keys: { a: '0g' } })).toThrow(TypeError);
    expect(() => pskServer({})).toThrow(/exactly one/);
    const c = pskClient({ identity: 'Client_identity', key: KEY });
    const r = c.resolve(undefined);
    expect(r instanceof Promise).toBe(false);
    if (!(r instanceof Promise)) {
      expect(new TextDecoder().decode(r.identity)).toBe('Client_identity');
      expect(toHex(r.key)).toBe(KEY);
    }
  });

  it('lists the PSK and ECDHE_PSK suites of the registry', () => {
    expect(PSK_CIPHER_SUITES.map((s) => s.opensslName)).toContain('PSK-AES128-CCM8');
    expect(PSK_CIPHER_SUITES.every((s) => s.keyExchange === 'psk' || s.keyExchange === 'ecdhe_psk')).toBe(true);
  });

  it('hands the server hint to the client callback and exposes the identity on both sides', async () => {
    const seen: (string | null)[] = [];
    const client = DtlsConnection.client({
      // The PSK identity hint is DTLS 1.2's (RFC 4279 2, in ServerKeyExchange): TLS 1.3 has none.
      maxVersion: 'DTLSv1.2',
      cipherSuites: 'PSK-AES128-GCM-SHA256',
      psk: pskClient({
        pskCallback: async (hint) => {
          seen.push(hint);
          return { identity: 'device-42', psk: KEY };
        },
      }),
    });
    const endpoint = new ServerEndpoint({
      psk: pskServer({ pskIdentityHint: 'gateway-7', pskCallback: async (id) => (id === 'device-42' ? KEY : undefined) }),
    });
    const server = await handshake(client, endpoint);
    expect(client.error).toBeUndefined();
    expect(client.state).toBe('established');
    expect(server?.state).toBe('established');
    expect(seen).toEqual(['gateway-7']);
    expect(new TextDecoder().decode(server?.pskIdentity)).toBe('device-42');
    expect(new TextDecoder().decode(client.pskIdentity)).toBe('device-42');
  });

  it('with the default versions an asynchronous PSK callback keys a DTLS 1.3 handshake (no hint in 1.3)', async () => {
    // RFC 8446 4.2.11.2: the binder is in the ClientHello, so the client waits for the callback's
    // Promise before its first flight; TLS 1.3 has no identity hint, so the callback gets none.
    const seen: (string | null)[] = [];
    const client = DtlsConnection.client({
      psk: pskClient({
        pskCallback: async (hint) => {
          seen.push(hint);
          // Answers a turn later (the handshake loop below moves once per event-loop turn).
          await new Promise((r) => setImmediate(r));
          return { identity: 'device-42', psk: KEY };
        },
      }),
    });
    const endpoint = new ServerEndpoint({ psk: pskServer({ pskCallback: async (id) => (id === 'device-42' ? KEY : undefined) }) });
    const server = await handshake(client, endpoint);
    expect(client.error).toBeUndefined();
    expect(client.state).toBe('established');
    expect(client.protocol).toBe('DTLSv1.3');
    expect(server?.state).toBe('established');
    expect(seen).toEqual([null]);
    expect(new TextDecoder().decode(server?.pskIdentity)).toBe('device-42');
    expect(new TextDecoder().decode(client.pskIdentity)).toBe('device-42');
  });

  it('ends with unknown_psk_identity for an identity the server does not know', async () => {
    const client = DtlsConnection.client({ psk: pskClient({ identity: 'stranger', key: KEY }) });
    const endpoint = new ServerEndpoint({ psk: pskServer({ keys: new Map([['Client_identity', KEY]]) }) });
    const server = await handshake(client, endpoint);
    expect(server?.error?.alert).toBe(AlertDescription.unknown_psk_identity);
    expect(client.error?.alert).toBe(AlertDescription.unknown_psk_identity);
    expect(client.error?.fromPeer).toBe(true);
  });

  it('negotiates ECDHE_PSK when both sides prefer it and carries data', async () => {
    const client = DtlsConnection.client({ psk: pskClient({ identity: 'Client_identity', key: KEY }) });
    const endpoint = new ServerEndpoint({
      // ECDHE_PSK suites are DTLS 1.2's (RFC 5489); a 1.2-only server, the client offering both versions.
      maxVersion: 'DTLSv1.2',
      cipherSuites: ['TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'PSK-AES128-CCM8'],
      psk: pskServer({ keys: { Client_identity: KEY } }),
    });
    const server = await handshake(client, endpoint);
    expect(server?.cipherSuite?.name).toBe('TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256');
    client.send(utf8('ping'));
    for (const d of client.datagramsToSend()) server?.receive(d, 100);
    const events = [];
    for (let e; (e = server?.pollEvent()); ) events.push(e);
    expect(events.map((e) => e.type)).toEqual(['handshake-complete', 'data']);
  });
});
