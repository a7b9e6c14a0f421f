/**
 * The hand-over of an established connection to another thread, against OpenSSL 3.0's s_client:
 * the main thread runs the handshake (ServerEndpoint's cookie check, then the engine), exports the
 * established connection and posts the snapshot to a worker_threads Worker, which takes it up
 * (handover-worker.mjs, on the built package) and echoes every record; the main thread only moves
 * datagrams. Second case: flight 6 is lost, so s_client retransmits its flight 5 after the
 * hand-over and the worker must answer it with the handshake's last flight (RFC 6347 4.2.4).
 *
 * openssl s_client -dtls1_2 -connect 127.0.0.1:PORT -nbio -no_ticket -cipher PSK-AES128-GCM-SHA256 \
 *   -psk 000102030405060708090a0b0c0d0e0f -psk_identity Client_identity -no-CAfile -no-CApath -no-CAstore -no_ign_eof
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { bindLoopback, closeSocket, runOpensslClient } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type { DtlsConnection } from '../../src/connection.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { serverPsk } from '../support/psk.js';

interface WorkerClosed {
  type: 'closed';
  error: string | undefined;
  threadId: number;
  cipher: string | undefined;
  stats: { retransmissions: number; applicationRecordsIn: number; applicationRecordsOut: number; replayed: number };
}

type FromWorker = { type: 'datagram'; data: Uint8Array } | WorkerClosed;

/** A server whose main thread only handshakes and whose one worker runs the connection. */
class HandoverServer {
  private conn: DtlsConnection | undefined;
  private peer: RemoteInfo | undefined;
  private handedOver = false;
  /** Handshake datagrams of the engine dropped once (flight 6), to make the client retransmit. */
  private dropLastFlight: boolean;
  private timer: NodeJS.Timeout;
  readonly closed: Promise<WorkerClosed>;
  /** Application data records the main thread saw before the hand-over (none expected). */
  dataOnMain = 0;

  constructor(
    private readonly socket: Socket,
    private readonly worker: Worker,
    dropLastFlight: boolean,
  ) {
    this.dropLastFlight = dropLastFlight;
    const endpoint = new ServerEndpoint({ psk: serverPsk() });
    socket.on('message', (msg, rinfo) => this.onDatagram(endpoint, new Uint8Array(msg), rinfo));
    this.closed = new Promise((resolve) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'datagram') this.send(m.data);
        else resolve(m);
      });
    });
    // The handshake's retransmission timer, on the main thread until the hand-over.
    this.timer = setInterval(() => {
      const c = this.conn;
      const due = c?.nextTimeout();
      if (c === undefined || this.handedOver || due === undefined || due > performance.now()) return;
      c.handleTimeout(performance.now());
      this.after(c);
    }, 20);
  }

  private send(d: Uint8Array): void {
    if (this.peer !== undefined) this.socket.send(d, this.peer.port, this.peer.address);
  }

  private onDatagram(endpoint: ServerEndpoint, d: Uint8Array, rinfo: RemoteInfo): void {
    const now = performance.now();
    if (this.handedOver) {
      this.worker.postMessage({ type: 'datagram', data: d, from: { address: rinfo.address, port: rinfo.port } });
      return;
    }
    if (this.conn === undefined) {
      const r = endpoint.handle(d, `${rinfo.address}:${rinfo.port}`, now, Date.now());
      if (r.type === 'reply') this.socket.send(r.datagram, rinfo.port, rinfo.address);
      if (r.type !== 'accept') return;
      this.conn = r.connection;
      this.peer = rinfo;
    } else {
      this.conn.receive(d, now, { address: rinfo.address, port: rinfo.port });
    }
    this.after(this.conn);
  }

  private after(c: DtlsConnection): void {
    if (c.state === 'established') {
      if (this.dropLastFlight) c.datagramsToSend(); // flight 6 lost on the way
      for (let e = c.pollEvent(); e !== undefined; e = c.pollEvent()) if (e.type === 'data') this.dataOnMain++;
      // Flight 6, unless dropped, goes in the snapshot and leaves from the worker.
      const snapshot = c.exportEstablished();
      this.handedOver = true;
      this.worker.postMessage({ type: 'snapshot', snapshot });
      return;
    }
    for (const d of c.datagramsToSend()) this.send(d);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function start(dropLastFlight: boolean): Promise<{ server: HandoverServer; port: number }> {
  const socket = await bindLoopback();
  const worker = new Worker(new URL('./handover-worker.mjs', import.meta.url));
  const server = new HandoverServer(socket, worker, dropLastFlight);
  cleanup = async () => {
    server.stop();
    await worker.terminate();
    await closeSocket(socket);
  };
  return { server, port: socket.address().port };
}

describe('established connection handed to a worker thread, with openssl s_client', () => {
  it('the worker takes up the connection and echoes; close_notify ends it there', async () => {
    const { server, port } = await start(false);
    const result = await runOpensslClient({ port, cipher: 'PSK-AES128-GCM-SHA256', psk: '000102030405060708090a0b0c0d0e0f', identity: 'Client_identity', messages: ['hello through the hand-over', 'second line'] });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    const closed = await server.closed;
    expect(closed.error).toBeUndefined();
    expect(closed.cipher).toBe('PSK-AES128-GCM-SHA256');
    expect(closed.threadId).toBeGreaterThan(0);
    expect(closed.stats.applicationRecordsIn).toBe(2);
    expect(closed.stats.applicationRecordsOut).toBe(2);
    expect(server.dataOnMain).toBe(0);
  }, 20_000);

  it('flight 6 lost: the worker answers the retransmitted flight 5 with the last flight (RFC 6347 4.2.4)', async () => {
    const { server, port } = await start(true);
    const result = await runOpensslClient({ port, cipher: 'PSK-AES128-GCM-SHA256', psk: '000102030405060708090a0b0c0d0e0f', identity: 'Client_identity', messages: ['after a lost flight 6'] });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    const closed = await server.closed;
    expect(closed.error).toBeUndefined();
    expect(closed.stats.retransmissions).toBeGreaterThanOrEqual(1);
    expect(closed.stats.applicationRecordsIn).toBe(1);
  }, 20_000);
});
