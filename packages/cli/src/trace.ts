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
 * the channels. DTLS 1.3 (RFC 9147) encrypts its handshake from the ServerHello on: the ladder
 * opens those records with the session's key log lines, fed to Ladder.keyLogLine (trace-13.ts),
 * and names what they carry — EncryptedExtensions, Certificate, Finished, ACKs with the record
 * numbers they acknowledge, KeyUpdate, application data, close_notify:
 *
 * ```
 * trace      3.1   ◀──────────── EncryptedExtensions (record 2:0)
 * trace      3.1   ◀─────────────────────── Finished (record 2:1)
 * trace      4.0   Finished (record 2:0) ───────────────────────▶
 * trace      4.6   ◀──────────────────── ACK of 2:0 (record 3:0)
 * ```
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { peerName } from './peer.js';
import { ACK_CONTENT_TYPE, ackText, clientRandomOf, dtls13SuiteOf, frameRecords, hasCookieExtension, hasProtectedRecord, helloConnectionIdOf, isHelloRetryRequest, recordNumberText, TraceSession13 } from './trace-13.js';
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
  // DTLS 1.3 (RFC 8446 4, RFC 9147 9)
  [HandshakeType.end_of_early_data]: 'EndOfEarlyData',
  [HandshakeType.encrypted_extensions]: 'EncryptedExtensions',
  [HandshakeType.request_connection_id]: 'RequestConnectionId',
  [HandshakeType.new_connection_id]: 'NewConnectionId',
  [HandshakeType.key_update]: 'KeyUpdate',
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
  /** The DTLS 1.3 session with this peer, if it is one (trace-13.ts). */
  s13: TraceSession13;
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

export interface LadderOptions {
  /**
   * Key log lines will come (keyLogLine) for the DTLS 1.3 sessions drawn: a datagram with records
   * encrypted under keys not known yet waits for them (as a connection writes its key log once
   * its handshake is done), and the lines after it wait with it, so the order stays; release()
   * draws what waits without them. Without it, such records are drawn as encrypted at once.
   */
  waitForKeyLog?: boolean;
}

/** What waits for a key log, in order. */
type Queued = { kind: 'datagram'; d: LadderDatagram; ms: number } | { kind: 'note'; side: Side | undefined; text: string; ms: number; peer: string | undefined };

/** More than this waiting is drawn without keys (a key log that never comes must not hold the trace). */
const MAX_QUEUED = 1000;

/** The ladder formatter: feed it datagrams (and notes) with their time, it writes lines. */
export class Ladder {
  private readonly peers = new Map<string, PeerState>();
  private headerDone = false;
  private readonly queue: Queued[] = [];
  /** Key log secrets: client random (hex) -> label -> secret. */
  private readonly secrets = new Map<string, Map<string, Uint8Array>>();

  constructor(
    private readonly write: Write,
    private readonly options: LadderOptions = {},
  ) {}

  /**
   * One SSLKEYLOGFILE line (NSS format) of a session drawn here: DTLS 1.3's secrets let the
   * ladder open and name its encrypted records (DTLS 1.2's CLIENT_RANDOM line is not needed).
   */
  keyLogLine(line: string): void {
    const [label = '', random = '', secret = ''] = line.trim().split(/\s+/);
    if (label.startsWith('#') || !/^[0-9a-f]{64}$/i.test(random) || !/^(?:[0-9a-f]{2})+$/i.test(secret)) return;
    let known = this.secrets.get(random.toLowerCase());
    if (known === undefined) {
      known = new Map();
      this.secrets.set(random.toLowerCase(), known);
    }
    known.set(label, Uint8Array.from(Buffer.from(secret, 'hex')));
    this.flush(false);
  }

  /** Draws whatever waits for a key log, without it (a failed or abandoned handshake). */
  release(): void {
    this.flush(true);
  }

  /** One datagram sent or received at `ms` (since the start). */
  datagram(d: LadderDatagram, ms: number): void {
    this.learn(d);
    // A copy: the runtime's receive buffer is reused (and may be decrypted in place) before a
    // datagram waiting for its key log is drawn.
    this.queue.push({ kind: 'datagram', d: { ...d, datagram: Uint8Array.from(d.datagram) }, ms });
    this.flush(false);
  }

  private flush(force: boolean): void {
    while (this.queue.length > 0) {
      const next = this.queue[0] as Queued;
      if (!force && this.queue.length <= MAX_QUEUED && next.kind === 'datagram' && this.waitsForKeys(next.d)) return;
      this.queue.shift();
      if (next.kind === 'datagram') this.draw(next.d, next.ms);
      else this.drawNote(next.side, next.text, next.ms, next.peer);
    }
  }

