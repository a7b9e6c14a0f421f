/**
 * Dtls13KeyLogReader opens the records of a DTLS 1.3 session with nothing but its key log, as
 * Wireshark would: held against the sessions recorded between wolfSSL 5.5.4's client and server
 * with wolfSSL's OWN key logs (test/fixtures/wolfssl13/, commands in each file and README.md there),
 * every protected record of both directions opens, through the HelloRetryRequest, connection
 * IDs, both KeyUpdates (epoch 4) and the close_notify; then with our engines' key log lines.
 */
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/bytes.js';
import { Dtls13KeyLogReader, type Dtls13Sender } from '../../src/record/dtls13-key-log-reader.js';
import { dtls13RecordKind } from '../../src/record/dtls13-demultiplex.js';
import { frameUnifiedRecord } from '../../src/record/unified-header.js';
import { tls13CipherSuiteByName } from '../../src/suites/tls13-cipher-suites.js';
import { Pair } from '../engine/harness.js';
import { fromHex, loadWolfssl13Fixture, wolfssl13FixtureNames } from '../interop/wolfssl13-fixture.js';

/** The protected (unified header) records in a datagram, counted by framing alone. */
function protectedRecords(datagram: Uint8Array, cidLength: number): number {
  let n = 0;
  let offset = 0;
  while (offset < datagram.length) {
    const kind = dtls13RecordKind(datagram[offset] ?? 0);
    if (kind === 'plaintext') {
      offset += 13 + (((datagram[offset + 11] ?? 0) << 8) | (datagram[offset + 12] ?? 0));
      continue;
    }
    const framed = frameUnifiedRecord(datagram, offset, cidLength);
    if (kind !== 'ciphertext' || framed === undefined) break;
    n++;
    offset = framed.end;
  }
  return n;
}

describe('Dtls13KeyLogReader with wolfSSL 5.5.4 captures and its key logs', () => {
  it.each(wolfssl13FixtureNames())('%s: every protected record opens with the key log alone', (name) => {
    const f = loadWolfssl13Fixture(name);
    const suite = tls13CipherSuiteByName(f.client.cipher ?? '');
    expect(suite, f.client.cipher).toBeDefined();
    if (suite === undefined) return;
    const secrets = new Map(f.keylog.map((k) => [k.label, fromHex(k.secret)]));
    const reader = new Dtls13KeyLogReader(suite, secrets, {
      connectionId: { client: fromHex(f.connectionIds.clientToServer), server: fromHex(f.connectionIds.serverToClient) },
      // wolfSSL 5.5.4's ChaCha20 record number mask (Dtls13RecordLayerOptions.chacha20MaskCounter).
      chacha20MaskCounter: 'big-endian',
    });
    let expected = 0;
    const opened: { sender: Dtls13Sender; type: number; epoch: number; content: string }[] = [];
    for (const d of f.datagrams) {
      const sender: Dtls13Sender = d.direction === 'client-to-server' ? 'client' : 'server';
      const bytes = fromHex(d.hex);
      expected += protectedRecords(bytes, (sender === 'client' ? f.connectionIds.clientToServer : f.connectionIds.serverToClient).length / 2);
      for (const r of reader.open(sender, bytes)) if (r.authenticated) opened.push({ sender, type: r.type, epoch: r.epoch, content: toHex(r.content) });
    }
    expect(expected).toBeGreaterThan(0);
    expect(opened.length).toBe(expected);
    const data = opened.filter((r) => r.type === 23).map((r) => Buffer.from(r.content, 'hex').toString());
    expect(data).toContain('hello wolfssl!');
    expect(data).toContain('I hear you fa shizzle!');
    // The encrypted flight's first message is EncryptedExtensions (RFC 8446 4.3.1), in epoch 2.
    expect(opened.find((r) => r.sender === 'server')).toMatchObject({ type: 22, epoch: 2, content: expect.stringMatching(/^08/) });
    if (name === 'key-update') {
      // Both sides' KeyUpdate (handshake type 24) and records of epoch 4 after them.
      expect(opened.filter((r) => r.type === 22 && r.content.startsWith('18')).length).toBeGreaterThanOrEqual(2);
      expect(opened.some((r) => r.epoch === 4 && r.sender === 'client')).toBe(true);
      expect(opened.some((r) => r.epoch === 4 && r.sender === 'server')).toBe(true);
    }
  });

  it('our own session, with our key log lines', async () => {
    const p = await new Pair({ client: { maxVersion: 'DTLSv1.3' }, server: { maxVersion: 'DTLSv1.3' } }).handshake();
    p.client.send(utf8('ping'));
    await p.run();
    const secrets = new Map(p.client.keyLogLines.map((l) => {
      const [label = '', , secret = ''] = l.split(' ');
      return [label, fromHex(secret)] as const;
    }));
    const suite = tls13CipherSuiteByName(p.client.getCipher()?.name ?? '');
    if (suite === undefined) throw new Error('no suite');
    const reader = new Dtls13KeyLogReader(suite, secrets);
    const data = p.wire.flatMap((w) => reader.open(w.direction === 'c2s' ? 'client' : 'server', w.datagram)).filter((r) => r.type === 23);
    expect(data.map((r) => Buffer.from(r.content).toString())).toEqual(['ping']);
  });
});
