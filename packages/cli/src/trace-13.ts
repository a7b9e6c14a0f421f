/**
 * What --trace needs to draw a DTLS 1.3 ladder (RFC 9147): its handshake travels encrypted from
 * the ServerHello on, and ACKs, KeyUpdates, application data and alerts all look alike on the wire
 * (a unified header, the real content type inside the encryption). The trace reads them as
 * Wireshark does: with the session's key log (the TLS 1.3 secrets our own connection writes,
 * keyed by the ClientHello's random) and core's Dtls13KeyLogReader.
 */
import { toHex } from '@dtls-kit/core';
import {
  ACK_CONTENT_TYPE,
  decodeAck,
  decodeClientHello,
  decodeServerHello,
  Dtls13KeyLogReader,
  ExtensionType,
  frameUnifiedRecord,
  HandshakeType,
  tls13CipherSuiteById,
  TLS13_KEY_LOG_LABELS,
  type Dtls13ReadRecord,
  type Dtls13Sender,
  type HandshakeFragment,
} from '@dtls-kit/core/internal';

/** RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest. */
const HELLO_RETRY_REQUEST_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';
/** The key log lines that key a session's records (RFC 9147 6.1: epochs 2 and 3, both ways). */
const TRAFFIC_LABELS = [
  TLS13_KEY_LOG_LABELS.clientHandshakeTraffic,
  TLS13_KEY_LOG_LABELS.serverHandshakeTraffic,
  TLS13_KEY_LOG_LABELS.clientApplicationTraffic0,
  TLS13_KEY_LOG_LABELS.serverApplicationTraffic0,
];
/** RFC 9147 5.3: DTLS 1.3's supported_versions codepoint {254, 252}. */
const DTLS13_VERSION = 0xfefc;
/** The plaintext content types a DTLS 1.2 or 1.3 datagram may carry with a 13-byte header (RFC 9147 4.1). */
const PLAINTEXT_TYPES = new Set([20, 21, 22, 23, 24, 25, 26]);

/** A whole handshake message's body, or undefined for a fragment of one. */
function whole(f: HandshakeFragment): Uint8Array | undefined {
  return f.fragmentOffset === 0 && f.body.length === f.length ? f.body : undefined;
}

/** A ServerHello carrying HELLO_RETRY_REQUEST_RANDOM (RFC 8446 4.1.4). */
export function isHelloRetryRequest(f: HandshakeFragment): boolean {
  return f.msgType === HandshakeType.server_hello && f.fragmentOffset === 0 && f.body.length >= 34 && toHex(f.body.subarray(2, 34)) === HELLO_RETRY_REQUEST_RANDOM;
}

/** A ClientHello with the cookie extension (RFC 8446 4.2.2): the one answering a HelloRetryRequest. */
export function hasCookieExtension(f: HandshakeFragment): boolean {
  const body = f.msgType === HandshakeType.client_hello ? whole(f) : undefined;
  if (body === undefined) return false;
  try {
    return decodeClientHello(body).extensions.some((e) => e.type === ExtensionType.cookie);
  } catch {
    return false;
  }
}

/** The client random of a ClientHello's first fragment (RFC 8446 4.1.2), hex. */
export function clientRandomOf(f: HandshakeFragment): string | undefined {
  return f.msgType === HandshakeType.client_hello && f.fragmentOffset === 0 && f.body.length >= 34 ? toHex(f.body.subarray(2, 34)) : undefined;
}