  private peerOf(d: LadderDatagram): PeerState {
    const key = peerName(d.remoteAddress, d.remotePort);
    let peer = this.peers.get(key);
    if (peer === undefined) {
      peer = { sides: { client: newSide(), server: newSide() }, flight: 0, flightOf: {}, lastSender: undefined, lastRetransmit: false, s13: new TraceSession13() };
      this.peers.set(key, peer);
    }
    return peer;
  }

  /** The CID length of the unified headers in a datagram (the receiver's CID, RFC 9147 9). */
  private cidLength(d: LadderDatagram): number {
    const sender: Side = d.direction === 'out' ? d.role : d.role === 'client' ? 'server' : 'client';
    return this.connectionIds(d)?.[sender].length ?? 0;
  }

  /** The client random and the DTLS 1.3 suite from the plaintext hellos, as they go by. */
  private learn(d: LadderDatagram): void {
    const s13 = this.peerOf(d).s13;
    for (const record of frameRecords(d.datagram, this.cidLength(d))) {
      if (record.kind === 'protected') s13.dtls13 = true;
      if (record.kind !== 'plaintext' || record.bytes[0] !== ContentType.handshake) continue;
      let fragments: HandshakeFragment[] = [];
      try {
        fragments = decodeHandshakeFragments(record.bytes.subarray(13));
      } catch {
        continue;
      }
      for (const f of fragments) {
        const random = clientRandomOf(f);
        if (random !== undefined && random !== s13.clientRandom) {
          // A new ClientHello (not a HelloRetryRequest's second one, same random): a new session.
          const fresh = new TraceSession13();
          fresh.clientRandom = random;
          this.peerOf(d).s13 = fresh;
          return this.learn(d);
        }
        // RFC 9147 9: the CIDs travel in the hellos, before the connection knows them.
        const cid = helloConnectionIdOf(f);
        if (cid !== undefined && f.msgType === HandshakeType.client_hello) s13.clientHelloCid = cid;
        else if (cid !== undefined) s13.serverHelloCid = cid;
        const suite = dtls13SuiteOf(f);
        if (suite !== undefined) {
          s13.suiteId = suite;
          s13.dtls13 = true;
        }
      }
    }
  }

  /** A DTLS 1.3 datagram with encrypted records whose session's key log has not come yet. */
  private waitsForKeys(d: LadderDatagram): boolean {
    if (this.options.waitForKeyLog !== true) return false;
    const s13 = this.peerOf(d).s13;
    if (s13.clientRandom === undefined || !hasProtectedRecord(d.datagram, this.cidLength(d))) return false;
    return !s13.readable(this.secrets, this.connectionIds(d));
  }

  /**
   * Each sender's CID in its records (the receiver's), for the key log reader; undefined without
   * CIDs. The connection's once it has them, before that the hellos' (DTLS 1.3).
   */
  private connectionIds(d: LadderDatagram): { client: Uint8Array; server: Uint8Array } | undefined {
    const cid = d.connectionId;
    if (cid === undefined) return this.peerOf(d).s13.helloConnectionIds();
    return d.role === 'client' ? { client: cid.send, server: cid.receive } : { client: cid.receive, server: cid.send };
  }

  private draw(d: LadderDatagram, ms: number): void {
    const sender: Side = d.direction === 'out' ? d.role : d.role === 'client' ? 'server' : 'client';
    const key = peerName(d.remoteAddress, d.remotePort);
    const peer = this.peerOf(d);
    const entries = this.decode(d, peer, sender);
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
    this.queue.push({ kind: 'note', side, text, ms, peer });
    this.flush(false);
  }

