/**
 * A CBC suite (RFC 5246 6.2.3.2) through the blocking runtime, both ends in worker threads, and the
 * connection's encryptThenMac (RFC 7366): on by default, off when either end turns it off
 * (`encryptThenMac: false`, a plain-data option that crosses into the workers). CBC suites and
 * encrypt-then-MAC are DTLS 1.2's (DTLS 1.3 has AEAD suites only, RFC 8446 5.2): both ends pin 1.2.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials } from './helpers.js';

const SUITE = 'PSK-AES128-CBC-SHA256';

interface Answer {
  server: { echo: string; cipher: string; encryptThenMac: boolean };
  cipher: string;
  encryptThenMac: boolean;
}

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('CBC suites through @dtls-kit/blocking', () => {
  it.each([
    [true, true, true],
    [false, true, false],
    [true, false, false],
  ])('client encryptThenMac %s, server %s: encrypt-then-MAC in force %s', async (clientEtm, serverEtm, expected) => {
    server = createBlockingServer({ handler: fixture('etm-handler.mjs'), credentials: serverCredentials, cipherSuites: SUITE, encryptThenMac: serverEtm, maxThreads: 1, maxVersion: 'DTLSv1.2' });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<Answer>({ handler: fixture('etm-client.mjs'), port, credentials: clientCredentials, cipherSuites: SUITE, encryptThenMac: clientEtm, maxVersion: 'DTLSv1.2' });
    expect(r.cipher).toBe(SUITE);
    expect(r.server).toEqual({ echo: 'through CBC records', cipher: SUITE, encryptThenMac: expected });
    expect(r.encryptThenMac).toBe(expected);
  }, 30_000);
});
