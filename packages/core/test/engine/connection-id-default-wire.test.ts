/**
 * Connection IDs are off by default, and then nothing on the wire changes: a whole PSK session
 * (handshake, data both ways, close_notify) with a seeded random source is byte for byte what the
 * engine sent before RFC 9146 support existed (commit 7aeae14), whose SHA-256 is pinned here.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { Pair } from './harness.js';

/** node:crypto with a deterministic randomBytes (a counter), for a reproducible wire. */
function seeded(): CryptoProvider {
  let n = 0;
  return {
    ...nodeCryptoProvider,
    randomBytes(length: number): Uint8Array {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = (n++ * 37 + 11) & 0xff;
      return out;
    },
  };
}

async function wireHash(connectionId?: { length: number }): Promise<string> {
  const p = await new Pair({
    // Resumption off (on by default since: a session ID or ticket changes the ServerHello and flight 6).
    client: { provider: seeded(), cipherSuites: 'PSK-AES128-GCM-SHA256', connectionId, sessionTickets: false },
    server: { provider: seeded(), cipherSuites: 'PSK-AES128-GCM-SHA256', connectionId, sessionTickets: false, sessionStore: false },
  }).handshake();
  p.client.send(utf8('ping'));
  await p.run();
  p.s.send(utf8('pong'));
  await p.run();
  p.client.close();
  await p.run();
  const h = createHash('sha256');
  for (const w of p.wire) h.update(w.direction).update(w.datagram);
  console.log(`default wire: ${p.wire.length} datagrams, ${p.wire.reduce((n, w) => n + w.datagram.length, 0)} bytes`);
  return h.digest('hex');
}

describe('no connection ID by default', () => {
  it('a whole session is byte-identical to the engine before RFC 9146 support', async () => {
    const first = await wireHash();
    expect(await wireHash()).toBe(first); // reproducible
    expect(first).toBe('68e143bad81709ab6ee1e4b3ffac9c36ef21f45f164a32684c52de29bd9e64e0');
    // The pin sees the option: with CIDs the same session hashes otherwise.
    expect(await wireHash({ length: 4 })).not.toBe(first);
  });
});
