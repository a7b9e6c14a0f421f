/**
 * --trace draws DTLS 1.3 ladders (RFC 9147): the HelloRetryRequest, the encrypted handshake
 * messages by name (opened with the session's own key log, as Wireshark would), ACK records with
 * the record numbers they acknowledge, KeyUpdate, application data and close_notify, each
 * protected record with its number `epoch:sequence`. Against wolfSSL 5.5.4's example server from
 * its source root (1.3 PSK hard-coded), which sends a KeyUpdate before its reply (-U) and answers
 * one message without echo:
 *   ./examples/server/server -u -v 4 -s -p PORT -d -U
 * and against our own server (dtls-kit server --dtls1_3).
 */
import { WOLFSSL_PSK_13, startWolfsslServer, wolfsslRoot } from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PSK, killAll, runCli, startCliServer } from './helpers.js';

beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterAll(killAll);

/** The ladder's arrows as `text →` (client sends) / `← text` (server sends). */
function arrows(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('trace') && /[▶◀]/.test(l))
    .map((l) => {
      const body = (/^trace\s+[\d.]+\s+(.*)$/.exec(l)?.[1] ?? l).replace(/\s+\S+:\d+$/, '');
      return body.endsWith('▶') ? `${body.replace(/\s*─+▶$/, '')} →` : `← ${body.replace(/^◀─+\s*/, '')}`;
    });
}

describe('--trace with DTLS 1.3', () => {
  it("dtls-kit client --dtls1_3 --trace against wolfSSL's server: HRR, encrypted flight, KeyUpdate and its ACK, close_notify", async () => {
    const server = await startWolfsslServer({ version: '1.3', psk: true, keyUpdate: true, echo: false, loop: false });
    let r;
    try {
      r = await runCli(['client', '--dtls1_3', '--trace', '--host', '127.0.0.1', '--port', String(server.port), '--psk', WOLFSSL_PSK_13, '--message', 'hello wolfssl!']);
    } finally {
      await server.stop();
    }
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('I hear you fa shizzle!\n');
    const seen = arrows(r.stderr);
    expect(seen.slice(0, 4)).toEqual(['ClientHello →', '← HelloRetryRequest', 'ClientHello (with cookie) →', '← ServerHello']);
    expect(seen[4]).toBe('← EncryptedExtensions (record 2:0)');
    expect(seen).toContain('Finished (record 2:0) →');
    // The server's KeyUpdate (RFC 9147 8) and our ACK naming its record number (RFC 9147 7).
    const keyUpdate = seen.map((s) => /^← KeyUpdate \(record (3:\d+)\)$/.exec(s)).find((m) => m !== null);
    expect(keyUpdate, seen.join('\n')).toBeDefined();
    const kuRecord = keyUpdate?.[1] ?? '';
    expect(seen).toContainEqual(expect.stringMatching(new RegExp(`^ACK of ${kuRecord} \\(record 3:\\d+\\) →$`)));
    // It asked for ours (update_requested, RFC 8446 4.6.3): our KeyUpdate goes out too.
    expect(seen).toContainEqual(expect.stringMatching(/^KeyUpdate \(record 3:\d+\) →$/));
    // Its reply: in epoch 3, or 4 once it read our ACK (the trace follows KeyUpdates either way).
    expect(seen).toContainEqual(expect.stringMatching(/^← ApplicationData \(22 bytes, record [34]:\d+\)$/));
    expect(seen).toContain('ApplicationData (14 bytes, record 3:0) →');
    expect(seen).toContainEqual(expect.stringMatching(/^Alert warning close_notify \(record 3:\d+\) →$/));
    expect(r.stderr).not.toMatch(/encrypted record|undecodable/);
    // A flight per sender change in the handshake: CH | HRR | CH | SH EE Fin | Fin ...
    expect(r.stderr.match(/┄┄ flight (\d+) ┄┄/g)?.slice(0, 5)).toEqual([1, 2, 3, 4, 5].map((n) => `┄┄ flight ${n} ┄┄`));
  }, 30_000);

  it('dtls-kit server --dtls1_3 --trace: the server side of the same ladder, the client\'s Finished acknowledged', async () => {
    const server = await startCliServer(['--dtls1_3', '--psk', PSK, '--trace', '--once']);
    const r = await runCli(['client', '--dtls1_3', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--message', 'hi']);
    expect(r.code, r.stderr).toBe(0);
    expect(await server.exited).toBe(0);
    const seen = arrows(server.stderr());
    expect(seen.slice(0, 6)).toEqual([
      'ClientHello →',
      '← HelloRetryRequest',
      'ClientHello (with cookie) →',
      '← ServerHello',
      '← EncryptedExtensions (record 2:0)',
      '← Finished (record 2:1)',
    ]);
    expect(seen).toContain('Finished (record 2:0) →');
    // RFC 9147 5.8.3 / 7: the server acknowledges the client's last flight.
    expect(seen).toContain('← ACK of 2:0 (record 3:0)');
    expect(seen).toContain('ApplicationData (2 bytes, record 3:0) →');
    expect(seen).toContainEqual(expect.stringMatching(/^← ApplicationData \(2 bytes, record 3:\d+\)$/));
    expect(seen).toContainEqual(expect.stringMatching(/^Alert warning close_notify \(record 3:\d+\) →$/));
  }, 30_000);
});
