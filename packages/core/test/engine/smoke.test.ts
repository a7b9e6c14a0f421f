import { describe, expect, it } from 'vitest';
import { DtlsConnection } from '../../src/connection.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { fromHex, utf8 } from '../../src/bytes.js';
import type { PskClientCredentials, PskServerCredentials } from '../../src/key-exchange/psk-credentials.js';

const key = fromHex('000102030405060708090a0b0c0d0e0f');
const client = (): PskClientCredentials => ({ type: 'psk', resolve: () => ({ identity: utf8('Client_identity'), key }) });
const server: PskServerCredentials = { type: 'psk', identityHint: undefined, lookup: async () => key };

describe('engine smoke', () => {
  it.each(['PSK-AES128-GCM-SHA256', 'ECDHE-PSK-CHACHA20-POLY1305', 'PSK-AES128-CCM8'])('handshakes %s', async (suite) => {
    const ep = new ServerEndpoint({ psk: server, cipherSuites: suite });
    const c = DtlsConnection.client({ psk: client(), cipherSuites: suite });
    let s: DtlsConnection | undefined;
    let now = 0;
    c.connect(now);
    for (let i = 0; i < 50; i++) {
      for (const d of c.datagramsToSend()) {
        if (s) s.receive(d, now);
        else {
          const r = ep.handle(d, 'peer:1', now);
          if (r.type === 'reply') c.receive(r.datagram, now);
          if (r.type === 'accept') s = r.connection;
        }
      }
      await new Promise((r) => setTimeout(r, 0));
      if (s) {
        s.handleTimeout(now);
        for (const d of s.datagramsToSend()) c.receive(d, now);
      }
      if (c.state === 'established' && s?.state === 'established') break;
      now += 1;
    }
    expect(c.error).toBeUndefined();
    expect(s?.error).toBeUndefined();
    expect(c.state).toBe('established');
    expect(s?.state).toBe('established');
    c.send(utf8('hello'));
    for (const d of c.datagramsToSend()) s?.receive(d, now);
    const events = [];
    for (let e; (e = s?.pollEvent()); ) events.push(e.type);
    expect(events).toEqual(['handshake-complete', 'data']);
  });
});
