/**
 * --trace: the handshake as a ladder diagram on stderr, built from the datagrams the runtime
 * publishes on node:diagnostics_channel (`dtls-kit:datagram`), decoded with the core's record and
 * handshake codecs, plus notes from the other channels (handshake done/failed, alerts, closes,
 * refused ClientHellos, records the receiver dropped):
 *
 * ```
 * trace       ms   client                                                server
 * trace            ┄┄ flight 1 ┄┄
 * trace      0.4   ClientHello ───────────────────────────────────────▶
 * trace            ┄┄ flight 2 ┄┄
 * trace      1.9   ◀──────────────────────────────── HelloVerifyRequest
 * ```
 *
 * `Ladder` is the formatter (pure: datagrams and times in, lines out); `startTrace` wires it to
 * the channels.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { peerName } from './peer.js';
import { alertName, toHex } from '@dtls-kit/core';
import {
  ContentType,
  decodeHandshakeFragments,
  DTLS12_RECORD_FORMAT,
  HandshakeType,
  splitRecords,
  tls12CidRecordFormat,
  type HandshakeFragment,
  type RecordFormat,
} from '@dtls-kit/core/internal';
import {
  CHANNELS,
  type AlertMessage,
  type CloseMessage,
  type DatagramMessage,
  type DtlsSocket,
  type HandshakeMessage,
  type RefuseMessage,
  type RemoteAddressChangeMessage,
} from '@dtls-kit/nonblocking';

type Write = (line: string) => void;
type Side = 'client' | 'server';

/** One datagram as the formatter needs it (a DatagramMessage, with the suite when known). */
export interface LadderDatagram {
  direction: 'in' | 'out';
  /** Our role: which side of the ladder this process is. */
  role: Side;
  remoteAddress: string;
  remotePort: number;
  datagram: Uint8Array;
  /** OpenSSL name of the negotiated suite, to show application data's plaintext size. */
  cipher?: string | undefined;
  /**
   * The connection's CIDs (RFC 9146), when negotiated: a tls12_cid record's header does not say
   * how long its CID is (RFC 9146 4), so it is read with the one its receiver chose — `send` in
   * what we send, `receive` in what we receive.
   */
  connectionId?: { readonly receive: Uint8Array; readonly send: Uint8Array } | undefined;
}

/** Width of the arrow column. */
const WIDTH = 52;

const HANDSHAKE_NAMES: Record<number, string> = {
  [HandshakeType.hello_request]: 'HelloRequest',
  [HandshakeType.client_hello]: 'ClientHello',
  [HandshakeType.server_hello]: 'ServerHello',
  [HandshakeType.hello_verify_request]: 'HelloVerifyRequest',
  [HandshakeType.new_session_ticket]: 'NewSessionTicket',
  [HandshakeType.certificate]: 'Certificate',
  [HandshakeType.server_key_exchange]: 'ServerKeyExchange',
  [HandshakeType.certificate_request]: 'CertificateRequest',
  [HandshakeType.server_hello_done]: 'ServerHelloDone',
  [HandshakeType.certificate_verify]: 'CertificateVerify',
  [HandshakeType.client_key_exchange]: 'ClientKeyExchange',
  [HandshakeType.finished]: 'Finished',
};

/** Bytes an AEAD record adds to its plaintext (explicit nonce + tag), by OpenSSL suite name. */
function aeadOverhead(cipher: string | undefined): number | undefined {
  if (cipher === undefined) return undefined;
  if (cipher.includes('CHACHA20')) return 16;
  if (cipher.endsWith('CCM8')) return 16;
  if (cipher.includes('GCM') || cipher.endsWith('CCM')) return 24;
  return undefined;
}

/** A CID as the trace writes it: hex, or `-` for an empty one (no CID that way, RFC 9146 3). */
export function cidText(cid: Uint8Array): string {
  return cid.length === 0 ? '-' : toHex(cid);
}

/** The record formats a datagram may hold: tls12_cid with the CID its receiver chose, then DTLS 1.2's. */
function formatsFor(d: LadderDatagram): RecordFormat[] {
  const cid = d.direction === 'out' ? d.connectionId?.send : d.connectionId?.receive;
  return cid === undefined || cid.length === 0 ? [DTLS12_RECORD_FORMAT] : [tls12CidRecordFormat(cid), DTLS12_RECORD_FORMAT];
}

