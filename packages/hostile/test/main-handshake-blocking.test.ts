/**
 * The blocking server with `handshakes: 'main'`: its main thread runs every DTLS 1.2 handshake, so
 * whatever a peer sends during one reaches this thread's engine. 30 peers (each from its own
 * loopback address) pass the cookie exchange (RFC 6347 4.2.1) honestly, get our flight 4, and
 * then send 40 mangled datagrams each instead of their flight 5: random bytes, their real flight
 * with a byte flipped or cut short, forged plaintext handshake, ChangeCipherSpec and alert
 * records, epoch-1 records that cannot authenticate, fragments claiming huge messages. The process
 * must live (an exception on the main thread would end it), each handshake must end (an alert or
 * the handshake deadline) or, when a mangling left the flight valid (a flipped bit in a plaintext
 * record's sequence number is not authenticated in DTLS 1.2), be established and reach a worker
 * like any connection, and a real client must still get in.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { createBlockingServer, type BlockingServer } from '@dtls-kit/blocking';
import { DtlsConnection } from '@dtls-kit/core';
import { connect } from '@dtls-kit/nonblocking';
import { Rng } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { clientPsk, PSK_IDENTITY, PSK_KEY } from './support/credentials.js';
import { plaintextRecord } from './support/forge.js';
import { sleep, waitUntil } from './support/pool.js';

const PEERS = 30;
const MANGLED = 40;
const DTLS12 = { maxVersion: 'DTLSv1.2' } as const;

let server: BlockingServer | undefined;
const sockets: dgram.Socket[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await server?.close();
  server = undefined;
});

/** One of the mangled datagrams, from the peer's real flight 5 (`flight`) and the seeded `rng`. */
function mangle(kind: number, flight: readonly Uint8Array[], rng: Rng): Uint8Array {
  const real = flight[rng.int(flight.length)] ?? new Uint8Array(1);
  const seq = 100 + rng.int(1000);
  switch (kind) {
    case 0:
      return rng.bytes(1 + rng.int(1400));
    case 1: {
      const copy = real.slice();
      const at = rng.int(copy.length);
      copy[at] = (copy[at] ?? 0) ^ (1 + rng.int(255));
      return copy;
    }
    case 2:
      return real.subarray(0, rng.int(real.length));
    case 3:
      // A handshake record with a random body (a random header: type, length, sequence, fragment).
      return plaintextRecord(22, 0, seq, rng.bytes(12 + rng.int(200)));
    case 4: {
      // A ClientKeyExchange fragment claiming a 16 MB message at a wild offset (RFC 6347 4.2.3).
      const body = new Uint8Array(12 + 64);
      const view = new DataView(body.buffer);
      body[0] = 16;
      view.setUint16(1, 0xff);
      body[3] = 0xff;
      view.setUint16(4, 1 + rng.int(5));
      view.setUint32(6, rng.next() & 0xffffff);
      body.set(rng.bytes(3), 9);
      return plaintextRecord(22, 0, seq, body);
    }
    case 5:
      return plaintextRecord(20, 0, seq, rng.bytes(1 + rng.int(3)));
    case 6:
      return plaintextRecord(21, 0, seq, rng.bytes(rng.int(4)));
    default:
      // An epoch-1 record (where the Finished would be) that cannot authenticate.
      return plaintextRecord(22, 1, rng.int(10), rng.bytes(16 + rng.int(100)));
  }
}

