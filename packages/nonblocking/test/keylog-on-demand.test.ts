/**
 * The key log line (hex of the client random and the master secret) is built only when someone
 * takes it: a keylog option or a 'keylog' listener. Without either, a handshake builds none.
 */
import { DtlsConnection } from '@dtls-kit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, createServer, type DtlsServer } from '../src/index.js';
import { clientPsk, echo, serverPsk } from './helpers.js';

let server: DtlsServer | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
});

describe('key log line on demand', () => {
  it('is not built when neither side has a keylog option or listener', async () => {
    const built = vi.spyOn(DtlsConnection.prototype, 'keyLogLine', 'get');
    server = createServer({ psk: serverPsk() }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    const socket = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    await socket.close();
    expect(built).not.toHaveBeenCalled();
  });

  it("is built for the server's 'keylog' listener and the client's keylog option", async () => {
    const built = vi.spyOn(DtlsConnection.prototype, 'keyLogLine', 'get');
    server = createServer({ psk: serverPsk() }, echo);
    const serverLines: string[] = [];
    server.on('keylog', (line) => serverLines.push(line.toString('latin1')));
    const { port } = await server.listen(0, '127.0.0.1');
    const clientLines: string[] = [];
    const socket = await connect({ host: '127.0.0.1', port, psk: clientPsk(), keylog: (line) => clientLines.push(line) });
    await socket.close();
    expect(built).toHaveBeenCalledTimes(2);
    expect(clientLines).toHaveLength(1);
    expect(clientLines[0]).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
    expect(serverLines).toEqual(clientLines);
  });
});