/** True when a ClientHello fragment (from offset 0) carries a non-empty cookie. */
function hasCookie(f: HandshakeFragment): boolean {
  if (f.fragmentOffset !== 0) return false;
  const b = f.body;
  const sessionIdAt = 2 + 32;
  if (b.length <= sessionIdAt) return false;
  const cookieAt = sessionIdAt + 1 + (b[sessionIdAt] as number);
  return b.length > cookieAt && (b[cookieAt] as number) > 0;
}

interface SideState {
  /** `${message_seq}/${fragment_offset}/${fragment_length}` of epoch-0 fragments seen. */
  seen: Set<string>;
  changeCipherSpecs: number;
  encryptedHandshakes: number;
}

interface PeerState {
  sides: Record<Side, SideState>;
  flight: number;
  /** The number of each side's latest flight. */
  flightOf: Partial<Record<Side, number>>;
  /** Sender of the current flight, and whether it is a retransmission already. */
  lastSender: Side | undefined;
  lastRetransmit: boolean;
}

function newSide(): SideState {
  return { seen: new Set(), changeCipherSpecs: 0, encryptedHandshakes: 0 };
}

interface Entry {
  text: string;
  retransmit: boolean;
  /** Part of a handshake flight (handshake or ChangeCipherSpec record). */
  flight: boolean;
}

/** The ladder formatter: feed it datagrams (and notes) with their time, it writes lines. */
export class Ladder {
  private readonly peers = new Map<string, PeerState>();
  private headerDone = false;

  constructor(private readonly write: Write) {}

  /** One datagram sent or received at `ms` (since the start). */
  datagram(d: LadderDatagram, ms: number): void {
    const sender: Side = d.direction === 'out' ? d.role : d.role === 'client' ? 'server' : 'client';
    const key = peerName(d.remoteAddress, d.remotePort);
    let peer = this.peers.get(key);
    if (peer === undefined) {
      peer = { sides: { client: newSide(), server: newSide() }, flight: 0, flightOf: {}, lastSender: undefined, lastRetransmit: false };
      this.peers.set(key, peer);
    }
    const entries = this.decode(d, peer.sides[sender]);
    if (entries.length === 0) entries.push({ text: `undecodable datagram (${d.datagram.length} bytes)`, retransmit: false, flight: false });

    const handshake = entries.some((e) => e.flight);
    const retransmit = entries.some((e) => e.retransmit);
    this.header();
    if (handshake && (peer.lastSender !== sender || (retransmit && !peer.lastRetransmit))) {
      // A retransmitted flight keeps its number.
      const again = retransmit ? peer.flightOf[sender] : undefined;
      const n = again ?? ++peer.flight;
      peer.flightOf[sender] = n;
      this.line(`${''.padStart(8)}   ┄┄ flight ${n}${again !== undefined ? ' (retransmitted)' : ''} ┄┄`);
    }
    if (handshake || peer.lastSender !== sender) {
      peer.lastSender = sender;
      peer.lastRetransmit = retransmit;
    }
    for (const e of entries) {
      const text = e.retransmit ? `${e.text} (retransmit)` : e.text;
      this.line(`${ms.toFixed(1).padStart(8)}   ${arrow(sender, text)}${d.role === 'server' ? `  ${key}` : ''}`);
    }
  }

  /** A line that is not a datagram (handshake done, alert, close, drop), in `side`'s column. */
  note(side: Side | undefined, text: string, ms: number, peer?: string): void {
    this.header();
    const body = side === 'server' ? `${text.padStart(WIDTH + 2)}` : `  ${text}`;
    this.line(`${ms.toFixed(1).padStart(8)}   ${side === undefined ? `· ${text}` : body}${peer ? `  ${peer}` : ''}`);
  }

  private header(): void {
    if (this.headerDone) return;
    this.headerDone = true;
    this.line(`${'ms'.padStart(8)}   ${'client'.padEnd(WIDTH - 4)}server`);
  }

  private line(text: string): void {
    this.write(`trace ${text.trimEnd()}\n`);
  }

