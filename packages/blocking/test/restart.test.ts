import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, type BlockingServer, type Remote } from '../src/index.js';
import { EngineClient } from './engine-client.js';
import { fixture, serverCredentials, sleep, until } from './helpers.js';

let server: BlockingServer | undefined;
const clients: EngineClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

async function start(): Promise<{ port: number; errors: Error[]; replaced: Remote[] }> {
  server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 2 });
  const errors: Error[] = [];
  const replaced: Remote[] = [];
  server.on('connectionError', (e) => errors.push(e));
  server.on('replaced', (r) => replaced.push(r));
  return { port: (await server.listen(0, '127.0.0.1')).port, errors, replaced };
}

/** A datagram that is a plaintext (epoch 0) handshake record carrying a ClientHello (RFC 6347 4.1, 4.2.2). */
const isClientHello = (d: Uint8Array): boolean => d[0] === 22 && d[3] === 0 && d[4] === 0 && d[13] === 1;

describe('blocking server: restart detection (RFC 6347 4.2.8)', () => {
  it('a client that restarts on the same port gets a new session at once; its old connection ends without a word', async () => {
    const { port, errors, replaced } = await start();
    const first = await EngineClient.open(port);
    clients.push(first);
    await first.handshake();
    first.send('before');
    expect(await first.recv()).toBe('before');
    const localPort = first.localPort;
    // The client loses its state and starts over from the same port, with a new client random.
    const socket = first.detach();
    clients.splice(0);
    const t0 = performance.now();
    const second = await EngineClient.open(port, { socket });
    clients.push(second);
    // The old connection never times out (its handler waits in recv() with no deadline): only
    // restart detection lets the new handshake through.
    await second.handshake(5000);
    const ms = performance.now() - t0;
    console.log(`restarted client (same port ${localPort}): new session in ${ms.toFixed(0)} ms`);
    second.send('after');
    expect(await second.recv()).toBe('after');
    expect(replaced).toEqual([{ address: '127.0.0.1', port: localPort }]);
    // The old connection ended (its handler saw recv() return null), no error reported.
    await until(() => server!.stats.completed === 1, 5000, 'the old connection to end');
    expect(server!.stats.replaced).toBe(1);
    expect(server!.stats.active).toBe(1);
    expect(errors).toEqual([]);
  });

  it('a client that restarts in the middle of its handshake is not held up by the abandoned one', async () => {
    const { port, errors, replaced } = await start();
    const first = await EngineClient.open(port);
    clients.push(first);
    // The HelloVerifyRequest comes back and the ClientHello with the cookie goes out; then the
    // client loses its state, before the worker's flight (ServerHello ... ServerHelloDone) reaches
    // it: had it answered that flight, the old handshake would end, and the old worker's last
    // flight could reach the new client, which would take it for its own. The worker's flight is
    // let go (it reaches a socket nobody reads) before the new client starts: the new client could
    // take that ServerHello for its own too (it answers the same message_seq). The old worker's
    // next retransmission is 1 s away.
    await first.start(1);
    const socket = first.detach();
    clients.splice(0);
    await until(() => server!.stats.datagramsOut >= 2, 5000, "the worker's first flight to go out");
    await sleep(100);
    expect(server!.stats.handshakes).toBe(1);
    const second = await EngineClient.open(port, { socket });
    clients.push(second);
    await second.handshake(5000);
    second.send('fresh');
    expect(await second.recv()).toBe('fresh');
    expect(replaced.length).toBe(1);
    await until(() => server!.stats.completed === 1, 5000, 'the abandoned handshake to end');
    expect(server!.stats.evicted).toBe(0);
    expect(errors).toEqual([]);
  });

  it("an established connection's own ClientHello, again, is dropped; the session goes on", async () => {
    const { port, errors, replaced } = await start();
    const c = await EngineClient.open(port);
    clients.push(c);
    await c.handshake();
    c.send('one');
    expect(await c.recv()).toBe('one');
    const hellos = c.sent.filter(isClientHello);
    expect(hellos.length).toBe(2); // without, then with the cookie (RFC 6347 4.2.1)
    const before = c.received;
    for (const hello of hellos) c.raw(hello);
    await until(() => server!.stats.staleClientHellos === 2, 5000, 'the stale ClientHellos to be dropped');
    await sleep(300);
    expect(c.received).toBe(before); // no answer at all (no HelloVerifyRequest, no alert)
    c.send('two');
    expect(await c.recv()).toBe('two');
    expect(server!.stats.replaced).toBe(0);
    expect(replaced).toEqual([]);
    expect(errors).toEqual([]);
  });
});
