/**
 * X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem, off by default) between our non-blocking client and
 * server over UDP on 127.0.0.1 (no other peer has it): at MTU 500 the 1216-byte share makes the
 * ClientHello go out in fragments, which the server's stateless endpoint puts together before its
 * HelloRetryRequest cookie (RFC 9147 5.1); and a server that only takes the hybrid group asks an
 * X25519-first client for it (RFC 8446 4.1.4). The engine test with the wire checked:
 * core/test/engine/dtls13-hybrid-group.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer } from '../src/index.js';
import { clientPsk, echo, roundTrip, serverPsk } from './helpers.js';

let server: DtlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('X25519MLKEM768 between our runtimes (non-blocking)', () => {
  for (const [label, clientGroups, serverGroups] of [
    ['a hybrid share first, fragmented ClientHellos at MTU 500', ['x25519mlkem768', 'x25519'], ['x25519mlkem768', 'x25519']],
    ['an X25519 share first, the HelloRetryRequest asks for the hybrid group', ['x25519', 'x25519mlkem768'], ['x25519mlkem768']],
  ] as const) {
    it(label, async () => {
      server = createServer({ minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3', mtu: 500, groups: [...serverGroups], psk: serverPsk() }, echo);
      const { port } = await server.listen(0, '127.0.0.1');
      const client = await connect({ host: '127.0.0.1', port, minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3', mtu: 500, groups: [...clientGroups], psk: clientPsk() });
      expect(client.getProtocol()).toBe('DTLSv1.3');
      expect(await roundTrip(client, 'hybrid')).toBe('hybrid');
      // The endpoint answered fragments (the ClientHello is over 1216 bytes, each datagram at most 500).
      expect(server.stats.dropped.fragment).toBeGreaterThanOrEqual(2);
      await client.close();
    }, 30_000);
  }
});
