/**
 * record_size_limit (RFC 8449) and max_fragment_length (RFC 6066 4) in the blocking runtime: the
 * options cross into the worker's engine, and its connection tells the negotiated limits.
 * (The wire-level proofs of both extensions, both roles: @dtls-kit/nonblocking's
 * record-size-limit-interop.test.ts.)
 */
import { gnutlsPriority, runGnutlsClient, startOpensslServer, type PeerServer } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { IDENTITY, KEY, clientCredentials, fixture, serverCredentials } from './helpers.js';

let server: BlockingServer | undefined;
let peer: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

interface LimitResult {
  recordSizeLimit: { extension: string; send: number; receive: number } | undefined;
  maxPayload: number;
  tooLarge: string | undefined;
  echoed: number | null;
}

describe('record size limits in the blocking runtime', () => {
  it('our blocking client with maxFragmentLength 512, openssl s_server (echo): 512 bytes go and come back, 513 are refused', async () => {
    // openssl s_server -dtls1_2 -accept 127.0.0.1:PORT -listen -no_ticket -nocert -psk 0001..0f
    //   -psk_identity Client_identity -cipher PSK-AES128-GCM-SHA256 -quiet  (stdout fed back to stdin: an echo)
    peer = await startOpensslServer({ cipher: 'PSK-AES128-GCM-SHA256', psk: KEY, identity: IDENTITY });
    const r = await runBlockingClient<LimitResult>({
      handler: fixture('record-size-limit-client.mjs'),
      port: peer.port,
      credentials: clientCredentials,
      maxFragmentLength: 512,
    });
    expect(r.recordSizeLimit).toEqual({ extension: 'max_fragment_length', send: 512, receive: 512 });
    expect(r.maxPayload).toBe(512);
    expect(r.tooLarge).toMatch(/at most 512 bytes \(its max_fragment_length, RFC 6066 4\)/);
    expect(r.echoed).toBe(512);
  });

  it('our blocking server with recordSizeLimit 600, gnutls-cli --recordsize 4096: it sends 600 and refuses 601', async () => {
    server = createBlockingServer({ handler: fixture('record-size-limit-handler.mjs'), credentials: serverCredentials, maxThreads: 1, recordSizeLimit: 600 });
    const { port } = await server.listen(0, '127.0.0.1');
    // gnutls-cli --udp -p PORT --priority 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-GCM:-MAC-ALL:+AEAD'
    //   --pskusername Client_identity --pskkey 0001..0f --insecure --recordsize 4096 127.0.0.1
    const result = await runGnutlsClient({
      port,
      priority: gnutlsPriority('PSK', 'AES-128-GCM'),
      psk: KEY,
      identity: IDENTITY,
      messages: ['limit', 'f'.repeat(599), 'g'.repeat(600)],
      expectEcho: false,
      lingerMs: 1000,
      extraArgs: ['--recordsize', '4096'],
    });
    const line = /\{"extension".*\}/.exec(result.stdout)?.[0];
    expect(line && JSON.parse(line)).toEqual({ extension: 'record_size_limit', send: 4096, receive: 600, maxPayload: 1200 - 37 });
    expect(result.stdout).toContain('f'.repeat(599));
    expect(result.stdout + result.stderr).toMatch(/The transmitted packet is too large/);
  });
});