  /** One entry per handshake message (fragment) or record. */
  private decode(d: LadderDatagram, side: SideState): Entry[] {
    const out: Entry[] = [];
    const formats = formatsFor(d);
    // A tls12_cid record whose CID length we do not know (no connection, or none negotiated):
    // its length field cannot be found, so it is named, not split.
    if (d.datagram[0] === ContentType.tls12_cid && formats.length === 1) {
      return [{ text: `tls12_cid record, CID unknown here (${d.datagram.length} bytes)`, retransmit: false, flight: false }];
    }
    for (const { header, fragment } of splitRecords(d.datagram, formats)) {
      switch (header.type) {
        case ContentType.handshake:
          if (header.epoch === 0) {
            let fragments: HandshakeFragment[];
            try {
              fragments = decodeHandshakeFragments(fragment);
            } catch {
              out.push({ text: `Handshake (undecodable, ${fragment.length} bytes)`, retransmit: false, flight: true });
              break;
            }
            for (const f of fragments) {
              let name = HANDSHAKE_NAMES[f.msgType] ?? `Handshake type ${f.msgType}`;
              if (f.msgType === HandshakeType.client_hello && hasCookie(f)) name += ' (with cookie)';
              if (f.fragmentOffset !== 0 || f.body.length !== f.length) name += ` [${f.fragmentOffset}..${f.fragmentOffset + f.body.length}/${f.length}]`;
              const id = `${f.messageSeq}/${f.fragmentOffset}/${f.body.length}`;
              const again = side.seen.has(id);
              side.seen.add(id);
              out.push({ text: name, retransmit: again, flight: true });
            }
          } else {
            // Encrypted: the first epoch-1 handshake record after each ChangeCipherSpec is Finished.
            const finished = side.encryptedHandshakes < side.changeCipherSpecs;
            const again = side.encryptedHandshakes > 0 && finished;
            side.encryptedHandshakes++;
            out.push({ text: finished ? 'Finished (encrypted)' : `Handshake (encrypted, ${fragment.length} bytes)`, retransmit: again, flight: true });
          }
          break;
        case ContentType.change_cipher_spec:
          out.push({ text: 'ChangeCipherSpec', retransmit: side.changeCipherSpecs > 0, flight: true });
          side.changeCipherSpecs++;
          break;
        case ContentType.alert:
          if (header.epoch === 0 && fragment.length === 2) {
            out.push({ text: `Alert ${fragment[0] === 2 ? 'fatal' : 'warning'} ${alertName(fragment[1] as number)}`, retransmit: false, flight: false });
          } else {
            out.push({ text: 'Alert (encrypted)', retransmit: false, flight: false });
          }
          break;
        case ContentType.application_data: {
          const overhead = header.epoch > 0 ? aeadOverhead(d.cipher) : undefined;
          const size = overhead === undefined ? `${fragment.length} bytes encrypted` : `${Math.max(0, fragment.length - overhead)} bytes`;
          out.push({ text: `ApplicationData (${size})`, retransmit: false, flight: false });
          break;
        }
        case ContentType.tls12_cid: {
          // RFC 9146 4: the real content type is inside the encryption. The first such record
          // after a ChangeCipherSpec is the Finished (as for an epoch-1 handshake record above);
          // later ones are application data or an alert.
          const cid = `cid ${cidText(header.connectionId ?? new Uint8Array(0))}`;
          const finished = side.encryptedHandshakes < side.changeCipherSpecs;
          if (finished) {
            const again = side.encryptedHandshakes > 0;
            side.encryptedHandshakes++;
            out.push({ text: `Finished (tls12_cid, ${cid}, encrypted)`, retransmit: again, flight: true });
            break;
          }
          // The inner plaintext adds the real type byte (and no padding from us) to the AEAD's overhead.
          const overhead = aeadOverhead(d.cipher);
          const size = overhead === undefined ? `${fragment.length} bytes encrypted` : `${Math.max(0, fragment.length - overhead - 1)} bytes`;
          out.push({ text: `tls12_cid (${cid}, ${size})`, retransmit: false, flight: false });
          break;
        }
        default:
          out.push({ text: `record type ${header.type} (${fragment.length} bytes)`, retransmit: false, flight: false });
      }
    }
    return out;
  }
}

/** `text ───▶` from the client, `◀─── text` from the server, filling the column. */
function arrow(sender: Side, text: string): string {
  const fill = '─'.repeat(Math.max(2, WIDTH - text.length - 2));
  return sender === 'client' ? `${text} ${fill}▶` : `◀${fill} ${text}`;
}

