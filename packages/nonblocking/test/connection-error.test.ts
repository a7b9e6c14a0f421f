/**
 * Issue 12, point 1, in process: every way a connection's handler can fail — a synchronous throw,
 * a rejected promise, a throwing or async 'message' listener, a 'close' listener, a non-Error
 * thrown — ends that connection alone (fatal internal_error to its peer, unless it already
 * closed), emits 'connectionError' (error, 'handler', peer) once, and leaves every other
 * connection working. Nothing may reach process 'unhandledRejection' or 'uncaughtException'.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertDescription, DtlsError, connect, createServer, type ConnectionErrorStage, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { clientPsk, echo, roundTrip, serverPsk, sleep, until } from './helpers.js';
import { handshakeThenFatalAlert } from './raw-peers.js';

const escaped: { kind: string; error: unknown }[] = [];
const onRejection = (error: unknown): void => void escaped.push({ kind: 'unhandledRejection', error });
const onException = (error: unknown): void => void escaped.push({ kind: 'uncaughtException', error });
beforeAll(() => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
});
afterAll(() => {
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
});

let server: DtlsServer | undefined;
const clients: DtlsSocket[] = [];
afterEach(async () => {
  await sleep(50); // a late rejection would land here, inside the test that caused it
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
  expect(escaped).toEqual([]);
});

interface Reported {
  error: Error;
  stage: ConnectionErrorStage;
  peer: { address: string; port: number };
}

/** A server whose handler fails for the client whose first message is "fail"; everyone else is echoed. */
async function serverWith(handler: (socket: DtlsSocket) => unknown): Promise<{ port: number; reported: Reported[] }> {
  const reported: Reported[] = [];
  server = createServer({ psk: serverPsk() }, handler);
  server.on('connectionError', (error, stage, peer) => void reported.push({ error, stage, peer }));
  const { port } = await server.listen(0, '127.0.0.1');
  return { port, reported };
}

async function client(port: number): Promise<DtlsSocket> {
  const c = await connect({ host: '127.0.0.1', port, psk: clientPsk(), handshakeTimeoutMs: 5000 });
  clients.push(c);
  return c;
}

/** The failing client's view: the connection closes with the server's fatal internal_error. */
async function failsWithInternalError(c: DtlsSocket, trigger: string): Promise<void> {
  const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
  c.send(trigger);
  await Promise.race([closed, sleep(3000)]);
  expect(c.state).toBe('closed');
  expect(c.error).toBeInstanceOf(DtlsError);
  expect(c.error?.alert).toBe(AlertDescription.internal_error);
  expect(c.error?.fromPeer).toBe(true);
}

const failOn = (m: Buffer): boolean => m.toString() === 'fail';