  private drawNote(side: Side | undefined, text: string, ms: number, peer: string | undefined): void {
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
  private decode(d: LadderDatagram, peer: PeerState, sender: Side): Entry[] {
    if (peer.s13.dtls13) return this.decode13(d, peer, sender);
    const out: Entry[] = [];
    const formats = formatsFor(d);
    // A tls12_cid record whose CID length we do not know (no connection, or none negotiated):
    // its length field cannot be found, so it is named, not split.
    if (d.datagram[0] === ContentType.tls12_cid && formats.length === 1) {
      return [{ text: `tls12_cid record, CID unknown here (${d.datagram.length} bytes)`, retransmit: false, flight: false }];
    }
    this.decodePlain(d.datagram, formats, peer.sides[sender], d, out);
    return out;
  }

  /**
   * A DTLS 1.3 datagram (RFC 9147 4): its DTLSPlaintext records as in DTLS 1.2, its unified-header
   * records opened with the session's key log and named by their real content (handshake
   * messages, ACKs with the record numbers they acknowledge, application data, alerts), each
   * with its record number `epoch:sequence` so that an ACK can be matched with what it names.
   */
  private decode13(d: LadderDatagram, peer: PeerState, sender: Side): Entry[] {
    const out: Entry[] = [];
    const side = peer.sides[sender];
    const readable = peer.s13.readable(this.secrets, this.connectionIds(d));
    for (const record of frameRecords(d.datagram, this.cidLength(d))) {
      if (record.kind === 'plaintext') {
        this.decodePlain(record.bytes, [DTLS12_RECORD_FORMAT], side, d, out);
        continue;
      }
      if (record.kind === 'invalid') {
        out.push({ text: `undecodable bytes (${record.bytes.length})`, retransmit: false, flight: false });
        continue;
      }
      const opened = readable ? peer.s13.open(sender, record.bytes) : undefined;
      if (opened === undefined) {
        out.push({ text: `encrypted record, epoch ≡ ${record.epochBits} mod 4 (${record.bytes.length} bytes${readable ? ', not opened' : ''})`, retransmit: false, flight: false });
        continue;
      }
      const number = `record ${recordNumberText(opened.epoch, opened.sequenceNumber)}`;
      switch (opened.type) {
        case ContentType.handshake: {
          let fragments: HandshakeFragment[];
          try {
            fragments = decodeHandshakeFragments(opened.content);
          } catch {
            out.push({ text: `Handshake (undecodable, ${opened.content.length} bytes, ${number})`, retransmit: false, flight: true });
            break;
          }
          for (const f of fragments) {
            let name = HANDSHAKE_NAMES[f.msgType] ?? `Handshake type ${f.msgType}`;
            if (f.fragmentOffset !== 0 || f.body.length !== f.length) name += ` [${f.fragmentOffset}..${f.fragmentOffset + f.body.length}/${f.length}]`;
            // RFC 9147 5.8: a retransmission is a new record carrying the same message_seq.
            const id = `e${opened.epoch >= 3 ? 3 : opened.epoch}/${f.messageSeq}/${f.fragmentOffset}/${f.body.length}`;
            const again = side.seen.has(id);
            side.seen.add(id);
            out.push({ text: `${name} (${number})`, retransmit: again, flight: true });
          }
          break;
        }
        case ACK_CONTENT_TYPE:
          out.push({ text: `${ackText(opened.content)} (${number})`, retransmit: false, flight: false });
          break;
        case ContentType.application_data:
          out.push({ text: `ApplicationData (${opened.content.length} bytes, ${number})`, retransmit: false, flight: false });
          break;
        case ContentType.alert: {
          const c = opened.content;
          const text = c.length === 2 ? `Alert ${c[0] === 2 ? 'fatal' : 'warning'} ${alertName(c[1] as number)}` : `Alert (${c.length} bytes)`;
          out.push({ text: `${text} (${number})`, retransmit: false, flight: false });
          break;
        }
        default:
          out.push({ text: `record type ${opened.type} (${opened.content.length} bytes, ${number})`, retransmit: false, flight: false });
      }
    }
    return out;
  }

  /** The DTLSPlaintext (and DTLS 1.2) records of `bytes`, one entry per message or record. */
  private decodePlain(bytes: Uint8Array, formats: RecordFormat[], side: SideState, d: LadderDatagram, out: Entry[]): void {
    for (const { header, fragment } of splitRecords(bytes, formats)) {
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
              // RFC 8446 4.1.4: a ServerHello with the special random is a HelloRetryRequest.
              let name = isHelloRetryRequest(f) ? 'HelloRetryRequest' : (HANDSHAKE_NAMES[f.msgType] ?? `Handshake type ${f.msgType}`);
              if (f.msgType === HandshakeType.client_hello && (hasCookie(f) || hasCookieExtension(f))) name += ' (with cookie)';
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
export function startTrace(write: Write, started = performance.now(), ladder: Ladder = new Ladder(write)): () => void {
  // A DTLS 1.3 session's lines wait for its key log (fed to ladder.keyLogLine by the caller) until
  // its handshake ends: done (the key log comes right after), failed or closed (it never will).
  const release = (): void => queueMicrotask(() => ladder.release());
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
      release();
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
      release();
    }],
    [CHANNELS.refuse, (m) => {
      const r = m as RefuseMessage;
      ladder.note('server', `✗ ClientHello dropped: ${r.reason} reached`, ms(), peerName(r.remoteAddress, r.remotePort));
    }],
  ];
  for (const [name, handler] of handlers) diagnosticsChannel.subscribe(name, handler);
  return () => {
    for (const [name, handler] of handlers) diagnosticsChannel.unsubscribe(name, handler);
    ladder.release();
  };
}
