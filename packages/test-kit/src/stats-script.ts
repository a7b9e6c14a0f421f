/**
 * One script of peers for a DTLS server's counters (server.stats), the same for both runtimes:
 * good PSK handshakes that exchange messages and close, a client with the wrong key (our side's
 * fatal alert), a client that gives up mid-handshake with its own fatal alert (the peer's), junk
 * datagrams, a malformed ClientHello, a replayed record and a record with a bad MAC. Every peer
 * is a bare engine given by the caller, driven here datagram by datagram over node:dgram, so the
 * runtime under test does not drive its own test. It counts what went over the wire, and says
 * what the server's counters must then be.
 */
import dgram, { type Socket } from 'node:dgram';
import type { SimEndpoint } from './endpoint.js';
import { parseRecords } from './dtls-wire.js';
import { sleep, until } from './wait.js';

/** The engine's client as the script drives it (@dtls-kit/core's DtlsConnection fits). */
export interface ScriptClient extends SimEndpoint {
  connect(now: number): void;
  send(data: Uint8Array): void;
  close(): void;
  abort(description?: number, message?: string): void;
  readonly state: string;
  pollEvent(): { readonly type: string } | undefined;
}

export interface StatsScriptOptions {
  readonly port: number;
  readonly host?: string;
  /** A new client engine: with the server's key, or with another one. */
  readonly client: (key: 'right' | 'wrong') => ScriptClient;
  /** Good handshakes. */
  readonly handshakes: number;
  /** Messages each good client sends (the server echoes them). */
  readonly messages: number;
  /** Junk datagrams (not DTLS records). */
  readonly junk: number;
}

/** What the script did, as the server must count it. */
export interface StatsScriptResult {
  /** Datagrams and UDP bytes the peers sent to the server, and received from it. */
  readonly datagramsIn: number;
  readonly bytesIn: number;
  readonly datagramsOut: number;
  readonly bytesOut: number;
  /** Records in the datagrams the server sent, the HelloVerifyRequests excepted (the cookie exchange is not a connection's). */
  readonly recordsOut: number;
  /** Application data messages and bytes each way. */
  readonly applicationRecords: number;
  readonly applicationBytes: number;
}

const HANDSHAKE_FAILURE = 40;
const WAIT_MS = 5000;

interface Tally {
  datagramsIn: number;
  bytesIn: number;
  datagramsOut: number;
  bytesOut: number;
  recordsOut: number;
}

/** One UDP socket of a peer: counts what it sends and receives, hands received datagrams to `onDatagram`. */
class Peer {
  readonly received: Uint8Array[] = [];
  private ticker: NodeJS.Timeout | undefined;
  onDatagram: ((d: Uint8Array) => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly tally: Tally,
    private readonly port: number,
    private readonly host: string,
  ) {
    socket.on('message', (msg) => {
      const d = new Uint8Array(msg);
      tally.datagramsOut++;
      tally.bytesOut += d.length;
      // A HelloVerifyRequest (handshake type 3, epoch 0) comes from the stateless cookie check.
      for (const r of parseRecords(d)) if (r.handshakeType !== 3) tally.recordsOut++;
      this.received.push(d);
      this.onDatagram?.(d);
    });
  }

