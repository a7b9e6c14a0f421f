/**
 * A hostile DTLS client over a real UDP socket: our core engine (DtlsConnection) driven by hand on
 * a node:dgram socket it owns, so a test can send anything it likes from the very address of an
 * established connection — garbage, forged records, or records sealed under the connection's own
 * keys (`seal13`, through the engine's DTLS 1.3 record layer).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { type ClientOptions, DtlsConnection, type DtlsEvent } from '@dtls-kit/core';

export class EngineClient {
  readonly events: DtlsEvent[] = [];
  /** Datagrams the server sent us. */
  datagramsReceived = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly socket: dgram.Socket,
    readonly conn: DtlsConnection,
    private readonly port: number,
  ) {
    socket.on('message', (d: Buffer) => {
      this.datagramsReceived++;
      this.conn.receive(new Uint8Array(d.buffer, d.byteOffset, d.length), performance.now());
      this.pump();
    });
  }

  /** Connects to 127.0.0.1:`port` and resolves once the handshake is over (or rejects with its error). */
  static async connect(port: number, options: ClientOptions, timeoutMs = 20_000): Promise<EngineClient> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const client = new EngineClient(socket, DtlsConnection.client(options), port);
    client.conn.connect(performance.now());
    client.pump();
    const started = performance.now();
    while (client.conn.state === 'handshaking' && performance.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 5));
    if (client.conn.state !== 'established') {
      client.close();
      throw client.conn.error ?? new Error(`handshake still ${client.conn.handshakeState} after ${timeoutMs} ms`);
    }
    return client;
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** Sends what the engine has, takes its events, and arms its timer. */
  pump(): void {
    for (const d of this.conn.datagramsToSend()) this.socket.send(d, this.port, '127.0.0.1');
    for (let e; (e = this.conn.pollEvent()); ) this.events.push(e);
    if (this.timer !== undefined) clearTimeout(this.timer);
    const next = this.conn.nextTimeout();
    if (next !== undefined) {
      this.timer = setTimeout(() => {
        this.conn.handleTimeout(performance.now());
        this.pump();
      }, Math.max(0, next - performance.now()));
    }
  }

  /** Raw bytes from this client's address, as they are. */
  async raw(d: Uint8Array): Promise<void> {
    await new Promise<void>((resolve) => this.socket.send(d, this.port, '127.0.0.1', () => resolve()));
  }

  /** One record of `type` sealed under this connection's current DTLS 1.3 write keys (a peer holding them may send anything). */
  seal13(type: number, content: Uint8Array): Uint8Array {
    const records: unknown = Reflect.get(this.conn, 'records');
    const layer: unknown = typeof records === 'object' && records !== null ? Reflect.get(records, 'dtls13Records') : undefined;
    const seal: unknown = typeof layer === 'object' && layer !== null ? Reflect.get(layer, 'seal') : undefined;
    if (typeof seal !== 'function') throw new Error('not a DTLS 1.3 connection');
    const record: unknown = Reflect.apply(seal, layer, [type, content]);
    if (!(record instanceof Uint8Array)) throw new Error('seal returned no record');
    return record;
  }

  /** Application data received so far, as strings. */
  received(): string[] {
    return this.events.flatMap((e) => (e.type === 'data' ? [Buffer.from(e.data).toString('utf8')] : []));
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.socket.close();
  }
}