/** A peer that answers the HelloVerifyRequest, then sends MANGLED mangled datagrams in place of its flight 5. */
async function hostilePeer(port: number, address: string, rng: Rng): Promise<{ sent: Promise<void>; alerts: () => number }> {
  const udp = dgram.createSocket('udp4');
  udp.on('error', () => {});
  sockets.push(udp);
  udp.bind(0, address);
  await once(udp, 'listening');
  const conn = DtlsConnection.client({ ...DTLS12, psk: clientPsk() });
  conn.connect(performance.now());
  let answers = 0;
  let alerts = 0;
  let resolve!: () => void;
  const sent = new Promise<void>((r) => (resolve = r));
  udp.on('message', (m: Buffer) => {
    answers++;
    if (answers > 2) {
      // An alert from the server (content type 21, in the clear or not) ends the mangled handshake.
      if (m[0] === 21) alerts++;
      return;
    }
    conn.receive(new Uint8Array(m.buffer, m.byteOffset, m.byteLength), performance.now());
    const out = conn.datagramsToSend().map((d) => d.slice());
    if (answers === 1) {
      for (const d of out) udp.send(d, port, '127.0.0.1');
      return;
    }
    // Our flight 4 came: flight 5 (ClientKeyExchange, ChangeCipherSpec, Finished) is never sent as it is.
    void (async () => {
      for (let i = 0; i < MANGLED; i++) {
        udp.send(mangle(i % 8, out, rng), port, '127.0.0.1');
        if (i % 8 === 7) await sleep(2);
      }
      resolve();
    })();
  });
  for (const d of conn.datagramsToSend()) udp.send(d, port, '127.0.0.1');
  return { sent, alerts: () => alerts };
}

describe("blocking server, handshakes: 'main': mangled flights during the main thread's handshakes", () => {
  it(`${PEERS} peers pass the cookie exchange, then send ${MANGLED} mangled datagrams each: the process lives, each handshake ends or (still valid) is served, a real client gets in`, async () => {
    const srv = createBlockingServer({
      ...DTLS12,
      handler: new URL('./support/nat-rebinding-blocking-handler.mjs', import.meta.url),
      credentials: { psk: { keys: { [PSK_IDENTITY]: PSK_KEY } } },
      handshakes: 'main',
      maxThreads: 1,
      maxQueue: PEERS,
      handshakeTimeoutMs: 3000,
      // A peer whose mangled flight still completed the handshake never speaks again: its worker is freed.
      idleTimeoutMs: 1000,
    });
    server = srv;
    let connections = 0;
    srv.on('connection', () => connections++);
    const { port } = await srv.listen(0, '127.0.0.1');
    const rng = new Rng(20_261_204);
    const peers = [];
    for (let i = 0; i < PEERS; i++) peers.push(await hostilePeer(port, `127.0.1.${i + 2}`, rng.fork()));
    await Promise.all(peers.map((p) => p.sent));
    expect(srv.stats.accepted).toBe(PEERS);
    // Every mangled handshake ends: with a fatal alert of ours, or at the handshake deadline; one
    // still valid was established, and ends at its idle timeout.
    expect(await waitUntil(() => srv.stats.connections === 0 && srv.stats.handshakes === 0, 10_000)).toBe(true);
    const established = connections;
    expect(established).toBeLessThan(PEERS / 2);
    expect(srv.stats).toMatchObject({ connections: 0, handshakes: 0, established, completed: PEERS, handshakeFailures: PEERS - established, handlerErrors: 0, active: 0, queued: 0 });
    const failed = srv.stats.handshakesFailed;
    const byAlert = Object.values(failed.sent).reduce((a, b) => a + b, 0) + Object.values(failed.received).reduce((a, b) => a + b, 0);
    expect(byAlert + failed.timedOut).toBe(PEERS - established);
    console.log(`handshakes: 'main', ${PEERS} mangled handshakes: ${established} still valid, failed ${JSON.stringify(failed)}; peers told by an alert: ${peers.filter((p) => p.alerts() > 0).length}`);

    // A real client still gets in, and its connection runs in the worker.
    const client = await connect({ host: '127.0.0.1', port, ...DTLS12, psk: clientPsk() });
    const echoes: string[] = [];
    client.on('message', (m: Buffer) => echoes.push(m.toString('utf8')));
    client.send('m0:abcdefghijklmnopqrst');
    expect(await waitUntil(() => echoes.length === 1, 10_000)).toBe(true);
    expect(echoes).toEqual(['m0:abcdefghijklmnopqrst']);
    expect(client.getProtocol()).toBe('DTLSv1.2');
    client.destroy();
    expect(connections).toBe(established + 1);
  }, 40_000);
});