/**
 * Subscribes to the channels and writes the ladder with `write`; returns the function that
 * unsubscribes. Times are ms since `started`.
 */
export function startTrace(write: Write, started = performance.now()): () => void {
  const ladder = new Ladder(write);
  const ms = (): number => performance.now() - started;
  const other = (role: Side): Side => (role === 'client' ? 'server' : 'client');
  /** Engine counters of records dropped, per connection, to mark drops as they happen. */
  const dropped = new WeakMap<DtlsSocket, number>();
  const droppedOf = (s: DtlsSocket): number => {
    const st = s.stats;
    return st.dropped + st.replayed + st.badMac;
  };
  const handlers: Array<[string, (message: unknown) => void]> = [
    [CHANNELS.datagram, (m) => {
      const d = m as DatagramMessage;
      ladder.datagram({ ...d, cipher: d.socket?.getCipher()?.name, connectionId: d.socket?.connectionId }, ms());
      const socket = d.socket;
      if (d.direction === 'in' && socket !== undefined) {
        const before = dropped.get(socket) ?? droppedOf(socket);
        // The runtime hands the datagram to the connection right after publishing it.
        queueMicrotask(() => {
          const after = droppedOf(socket);
          dropped.set(socket, after);
          if (after > before) {
            ladder.note(d.role, `✗ ${after - before} record${after - before === 1 ? '' : 's'} dropped by the ${d.role} (stale, replayed or failing authentication)`, ms(), d.role === 'server' ? peerName(d.remoteAddress, d.remotePort) : undefined);
          }
        });
      }
    }],
    [CHANNELS.handshake, (m) => {
      const h = m as HandshakeMessage;
      const took = `${h.durationMs.toFixed(1)} ms`;
      const peer = h.role === 'server' ? peerName(h.remoteAddress, h.remotePort) : undefined;
      // Neither an error nor a cipher: the handshake was dropped (a refused client, an abort).
      const outcome = h.error ? `handshake FAILED after ${took}: ${h.error.message}` : h.cipher !== undefined ? `handshake done in ${took}: ${h.cipher}` : `handshake abandoned after ${took}`;
      ladder.note(undefined, `${h.role}: ${outcome}`, ms(), peer);
      const cid = h.error ? undefined : h.socket.connectionId;
      if (cid !== undefined) {
        // RFC 9146 3: `receive` is the CID the peer puts in its records to us, `send` the one in ours.
        ladder.note(undefined, `${h.role}: connection IDs receive=${cidText(cid.receive)} send=${cidText(cid.send)}`, ms(), peer);
      }
    }],
    [CHANNELS.remoteAddressChange, (m) => {
      const c = m as RemoteAddressChangeMessage;
      const moved = `${peerName(c.previous.address, c.previous.port)} → ${peerName(c.remoteAddress, c.remotePort)}`;
      ladder.note(undefined, `${c.role}: the ${other(c.role)}'s address moved ${moved} (an authenticated, newer CID record came from there)`, ms());
    }],
    [CHANNELS.alert, (m) => {
      const a = m as AlertMessage;
      const from = a.direction === 'sent' ? a.role : other(a.role);
      const peer = a.role === 'server' ? peerName(a.remoteAddress, a.remotePort) : undefined;
      ladder.note(undefined, `${from} sends alert ${a.level} ${a.name} (${a.description})`, ms(), peer);
    }],
    [CHANNELS.close, (m) => {
      const c = m as CloseMessage;
      const peer = c.role === 'server' ? peerName(c.remoteAddress, c.remotePort) : undefined;
      ladder.note(undefined, `${c.role}: closed${c.established ? '' : ' before the handshake finished'}${c.error ? `: ${c.error.message}` : ''}`, ms(), peer);
    }],
    [CHANNELS.refuse, (m) => {
      const r = m as RefuseMessage;
      ladder.note('server', `✗ ClientHello dropped: ${r.reason} reached`, ms(), peerName(r.remoteAddress, r.remotePort));
    }],
  ];
  for (const [name, handler] of handlers) diagnosticsChannel.subscribe(name, handler);
  return () => {
    for (const [name, handler] of handlers) diagnosticsChannel.unsubscribe(name, handler);
  };
}
