/**
 * A DTLS client for tests that must choose the source address of every datagram: the core engine
 * driven over a node:dgram socket the test can swap (a NAT rebinding, or a client that restarts
 * on the same port). Not a runtime: just enough to handshake, send and receive.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { DtlsConnection, fromHex, type DtlsEvent } from '@dtls-kit/core';
import { utf8 } from '@dtls-kit/core/internal';
import { IDENTITY, KEY } from './helpers.js';

export class EngineClient {
  readonly engine: DtlsConnection;
  /** Every datagram this client sent, in order. */
  readonly sent: Uint8Array[] = [];
  /** Datagrams that came back from the server. */
  received = 0;
  private readonly inbox: Uint8Array[] = [];
  private readonly events: DtlsEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Our own sockets no longer in use (closed with us). */
  private readonly own: Socket[] = [];
  private waiter: (() => void) | undefined;

  private constructor(
    private socket: Socket,
    readonly serverPort: number,
    connectionIdLength: number | undefined,
  ) {
    this.engine = DtlsConnection.client({
      psk: { type: 'psk', resolve: () => ({ identity: utf8(IDENTITY), key: fromHex(KEY) }) },
      cipherSuites: ['TLS_PSK_WITH_AES_128_CCM_8'],
      connectionId: connectionIdLength === undefined ? undefined : { length: connectionIdLength },
    });
    this.listen(socket);
  }

  /** A client on `socket` (or a new one on 127.0.0.1, any port). */
  static async open(serverPort: number, options: { connectionIdLength?: number; socket?: Socket } = {}): Promise<EngineClient> {
    return new EngineClient(options.socket ?? (await bound()), serverPort, options.connectionIdLength);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** From now on datagrams go out of (and are taken from) a new socket on a new port; the old one closes. */
  async rebind(): Promise<number> {
    const old = this.socket;
    this.socket = await bound();
    this.listen(this.socket);
    old.removeAllListeners('message');
    old.close();
    return this.localPort;
  }

  /** Sends from (and also listens on) `socket`, someone else's: a NAT that gave our new mapping a port another peer had. */
  borrow(socket: Socket): void {
    this.own.push(this.socket);
    this.socket = socket;
    this.listen(socket);
  }

  get socketInUse(): Socket {
    return this.socket;
  }

  private listen(socket: Socket): void {
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== this.serverPort) return;
      this.received++;
      this.engine.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), performance.now(), rinfo);
      this.flush();
    });
  }

  private flush(): void {
    for (let e = this.engine.pollEvent(); e; e = this.engine.pollEvent()) {
      if (e.type === 'data') this.inbox.push(e.data);
      this.events.push(e);
    }
    for (const d of this.engine.datagramsToSend()) this.raw(d);
    if (this.timer) clearTimeout(this.timer);
    const t = this.engine.nextTimeout();
    if (t !== undefined) {
      this.timer = setTimeout(() => {
        this.engine.handleTimeout(Math.max(performance.now(), t));
        this.flush();
      }, Math.max(0, t - performance.now()));
      this.timer.unref();
    }
    this.waiter?.();
  }

  private async until<T>(pick: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const v = pick();
      if (v !== undefined) return v;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Sends the ClientHello and waits for `count` datagrams back (then, e.g., detach() to abandon the handshake). */
  async start(count: number, timeoutMs = 5000): Promise<void> {
    this.engine.connect(performance.now());
    this.flush();
    await this.until(() => (this.received >= count ? true : undefined), timeoutMs, `${count} datagrams from the server`);
  }

  /** Sends the ClientHello; resolves once the handshake completed. */
  async handshake(timeoutMs = 10_000): Promise<void> {
    this.engine.connect(performance.now());
    this.flush();
    await this.until(
      () => {
        const failed = this.events.find((e) => e.type === 'close');
        if (failed) throw new Error(`handshake failed: ${failed.type === 'close' ? (failed.error?.message ?? 'closed') : ''}`);
        return this.engine.state === 'established' ? true : undefined;
      },
      timeoutMs,
      'the handshake',
    );
  }

  /** Sends a datagram as it is, from the current socket. */
  raw(datagram: Uint8Array): void {
    this.sent.push(datagram);
    this.socket.send(datagram, this.serverPort, '127.0.0.1');
  }

  /** Stops listening and hands the socket over (a restarted client keeps its port). */
  detach(): Socket {
    if (this.timer) clearTimeout(this.timer);
    this.socket.removeAllListeners('message');
    return this.socket;
  }

  send(text: string): void {
    this.engine.send(utf8(text));
    this.flush();
  }

  /** DTLS 1.3 (RFC 9147 9): asks the server for `count` more CIDs (a RequestConnectionId), sent at once. */
  requestConnectionIds(count: number): boolean {
    const sent = this.engine.requestConnectionIds(count);
    this.flush();
    return sent;
  }

  /** The next message as text. */
  async recv(timeoutMs = 5000): Promise<string> {
    const d = await this.until(() => this.inbox.shift(), timeoutMs, 'a message');
    return new TextDecoder().decode(d);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.engine.state !== 'closed') {
      this.engine.close();
      for (const d of this.engine.datagramsToSend()) this.socket.send(d, this.serverPort, '127.0.0.1');
    }
    this.socket.removeAllListeners('message');
    for (const s of [this.socket, ...this.own]) {
      setTimeout(() => {
        try {
          s.close();
        } catch {
          // Closed already (a borrowed socket's owner closed it).
        }
      }, 50).unref();
    }
  }
}

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}