/** The suite of a ServerHello (not a HelloRetryRequest) that chose DTLS 1.3, else undefined. */
export function dtls13SuiteOf(f: HandshakeFragment): number | undefined {
  const body = f.msgType === HandshakeType.server_hello && !isHelloRetryRequest(f) ? whole(f) : undefined;
  if (body === undefined) return undefined;
  try {
    const hello = decodeServerHello(body);
    const versions = hello.extensions.find((e) => e.type === ExtensionType.supported_versions);
    const chosen = versions !== undefined && versions.data.length === 2 ? ((versions.data[0] ?? 0) << 8) | (versions.data[1] ?? 0) : undefined;
    return chosen === DTLS13_VERSION ? hello.cipherSuite : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The CID of a ClientHello's or ServerHello's connection_id extension (RFC 9147 9, RFC 9146 3:
 * opaque cid<0..2^8-1>): the CID its sender wants in the records it receives. Undefined without one.
 */
export function helloConnectionIdOf(f: HandshakeFragment): Uint8Array | undefined {
  const body = whole(f);
  if (body === undefined) return undefined;
  try {
    const extensions =
      f.msgType === HandshakeType.client_hello ? decodeClientHello(body).extensions : f.msgType === HandshakeType.server_hello && !isHelloRetryRequest(f) ? decodeServerHello(body).extensions : undefined;
    const data = extensions?.find((e) => e.type === ExtensionType.connection_id)?.data;
    if (data === undefined || data.length < 1 || data[0] !== data.length - 1) return undefined;
    return data.subarray(1);
  } catch {
    return undefined;
  }
}

/** One record of a datagram, as framed without keys. */
export type FramedRecord =
  | { kind: 'plaintext'; bytes: Uint8Array }
  /** A unified header record (RFC 9147 4): epochBits are the two low bits of its epoch. */
  | { kind: 'protected'; bytes: Uint8Array; epochBits: number }
  | { kind: 'invalid'; bytes: Uint8Array };

/**
 * The records of a datagram, DTLSPlaintext (13-byte header) or DTLSCiphertext (unified header,
 * with a CID of `cidLength` bytes when its C bit is set); what cannot be framed ends it.
 */
export function frameRecords(datagram: Uint8Array, cidLength: number): FramedRecord[] {
  const out: FramedRecord[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    const first = datagram[offset] ?? 0;
    if ((first & 0xe0) === 0x20) {
      const framed = frameUnifiedRecord(datagram, offset, cidLength);
      if (framed === undefined) break;
      out.push({ kind: 'protected', bytes: datagram.subarray(offset, framed.end), epochBits: framed.header.epochBits });
      offset = framed.end;
    } else if (PLAINTEXT_TYPES.has(first) && offset + 13 <= datagram.length) {
      const end = offset + 13 + (((datagram[offset + 11] ?? 0) << 8) | (datagram[offset + 12] ?? 0));
      if (end > datagram.length) break;
      out.push({ kind: 'plaintext', bytes: datagram.subarray(offset, end) });
      offset = end;
    } else break;
  }
  if (offset < datagram.length) out.push({ kind: 'invalid', bytes: datagram.subarray(offset) });
  return out;
}

/** Whether a datagram holds a DTLS 1.3 unified-header record. */
export function hasProtectedRecord(datagram: Uint8Array, cidLength: number): boolean {
  return frameRecords(datagram, cidLength).some((r) => r.kind === 'protected');
}

/** `epoch:sequence`, how the ladder names a DTLS 1.3 record number (RFC 9147 4). */
export function recordNumberText(epoch: number, sequenceNumber: number): string {
  return `${epoch}:${sequenceNumber}`;
}

/** An ACK's text: the record numbers it acknowledges (RFC 9147 7). */
export function ackText(content: Uint8Array): string {
  try {
    const numbers = decodeAck(content);
    return numbers.length === 0 ? 'ACK (empty)' : `ACK of ${numbers.map((n) => recordNumberText(n.epoch, n.sequenceNumber)).join(' ')}`;
  } catch {
    return `ACK (undecodable, ${content.length} bytes)`;
  }
}

export { ACK_CONTENT_TYPE };

/**
 * One DTLS 1.3 session as the trace follows it: its client random (from the ClientHello), its
 * suite (from the ServerHello), and a key log reader once the key log named the session.
 */
export class TraceSession13 {
  clientRandom: string | undefined;
  suiteId: number | undefined;
  /** The CIDs of the hellos' connection_id extensions: each the one its sender receives (RFC 9147 9). */
  clientHelloCid: Uint8Array | undefined;
  serverHelloCid: Uint8Array | undefined;
  private reader: Dtls13KeyLogReader | undefined;
  /** The CIDs the reader frames records with (hex), to make it again when they become known. */
  private readerCids = '';

  /** True once the ServerHello chose DTLS 1.3 or a unified-header record went by. */
  dtls13 = false;

  /**
   * Each sender's CID in its records as the hellos negotiated them (the receiver's, RFC 9147 9):
   * known before the connection is, while the server's first encrypted records go by. Undefined
   * unless both hellos carried the extension.
   */
  helloConnectionIds(): { client: Uint8Array; server: Uint8Array } | undefined {
    if (this.clientHelloCid === undefined || this.serverHelloCid === undefined) return undefined;
    return { client: this.serverHelloCid, server: this.clientHelloCid };
  }

  /** Whether records can be opened (the key log named this session and the suite is known). */
  readable(secrets: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>, connectionId: { client: Uint8Array; server: Uint8Array } | undefined): boolean {
    const cids = connectionId === undefined ? '' : `${toHex(connectionId.client)}/${toHex(connectionId.server)}`;
    // A reader frames unified headers with the CIDs it was made with (RFC 9147 4): new ones, a new reader.
    if (this.reader !== undefined && cids === this.readerCids) return true;
    this.reader = undefined;
    this.readerCids = cids;
    const known = this.clientRandom === undefined ? undefined : secrets.get(this.clientRandom);
    const suite = this.suiteId === undefined ? undefined : tls13CipherSuiteById(this.suiteId);
    // The key log comes a line at a time: the four traffic secrets first (EXPORTER_SECRET opens nothing).
    if (known === undefined || suite === undefined || TRAFFIC_LABELS.some((label) => !known.has(label))) return false;
    this.reader = new Dtls13KeyLogReader(suite, known, connectionId === undefined ? {} : { connectionId });
    return true;
  }

  /** The record opened, or undefined (no keys, failing authentication, seen before). */
  open(sender: Dtls13Sender, record: Uint8Array): Dtls13ReadRecord | undefined {
    return this.reader?.open(sender, record)[0];
  }
}