describe("a failing handler: its connection ends, 'connectionError' is emitted, the others go on", () => {
  const cases: [string, (socket: DtlsSocket) => unknown][] = [
    [
      'an async handler whose for await body throws (send of 100 000 bytes: RangeError)',
      async (socket) => {
        for await (const m of socket) socket.send(failOn(m) ? new Uint8Array(100_000) : m);
      },
    ],
    [
      'an async handler that rejects after an await',
      async (socket) => {
        for await (const m of socket) {
          if (failOn(m)) {
            await sleep(5);
            throw new Error('the database is down');
          }
          socket.send(m);
        }
      },
    ],
    [
      'a synchronous "message" listener that throws',
      (socket) => {
        socket.on('message', (m) => {
          if (failOn(m)) throw new TypeError('cannot read properties of undefined');
          socket.send(m);
        });
      },
    ],
    [
      'an async "message" listener that rejects',
      (socket) => {
        socket.on('message', async (m) => {
          await sleep(1);
          if (failOn(m)) throw new Error('async listener failed');
          socket.send(m);
        });
      },
    ],
    [
      'a handler that throws something that is not an Error',
      (socket) => {
        socket.on('message', (m) => {
          if (failOn(m)) throw 'a string'; // eslint-disable-line no-throw-literal
          socket.send(m);
        });
      },
    ],
  ];

  it.each(cases)('%s', async (_name, handler) => {
    const { port, reported } = await serverWith(handler);
    const good = await client(port);
    const bad = await client(port);
    const badPort = bad.address()?.port;
    expect(await roundTrip(bad, 'fine so far')).toBe('fine so far');
    await failsWithInternalError(bad, 'fail');
    await until(() => reported.length > 0, 2000, "'connectionError'");
    expect(reported).toHaveLength(1);
    const [r] = reported as [Reported];
    expect(r.stage).toBe('handler');
    expect(r.error).toBeInstanceOf(Error);
    expect(r.peer).toEqual({ address: '127.0.0.1', port: badPort });
    expect(await roundTrip(good, 'still served')).toBe('still served');
    expect(server?.stats).toMatchObject({ handlerErrors: 1, connections: 1 });
  });

  it('a synchronous handler that throws at once: the connection is aborted right after its handshake', async () => {
    let accepted = 0;
    const { port, reported } = await serverWith((socket) => {
      accepted++;
      if (accepted === 2) throw new Error('no thanks');
      echo(socket);
    });
    const good = await client(port);
    const c = await client(port);
    await until(() => c.state === 'closed', 3000, 'the aborted connection to close');
    expect(c.error?.alert).toBe(AlertDescription.internal_error);
    expect(reported.map((r) => [r.stage, r.error.message])).toEqual([['handler', 'no thanks']]);
    expect(await roundTrip(good, 'unaffected')).toBe('unaffected');
  });

  it("an async handler whose for await throws the peer's fatal alert: reported, nothing escapes", async () => {
    const { port, reported } = await serverWith(async (socket) => {
      for await (const m of socket) socket.send(m);
    });
    const good = await client(port);
    await handshakeThenFatalAlert(port);
    await until(() => reported.length > 0, 2000, "'connectionError'");
    expect(reported[0]?.error).toBeInstanceOf(DtlsError);
    expect(reported[0]?.error.message).toMatch(/peer sent fatal alert internal_error/);
    expect(await roundTrip(good, 'unaffected')).toBe('unaffected');
    expect(server?.stats.handlerErrors).toBe(1);
  });

  it("a 'close' listener that throws, and server.close() while handlers wait in for await", async () => {
    const { port, reported } = await serverWith(async (socket) => {
      socket.on('close', () => {
        throw new Error('close listener failed');
      });
      for await (const m of socket) socket.send(m);
    });
    const a = await client(port);
    const b = await client(port);
    expect(await roundTrip(a, 'a')).toBe('a');
    expect(await roundTrip(b, 'b')).toBe('b');
    await a.close();
    await until(() => reported.length === 1, 2000, "'connectionError' for the close listener");
    expect(reported[0]?.error.message).toBe('close listener failed');
    await server?.close(); // b's handler is still in its for await: the loop ends, nothing escapes
    expect(reported).toHaveLength(2);
  });

  it("a keylog function that throws is that connection's failure, not the server's", async () => {
    // The first line of the second handshake fails: a handshake writes one line in DTLS 1.2, five
    // in 1.3 (the default), each naming its client random.
    const randoms = new Set<string>();
    server = createServer(
      {
        psk: serverPsk(),
        keylog: (line) => {
          const known = randoms.size;
          randoms.add(line.toString().split(' ')[1] ?? '');
          if (known === 1 && randoms.size === 2) throw new Error('disk full');
        },
      },
      echo,
    );
    const reported: string[] = [];
    server.on('connectionError', (error, stage) => void reported.push(`${stage}: ${error.message}`));
    const { port } = await server.listen(0, '127.0.0.1');
    const good = await client(port);
    const bad = await client(port);
    await until(() => bad.state === 'closed', 3000, 'the second connection to be aborted');
    expect(bad.error?.alert).toBe(AlertDescription.internal_error);
    expect(reported).toEqual(['handler: disk full']);
    expect(await roundTrip(good, 'unaffected')).toBe('unaffected');
    expect(server.stats.handshakes).toBe(0);
  });

  it("a 'connection' listener added with server.on() that rejects is caught the same way", async () => {
    server = createServer({ psk: serverPsk() }, echo);
    const reported: string[] = [];
    server.on('connectionError', (error, stage) => void reported.push(`${stage}: ${error.message}`));
    server.on('connection', async () => {
      await sleep(1);
      throw new Error('second listener failed');
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const c = await client(port);
    await until(() => c.state === 'closed', 3000, 'the connection to be aborted');
    expect(c.error?.alert).toBe(AlertDescription.internal_error);
    expect(reported).toEqual(['handler: second listener failed']);
  });
});