  static async open(tally: Tally, port: number, host: string): Promise<Peer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new Peer(socket, tally, port, host);
  }

  send(d: Uint8Array): void {
    this.tally.datagramsIn++;
    this.tally.bytesIn += d.length;
    this.socket.send(d, this.port, this.host);
  }

  /** Drives `engine`: what it has to send goes out, what arrives goes in; returns the datagrams it sent. */
  drive(engine: ScriptClient): Uint8Array[] {
    const sent: Uint8Array[] = [];
    const flush = (): void => {
      for (const d of engine.datagramsToSend()) {
        sent.push(d);
        this.send(d);
      }
    };
    this.onDatagram = (d) => {
      engine.receive(d, performance.now());
      flush();
    };
    engine.onWake = flush;
    // The engine's retransmission timer (checked every 20 ms: the script's peers need no better).
    this.ticker = setInterval(() => {
      const t = engine.nextTimeout();
      if (t !== undefined && t <= performance.now()) {
        engine.handleTimeout(performance.now());
        flush();
      }
    }, 20);
    engine.connect(performance.now());
    flush();
    return sent;
  }

  close(): Promise<void> {
    clearInterval(this.ticker);
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** Runs the script against the server at `port`; resolves with what the server must have counted. */
export async function runStatsScript(options: StatsScriptOptions): Promise<StatsScriptResult> {
  const host = options.host ?? '127.0.0.1';
  const tally: Tally = { datagramsIn: 0, bytesIn: 0, datagramsOut: 0, bytesOut: 0, recordsOut: 0 };
  const peers: Peer[] = [];
  const open = async (): Promise<Peer> => {
    const p = await Peer.open(tally, options.port, host);
    peers.push(p);
    return p;
  };
  let applicationRecords = 0;
  let applicationBytes = 0;
  try {
    // Good handshakes, each sending `messages` messages and waiting for their echo, then close_notify.
    for (let i = 0; i < options.handshakes; i++) {
      const peer = await open();
      const engine = options.client('right');
      const sent = peer.drive(engine);
      await until(() => engine.state === 'established', WAIT_MS, `handshake ${i}`);
      let echoed = 0;
      let appDatagram: Uint8Array | undefined;
      for (let j = 0; j < options.messages; j++) {
        const message = new TextEncoder().encode(`message ${i}.${j}`);
        const before = sent.length;
        engine.send(message);
        for (const d of engine.datagramsToSend()) {
          sent.push(d);
          peer.send(d);
        }
        appDatagram = sent[before];
        applicationRecords++;
        applicationBytes += message.length;
        await until(() => {
          for (let e = engine.pollEvent(); e !== undefined; e = engine.pollEvent()) if (e.type === 'data') echoed++;
          return echoed === j + 1;
        }, WAIT_MS, `echo ${i}.${j}`);
      }
      if (i === 0 && appDatagram !== undefined) {
        // The same record again (RFC 6347 4.1.2.6: replayed), then one with a later sequence number
        // and a broken tag (bad MAC): both from the connection's own address.
        peer.send(appDatagram);
        const forged = appDatagram.slice();
        forged[10] = (forged[10] ?? 0) ^ 0x40;
        forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 0xff;
        peer.send(forged);
      }
      engine.close();
      for (const d of engine.datagramsToSend()) peer.send(d);
    }
    // The wrong key: the server cannot verify our Finished (bad_record_mac from its side).
    {
      const peer = await open();
      const engine = options.client('wrong');
      peer.drive(engine);
      await until(() => engine.state === 'closed', WAIT_MS, 'the wrong-key client to be told');
    }
    // A client that gives up when the server's flight arrives: its fatal alert, in epoch 0.
    {
      const peer = await open();
      const engine = options.client('right');
      let replies = 0;
      const flush = (): void => {
        for (const d of engine.datagramsToSend()) peer.send(d);
      };
      peer.onDatagram = (d) => {
        replies++;
        if (replies === 1) {
          engine.receive(d, performance.now()); // the HelloVerifyRequest
          flush();
        } else if (engine.state === 'handshaking' && replies === 2) {
          engine.abort(HANDSHAKE_FAILURE, 'the client gives up');
          flush();
        }
      };
      engine.connect(performance.now());
      flush();
      await until(() => engine.state === 'closed', WAIT_MS, 'the giving-up client to send its alert');
    }
    // Junk: not DTLS records (each dropped as not a ClientHello), and a ClientHello that does not decode.
    {
      const peer = await open();
      for (let i = 0; i < options.junk; i++) peer.send(new TextEncoder().encode(`junk ${i} is not a DTLS record`));
      const body = new Uint8Array([0xfe, 0xfd, 1, 2, 3]);
      const hs = new Uint8Array([1, 0, 0, body.length, 0, 0, 0, 0, 0, 0, 0, body.length, ...body]);
      peer.send(new Uint8Array([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, hs.length, ...hs]));
    }
    // What the server still sends (close_notify answers) arrives before the peers close.
    await sleep(200);
  } finally {
    await Promise.all(peers.map((p) => p.close()));
  }
  return {
    datagramsIn: tally.datagramsIn,
    bytesIn: tally.bytesIn,
    datagramsOut: tally.datagramsOut,
    bytesOut: tally.bytesOut,
    recordsOut: tally.recordsOut,
    applicationRecords,
    applicationBytes,
  };
}
