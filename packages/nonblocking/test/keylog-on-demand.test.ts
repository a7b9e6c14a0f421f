/**
 * The key log lines (hex of the client random and the master secret in DTLS 1.2, of the five
 * secrets in DTLS 1.3) are built only when someone
 * takes it: a keylog option or a 'keylog' listener. Without either, a handshake builds none.
 */
import { DtlsConnection } from '@dtls-kit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, createServer, type DtlsServer } from '../src/index.js';
import { clientPsk, echo, serverPsk, until } from './helpers.js';

let server: DtlsServer | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
});

describe('key log line on demand', () => {
  it('is not built when neither side has a keylog option or listener', async () => {
    const built = vi.spyOn(DtlsConnection.prototype, 'keyLogLines', 'get');
    server = createServer({ psk: serverPsk() }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    const socket = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    await socket.close();
    expect(built).not.toHaveBeenCalled();
  });

  it("is built for the server's 'keylog' listener and the client's keylog option", async () => {
    const built = vi.spyOn(DtlsConnection.prototype, 'keyLogLines', 'get');
    server = createServer({ psk: serverPsk() }, echo);
    const serverLines: string[] = [];
    server.on('keylog', (line) => serverLines.push(line.toString('latin1')));
    const { port } = await server.listen(0, '127.0.0.1');
    const clientLines: string[] = [];
    const socket = await connect({ host: '127.0.0.1', port, psk: clientPsk(), keylog: (line) => clientLines.push(line) });
    await socket.close();
    await until(() => serverLines.length === 5, 3000, "the server's lines");
    expect(built).toHaveBeenCalledTimes(2);
    // DTLS 1.3, the default: the five secrets of RFC 8446 7.1.
    expect(clientLines).toHaveLength(5);
    expect(clientLines[0]).toMatch(/^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{64}\n$/);
    expect([...serverLines].sort()).toEqual([...clientLines].sort());
  });
});
