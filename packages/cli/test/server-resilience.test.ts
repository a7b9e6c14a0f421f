/**
 * Issue 12, point 1, against `dtls-kit server` (both runtimes): one peer sends a fatal alert after
 * its handshake, another sends the largest message a record carries (2^14 bytes: the echo
 * handler's own send can be made no larger than what it receives), while ten ordinary clients echo
 * throughout. Every echo comes back, the server stays up, and SIGTERM ends it with exit code 0.
 */
import { createSocket } from 'node:dgram';
import { AlertDescription, DtlsConnection } from '@dtls-kit/core';
import { connect, type DtlsSocket } from '@dtls-kit/nonblocking';
import { pskClient } from '@dtls-kit/psk';
import { driveOverUdp, sleep } from '@dtls-kit/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, PSK, startCliServer } from './helpers.js';

afterAll(killAll);

const psk = (): ReturnType<typeof pskClient> => pskClient({ identity: 'Client_identity', key: PSK });

/** A bare engine client over UDP: handshake, then a fatal alert of its own (RFC 5246 7.2.2). */
async function handshakeThenFatalAlert(port: number): Promise<boolean> {
  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const conn = DtlsConnection.client({ psk: psk() });
  conn.connect(performance.now());
  const driver = driveOverUdp(conn, udp, { address: '127.0.0.1', port });
  try {
    const deadline = performance.now() + 15_000;
    while (conn.state !== 'established' && performance.now() < deadline) await sleep(10);
    if (conn.state !== 'established') return false;
    conn.abort(AlertDescription.internal_error, 'the peer gives up');
    driver.pump();
    await sleep(20);
    return true;
  } finally {
    driver.stop();
    udp.close();
  }
}

/** Waits for the next message, or undefined after `ms`. */
function nextMessage(socket: DtlsSocket, ms: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      resolve(undefined);
    }, ms);
    const onMessage = (data: Buffer): void => {
      clearTimeout(timer);
      resolve(data);
    };
    socket.once('message', onMessage);
  });
}

interface Tally {
  sent: number;
  echoed: number;
  missed: string | undefined;
}

describe.each([['nonblocking'], ['blocking']])('dtls-kit server --runtime %s', (runtime) => {
  it('a fatal alert and a 2^14-byte message from two peers while 10 clients echo: every echo comes back, exit 0 on SIGTERM', async () => {
    // The blocking runtime serves one connection per worker: enough threads for 10 + 2 peers.
    // A 2^14-byte message is one record in one datagram (RFC 6347 4.1.1): both ends need an MTU
    // that carries it (2^14 + 37 bytes at most), or send() throws a RangeError (maxPayload).
    const server = await startCliServer(['--runtime', runtime, '--psk', PSK, '--mtu', '16500', ...(runtime === 'blocking' ? ['--threads', '16'] : [])]);
    let stop = false;
    const clients = await Promise.all(Array.from({ length: 10 }, () => connect({ host: '127.0.0.1', port: server.port, psk: psk(), handshakeTimeoutMs: 15_000 })));
    const tallies = clients.map((): Tally => ({ sent: 0, echoed: 0, missed: undefined }));
    const echoing = Promise.all(
      clients.map(async (socket, i) => {
        const t = tallies[i] as Tally;
        while (!stop) {
          const text = `client ${i} message ${t.sent}`;
          const reply = nextMessage(socket, 5000);
          socket.send(text);
          t.sent++;
          if ((await reply)?.toString() !== text) {
            t.missed = text;
            break;
          }
          t.echoed++;
          await sleep(10);
        }
        await socket.close();
      }),
    );
    await sleep(300);

    expect(await handshakeThenFatalAlert(server.port)).toBe(true);
    const big = await connect({ host: '127.0.0.1', port: server.port, psk: psk(), handshakeTimeoutMs: 15_000, mtu: 16_500 });
    expect(big.maxPayload).toBe(2 ** 14);
    const largest = Buffer.alloc(2 ** 14, 0x62);
    const bigReply = nextMessage(big, 5000);
    big.send(largest);
    expect((await bigReply)?.equals(largest)).toBe(true);
    await big.close();
    expect(await handshakeThenFatalAlert(server.port)).toBe(true);

    await sleep(1000);
    stop = true;
    await echoing;
    const sent = tallies.reduce((a, t) => a + t.sent, 0);
    console.log(`dtls-kit server --runtime ${runtime}: 10 clients sent ${sent} messages, ${tallies.reduce((a, t) => a + t.echoed, 0)} echoed`);
    for (const t of tallies) {
      expect(t.missed, server.stderr()).toBeUndefined();
      expect(t.echoed).toBe(t.sent);
      expect(t.sent).toBeGreaterThan(10);
    }
    expect(server.stderr()).toMatch(/close 127\.0\.0\.1:\d+ after 0 messages: .*fatal alert internal_error/);
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).not.toMatch(/Unhandled|uncaught|node:internal/i);
    // Bounds for a loaded 2-core machine (16 worker threads start on demand): none is the subject.
  }, 90_000);
});
