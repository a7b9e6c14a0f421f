import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { serveOverUdp, type ServedConnection, type ServedEndpoint, type ServedEndpointResult, type ServedEvent, type UdpServer, type UdpServerOptions } from '../src/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A toy connection: "data:x" → a data event x; "close" → close event (and "bye" sent);
 * "boom" → throws; after `tickAfter` ms its timer fires once and sends "tick".
 * With `asyncData`, data events are reported after a microtask through onWake.
 */
class ToyConnection implements ServedConnection {
  onWake: (() => void) | undefined;
  readonly sent: string[] = [];
  private readonly events: ServedEvent[] = [{ type: 'handshake-complete' }];
  private readonly outbox: Uint8Array[] = [encoder.encode('welcome')];
  private deadline: number | undefined;
  closed = false;

  constructor(
    now: number,
    tickAfter: number | undefined,
    private readonly asyncData: boolean,
  ) {
    this.deadline = tickAfter === undefined ? undefined : now + tickAfter;
  }

  receive(datagram: Uint8Array): void {
    const text = decoder.decode(datagram);
    if (text === 'boom') throw new Error('toy connection: boom');
    if (text === 'close') {
      this.closed = true;
      this.outbox.push(encoder.encode('bye'));
      this.events.push({ type: 'close', error: undefined });
      return;
    }
    if (!text.startsWith('data:')) return;
    const event = { type: 'data', data: encoder.encode(text.slice(5)) };
    if (!this.asyncData) {
      this.events.push(event);
      return;
    }
    void Promise.resolve().then(() => {
      this.events.push(event);
      this.onWake?.();
    });
  }

  send(data: Uint8Array): void {
    if (this.closed) throw new Error('closed');
    this.sent.push(decoder.decode(data));
    this.outbox.push(data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox.push(encoder.encode('bye'));
    this.events.push({ type: 'close', error: undefined });
  }

  datagramsToSend(): Uint8Array[] {
    return this.outbox.splice(0);
  }

  nextTimeout(): number | undefined {
    return this.deadline;
  }

  handleTimeout(now: number): void {
    if (this.deadline === undefined || now < this.deadline) return;
    this.deadline = undefined;
    this.outbox.push(encoder.encode('tick'));
  }

  pollEvent(): ServedEvent | undefined {
    return this.events.shift();
  }
}

/** "hello" → "cookie:<peer>"; "hello:<peer>" from that peer → accept; anything else → drop. */
class ToyEndpoint implements ServedEndpoint<ToyConnection> {
  readonly peers: string[] = [];
  constructor(private readonly opts: { tickAfter?: (n: number) => number | undefined; asyncData?: boolean } = {}) {}

