/**
 * DTLS 1.3 (RFC 9147 9): the CIDs a server gives its client later, in NewConnectionId messages,
 * route to the connection on the blocking server's main thread like the handshake's one. A client
 * that asked for more (RequestConnectionId) and moves to a new address with a new CID ("SHOULD use
 * a new CID whenever sending on a new path") reaches its connection; its datagrams used to be
 * dropped as strangers', the main thread knowing the handshake's CID only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '@dtls-kit/core';
import { createBlockingServer, type BlockingServer } from '../src/index.js';
import { EngineClient } from './engine-client.js';
import { fixture, serverCredentials, until } from './helpers.js';

let server: BlockingServer | undefined;
let client: EngineClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});

/** The CID of a DTLS 1.3 unified header with the C bit (RFC 9147 4), `length` bytes after the first byte. */
function headerConnectionId(datagram: Uint8Array | undefined, length: number): string {
  if (datagram === undefined || ((datagram[0] ?? 0) & 0xf0) !== 0x30) return '';
  return toHex(datagram.subarray(1, 1 + length));
}

describe('blocking server: DTLS 1.3 NewConnectionId CIDs route too', () => {
  it('a client that rotates to a CID from a NewConnectionId, from a new port, gets its echo', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1, connectionId: { length: 8 } });
    const { port } = await server.listen(0, '127.0.0.1');
    client = await EngineClient.open(port, { connectionIdLength: 4 });
    await client.handshake();
    expect(client.engine.protocol).toBe('DTLSv1.3');
    const first = client.engine.connectionId?.send;
    expect(first?.length).toBe(8);
    client.send('hello');
    expect(await client.recv()).toBe('hello');
    // RequestConnectionId (RFC 9147 9), answered with a NewConnectionId: then a spare CID to rotate to.
    expect(client.requestConnectionIds(2)).toBe(true);
    const c = client;
    await until(() => c.engine.rotateConnectionId(), 5000, 'a CID from the NewConnectionId');
    const next = client.engine.connectionId?.send;
    expect(next !== undefined && first !== undefined && toHex(next) !== toHex(first)).toBe(true);
    // A NAT rebinding, and the new CID on the new path.
    await client.rebind();
    const before = client.sent.length;
    client.send('new path, new CID');
    expect(headerConnectionId(client.sent[before], 8)).toBe(toHex(next ?? new Uint8Array(0)));
    expect(await client.recv()).toBe('new path, new CID');
  });
});
