import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, connect, createServer, subscribe, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { clientPsk, serverPsk } from './helpers.js';

let server: DtlsServer | undefined;
const stops: Array<() => void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await server?.close();
  server = undefined;
});

describe("a server's last handshake flight leaves before its 'connection' handlers run", () => {
  // DTLS 1.2 (RFC 6347 4.2.4, figure 1): flight 6 (ChangeCipherSpec, Finished) ends the server's
  // handshake. The client waits on it, not on the server's handlers: those run once it is out.
  it('DTLS 1.2 PSK: every datagram of the handshake is out when the handler runs', async () => {
    const sent = new Map<DtlsSocket, number>();
    stops.push(
      subscribe(CHANNELS.datagram, (m) => {
        if (m.role === 'server' && m.direction === 'out' && m.socket !== undefined) sent.set(m.socket, (sent.get(m.socket) ?? 0) + 1);
      }),
    );
    let atHandler: number | undefined;
    server = createServer({ psk: serverPsk(), maxVersion: 'DTLSv1.2' }, (socket) => {
      atHandler = sent.get(socket) ?? 0;
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), maxVersion: 'DTLSv1.2' });
    // The client holds the server's Finished: the server sent flight 4 and flight 6, one datagram
    // each at the default MTU (the HelloVerifyRequest, before the connection, is not counted).
    const [socket] = server.connections();
    expect(socket).toBeDefined();
    const atEstablished = socket === undefined ? undefined : sent.get(socket);
    expect(atEstablished).toBe(2);
    expect(atHandler).toBe(atEstablished);
    await client.close();
  });
});
