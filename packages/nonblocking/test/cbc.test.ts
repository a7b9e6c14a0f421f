/**
 * A CBC suite (RFC 5246 6.2.3.2) over real UDP on 127.0.0.1 through this runtime, and the socket's
 * encryptThenMac (RFC 7366): on by default on both ends, off when either end turns it off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { clientPsk, echo, roundTrip, serverPsk } from './helpers.js';

const SUITE = 'PSK-AES128-CBC-SHA256';
let server: DtlsServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('CBC suites through @dtls-kit/nonblocking', () => {
  it.each([
    ['both ends on', true, true, true],
    ['the client off', false, true, false],
    ['the server off', true, false, false],
  ])('echoes with encrypt-then-MAC %s', async (_label, clientEtm, serverEtm, expected) => {
    const accepted: DtlsSocket[] = [];
    server = createServer({ psk: serverPsk(), cipherSuites: SUITE, encryptThenMac: serverEtm }, (socket) => {
      accepted.push(socket);
      echo(socket);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    // CBC and encrypt-then-MAC are DTLS 1.2 only (TLS 1.3 has AEAD suites alone, RFC 8446 5.2).
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), cipherSuites: SUITE, encryptThenMac: clientEtm, maxVersion: 'DTLSv1.2' });
    try {
      expect(client.getCipher().name).toBe(SUITE);
      expect(client.encryptThenMac).toBe(expected);
      expect(await roundTrip(client, 'through CBC records')).toBe('through CBC records');
      expect(accepted[0]?.encryptThenMac).toBe(expected);
    } finally {
      await client.close();
    }
  });
});