  handle(datagram: Uint8Array, peer: string, now: number): ServedEndpointResult<ToyConnection> {
    const text = decoder.decode(datagram);
    if (text === 'hello') return { type: 'reply', datagram: encoder.encode(`cookie:${peer}`) };
    if (text === `hello:${peer}`) {
      this.peers.push(peer);
      const connection = new ToyConnection(now, this.opts.tickAfter?.(this.peers.length - 1), this.opts.asyncData ?? false);
      return { type: 'accept', connection };
    }
    return { type: 'drop', reason: `unexpected ${JSON.stringify(text)}` };
  }
}

const sockets: Socket[] = [];
const servers: Array<UdpServer<ToyConnection>> = [];

afterEach(async () => {
  for (const server of servers.splice(0)) server.stop();
  await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

function bind(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    sockets.push(socket);
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

async function waitUntil(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('waitUntil: timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A raw UDP client that records what it receives. */
class RawClient {
  readonly received: string[] = [];
  constructor(
    readonly socket: Socket,
    private readonly serverPort: number,
  ) {
    socket.on('message', (msg) => this.received.push(msg.toString('utf8')));
  }

  get name(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  send(text: string): void {
    this.socket.send(text, this.serverPort, '127.0.0.1');
  }

  async expect(text: string): Promise<void> {
    await waitUntil(() => this.received.includes(text));
  }

  /** The cookie exchange, ending accepted (the server says "welcome"). */
  async handshake(): Promise<void> {
    this.send('hello');
    await this.expect(`cookie:${this.name}`);
    this.send(`hello:${this.name}`);
    await this.expect('welcome');
  }
}

async function setup(
  endpoint: ToyEndpoint,
  options: UdpServerOptions<ToyConnection>,
  clients: number,
): Promise<{ server: UdpServer<ToyConnection>; raws: RawClient[] }> {
  const socket = await bind();
  const server = serveOverUdp(endpoint, socket, options);
  servers.push(server);
  const port = socket.address().port;
  const raws = await Promise.all(Array.from({ length: clients }, async () => new RawClient(await bind(), port)));
  return { server, raws };
}

describe('serveOverUdp', () => {
  it('does the stateless exchange, then routes each peer to its own connection and echoes', async () => {
    const endpoint = new ToyEndpoint();
    const accepted: string[] = [];
    const events: string[] = [];
    const { server, raws } = await setup(
      endpoint,
      {
        echo: true,
        onAccept: (_c, peer) => accepted.push(peer),
        onEvent: (_c, event, peer) => events.push(`${peer} ${event.type}`),
      },
      3,
    );
    await Promise.all(raws.map((r) => r.handshake()));
    expect(server.connections.size).toBe(3);
    expect(new Set(accepted)).toEqual(new Set(raws.map((r) => r.name)));
    for (const [i, r] of raws.entries()) r.send(`data:message ${i}`);
    await Promise.all(raws.map((r, i) => r.expect(`message ${i}`)));
    // Each echo went to its own sender only.
    for (const [i, r] of raws.entries()) {
      expect(r.received.filter((m) => m.startsWith('message '))).toEqual([`message ${i}`]);
      expect(server.connections.get(r.name)?.sent).toEqual([`message ${i}`]);
    }
    for (const r of raws) {
      expect(events).toContain(`${r.name} handshake-complete`);
      expect(events).toContain(`${r.name} data`);
    }
    expect(server.stats).toMatchObject({ replies: 3, accepted: 3, echoed: 3, dropped: 0 });
    expect(server.errors).toEqual([]);
  });

  it('without echo, data is only reported', async () => {
    const data: string[] = [];
    const { server, raws } = await setup(
      new ToyEndpoint(),
      { onEvent: (_c, e) => e.type === 'data' && e.data && data.push(decoder.decode(e.data)) },
      1,
    );
    const [r] = raws;
    if (!r) throw new Error('no client');
    await r.handshake();
    r.send('data:quiet');
    await waitUntil(() => data.length === 1);
    expect(data).toEqual(['quiet']);
    expect(server.stats.echoed).toBe(0);
  });

  it('passes what the endpoint drops to onDrop', async () => {
    const drops: string[] = [];
    const { server, raws } = await setup(new ToyEndpoint(), { onDrop: (reason) => drops.push(reason) }, 1);
    raws[0]?.send('garbage');
    await waitUntil(() => drops.length === 1);
    expect(drops[0]).toMatch(/garbage/);
    expect(server.stats.dropped).toBe(1);
  });

  it('fires every connection timer from one timer, earliest first', async () => {
    // Deadlines 120, 40 and 80 ms after each accept.
    const delays = [120, 40, 80];
    const { server, raws } = await setup(new ToyEndpoint({ tickAfter: (n) => delays[n] }), {}, 3);
    for (const r of raws) await r.handshake();
    const order: number[] = [];
    for (const [i, r] of raws.entries()) void r.expect('tick').then(() => order.push(i));
    await waitUntil(() => order.length === 3);
    expect(order).toEqual([1, 2, 0]);
    expect(server.stats.timeouts).toBe(3);
  });

  it('pumps a connection that finishes work asynchronously (onWake)', async () => {
    const { server, raws } = await setup(new ToyEndpoint({ asyncData: true }), { echo: true }, 1);
    const [r] = raws;
    if (!r) throw new Error('no client');
    await r.handshake();
    expect(typeof server.connections.get(r.name)?.onWake).toBe('function');
    r.send('data:later');
    await r.expect('later');
  });

  it('forgets a closed connection after flushing its last datagrams', async () => {
    const closes: string[] = [];
    const { server, raws } = await setup(new ToyEndpoint(), { onEvent: (_c, e, peer) => e.type === 'close' && closes.push(peer) }, 1);
    const [r] = raws;
    if (!r) throw new Error('no client');
    await r.handshake();
    r.send('close');
    await r.expect('bye');
    expect(closes).toEqual([r.name]);
    expect(server.connections.size).toBe(0);
    expect(server.stats.closed).toBe(1);
    // The peer is a stranger again: its next datagram goes to the endpoint.
    r.send('hello');
    await waitUntil(() => r.received.filter((m) => m.startsWith('cookie:')).length === 2);
  });

  it('closeAll() closes every live connection', async () => {
    const { server, raws } = await setup(new ToyEndpoint(), {}, 2);
    await Promise.all(raws.map((r) => r.handshake()));
    server.closeAll();
    await Promise.all(raws.map((r) => r.expect('bye')));
    expect(server.connections.size).toBe(0);
  });

  it('reports a throwing connection, forgets it and keeps serving the others', async () => {
    const reported: string[] = [];
    const { server, raws } = await setup(new ToyEndpoint(), { echo: true, onError: (e, peer) => reported.push(`${peer} ${e.message}`) }, 2);
    const [a, b] = raws;
    if (!a || !b) throw new Error('no clients');
    await Promise.all(raws.map((r) => r.handshake()));
    a.send('boom');
    await waitUntil(() => server.errors.length === 1);
    expect(reported).toEqual([`${a.name} toy connection: boom`]);
    expect(server.connections.has(a.name)).toBe(false);
    b.send('data:still here');
    await b.expect('still here');
  });

  it('stop() detaches from the socket and clears the timer', async () => {
    const { server, raws } = await setup(new ToyEndpoint({ tickAfter: () => 30 }), {}, 1);
    const [r] = raws;
    if (!r) throw new Error('no client');
    await r.handshake();
    server.stop();
    r.send('data:ignored');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(r.received).toEqual([`cookie:${r.name}`, 'welcome']);
    expect(server.stats.timeouts).toBe(0);
    expect(server.connections.get(r.name)?.onWake).toBeUndefined();
  });
});
