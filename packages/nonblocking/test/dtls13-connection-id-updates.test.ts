/**
 * RFC 9147 9 in the non-blocking runtime, our DTLS 1.3 client and server over 127.0.0.1 through a
 * relay that gives the client a new source port after each datagram that carries a CID (a NAT
 * that keeps rebinding): the client asks for more CIDs (RequestConnectionId), the server answers
 * with a NewConnectionId, and once the client has rotated to one of them its records, from yet
 * another port, still reach the server's connection: the server's router bound the CIDs it issued.
 * (wolfSSL 5.5.4 has neither message: this is our client with our server.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRebindingRelay, type RebindingRelay } from '@dtls-kit/test-kit';
import { connect, createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { clientPsk, echo, roundTrip, serverPsk, until } from './helpers.js';

let server: DtlsServer | undefined;
let relay: RebindingRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

describe('DTLS 1.3 NewConnectionId / RequestConnectionId in @dtls-kit/nonblocking', () => {
  it('the client rotates to a CID the server issued, from a new port: the server routes it to the same connection', async () => {
    const accepted: DtlsSocket[] = [];
    server = createServer({ maxVersion: 'DTLSv1.3', psk: serverPsk(), connectionId: { length: 4 } }, (s) => {
      accepted.push(s);
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    relay = await startRebindingRelay(port, 1);
    const client = await connect({ host: '127.0.0.1', port: relay.port, psk: clientPsk(), maxVersion: 'DTLSv1.3', connectionId: { length: 4 } });
    expect(await roundTrip(client, 'before')).toBe('before');
    const original = Buffer.from(client.connectionId?.send ?? []);
    expect(client.requestConnectionIds(2)).toBe(true);
    // The NewConnectionId arrives: the first spare CID is ours to use.
    await until(() => client.rotateConnectionId(), 3000, 'a spare CID from the server');
    expect(Buffer.from(client.connectionId?.send ?? []).equals(original)).toBe(false);
    expect(accepted[0]?.receiveConnectionIds.length).toBe(3);
    expect(await roundTrip(client, 'after rotating')).toBe('after rotating');
    expect(await roundTrip(client, 'and again')).toBe('and again');
    expect(relay.rebinds).toBeGreaterThan(3);
    expect(accepted.length).toBe(1);
    await client.close();
  }, 30_000);
});
