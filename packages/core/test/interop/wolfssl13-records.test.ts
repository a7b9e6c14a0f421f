/**
 * wolfSSL 5.5.4's DTLS 1.3 records, opened by our record layer. wolfSSL is the only DTLS 1.3
 * implementation Debian ships (as source); Debian's tshark 4.0.17 does not dissect the unified
 * header at all (its field list has no DTLS 1.3 header fields; a wolfSSL 1.3 session written to a
 * pcap shows the hellos, then every 0b001xxxxx record as "Continuation Data"), so wolfSSL's bytes
 * are the reference, both ways: we open what it seals, and it opens what we seal.
 *
 * A wolfSSL client and server run a PSK handshake through a UDP relay in this test, which keeps
 * every datagram. With -K both sides use psk_ke (RFC 8446 4.2.9: no (EC)DHE), so the whole key
 * schedule follows from the example's hard-coded PSK and the plaintext hellos; it is computed
 * here from RFC 8446 7.1 with the "dtls13" label prefix (RFC 9147 5.9), independently of our
 * key schedule. Our Dtls13RecordLayer, given those keys, must then open EVERY record of both
 * directions (none dropped, none failing authentication): it decrypts wolfSSL's record numbers
 * (RFC 9147 4.2.3, AES and ChaCha20), reconstructs epoch and sequence number (4.2.2), builds the
 * nonce (RFC 8446 5.3) and the header AAD (RFC 9147 4), and finds EncryptedExtensions and
 * Finished in epoch 2, the example's messages in epoch 3, the ACKs (RFC 9147 7, which our codec
 * decodes: each names a record the other side sent) and close_notify.
 *
 * Commands (from the wolfSSL source root, as the examples require; see /work/shared/peers/wolfssl.md):
 *   ./examples/server/server -u -v 4 -s -K -p PORT -l SUITE [--cid SERVER_CID]
 *   ./examples/client/client -u -v 4 -s -K -h 127.0.0.1 -p RELAY_PORT -l SUITE [--cid CLIENT_CID]
 * The build (Debian's source package, --enable-dtls --enable-dtls13 --enable-dtlscid --enable-psk
 * --enable-aesccm) is cached in ~/.cache/dtls-kit-peers/wolfssl-5.5.4 (or $WOLFSSL_ROOT); a missing
 * build fails this file, it never skips.
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/bytes.js';
import { nobleCryptoProvider } from '../../src/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { AeadAlgorithm, CryptoProvider } from '../../src/crypto/provider.js';
import { decodeAck } from '../../src/record/ack.js';
import { dtls13EpochKeys } from '../../src/record/dtls13-epoch-keys.js';
import { Dtls13RecordLayer } from '../../src/record/dtls13-record-layer.js';
import type { Dtls13ReadRecord, Dtls13WriteFormat } from '../../src/record/dtls13-record-layer.js';
import { frameUnifiedRecord } from '../../src/record/unified-header.js';

const ROOT = process.env.WOLFSSL_ROOT ?? join(process.env.WOLFSSL_CACHE ?? join(homedir(), '.cache', 'dtls-kit-peers'), 'wolfssl-5.5.4');
const SERVER = join(ROOT, 'examples', 'server', 'server');
const CLIENT = join(ROOT, 'examples', 'client', 'client');
/** wolfssl/test.h my_psk_*_tls13_cb: 0x01, then += 0x22 wrapping to 0x01: 0123456789abcdef four times. */
const PSK = fromHex('0123456789abcdef'.repeat(4));
/** RFC 8446 4.1.3: the random of a HelloRetryRequest, SHA-256("HelloRetryRequest"). */
const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';
const CLIENT_MESSAGE = 'hello wolfssl!';
const SERVER_MESSAGE = 'I hear you fa shizzle!';

type Hash = 'sha256' | 'sha384';
interface Suite {
  readonly wolfssl: string;
  readonly aead: AeadAlgorithm;
  readonly hash: Hash;
  readonly keyLength: number;
  /** wolfSSL 5.5.4 reads the ChaCha20 mask counter big-endian (see Dtls13RecordLayerOptions.chacha20MaskCounter). */
  readonly chacha20MaskCounter?: 'big-endian';
  /** wolfSSL 5.5.4 sent no close_notify under CCM_8 in our runs (a 3-byte inner plaintext gives 11 bytes of ciphertext, short of the 16 the mask samples). */
  readonly noCloseNotify?: true;
}

const SUITES: readonly Suite[] = [
  { wolfssl: 'TLS13-AES128-GCM-SHA256', aead: 'aes-128-gcm', hash: 'sha256', keyLength: 16 },
  { wolfssl: 'TLS13-AES256-GCM-SHA384', aead: 'aes-256-gcm', hash: 'sha384', keyLength: 32 },
  { wolfssl: 'TLS13-CHACHA20-POLY1305-SHA256', aead: 'chacha20-poly1305', hash: 'sha256', keyLength: 32, chacha20MaskCounter: 'big-endian' },
  { wolfssl: 'TLS13-AES128-CCM-SHA256', aead: 'aes-128-ccm', hash: 'sha256', keyLength: 16 },
  { wolfssl: 'TLS13-AES128-CCM-8-SHA256', aead: 'aes-128-ccm-8', hash: 'sha256', keyLength: 16, noCloseNotify: true },
];

type Direction = 'c2s' | 's2c';
interface Wire {
  readonly direction: Direction;
  readonly datagram: Uint8Array;
}

function requireWolfssl(): void {
  if (!existsSync(SERVER) || !existsSync(CLIENT)) {
    throw new Error(`wolfSSL 5.5.4 examples not built in ${ROOT}: build them with /work/shared/peers/build-wolfssl.sh (3-5 minutes, once)`);
  }
}

function bind(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

function portOf(s: Socket): number {
  return s.address().port;
}

interface Run {
  readonly code: number | null;
  readonly output: string;
}

function run(program: string, args: readonly string[], timeoutMs: number): { done: Promise<Run>; kill: () => void } {
  const child = spawn(program, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Run>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

/** One wolfSSL DTLS 1.3 PSK session through a recording relay: client <-> relay <-> server. */
async function session(
  suite: Suite,
  cids?: { client: string; server: string },
  relay: (direction: Direction, datagram: Uint8Array) => Uint8Array[] = (_d, datagram) => [datagram],
): Promise<{ wire: Wire[]; client: Run; server: Run }> {
  requireWolfssl();
  const front = await bind(); // the client's peer
  const back = await bind(); // the server's peer
  const probe = await bind();
  const serverPort = portOf(probe);
  await new Promise<void>((r) => probe.close(() => r()));
  const wire: Wire[] = [];
  let clientAddress: { port: number; address: string } | undefined;
  front.on('message', (m, rinfo) => {
    clientAddress = { port: rinfo.port, address: rinfo.address };
    wire.push({ direction: 'c2s', datagram: new Uint8Array(m) });
    for (const d of relay('c2s', new Uint8Array(m))) back.send(d, serverPort, '127.0.0.1');
  });
  back.on('message', (m) => {
    wire.push({ direction: 's2c', datagram: new Uint8Array(m) });
    const to = clientAddress;
    if (to !== undefined) for (const d of relay('s2c', new Uint8Array(m))) front.send(d, to.port, to.address);
  });
  const cid = (c: string | undefined): string[] => (c === undefined ? [] : ['--cid', c]);
  const server = run(SERVER, ['-u', '-v', '4', '-s', '-K', '-p', String(serverPort), '-l', suite.wolfssl, ...cid(cids?.server)], 30_000);
  // The server binds before it reads; the client retransmits its first flight if it is early.
  await new Promise((r) => setTimeout(r, 400));
  const client = run(CLIENT, ['-u', '-v', '4', '-s', '-K', '-h', '127.0.0.1', '-p', String(portOf(front)), '-l', suite.wolfssl, ...cid(cids?.client)], 25_000);
  const c = await client.done;
  const s = await Promise.race([server.done, new Promise<Run>((r) => setTimeout(() => r({ code: null, output: 'server still running' }), 5_000))]);
  server.kill();
  await Promise.all([new Promise<void>((r) => front.close(() => r())), new Promise<void>((r) => back.close(() => r()))]);
  return { wire, client: c, server: s };
}

// --- RFC 8446 7.1 key schedule with RFC 9147 5.9's "dtls13" prefix, written out for this test ---

const HASH_LENGTH: Record<Hash, number> = { sha256: 32, sha384: 48 };

function hmac(hash: Hash, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(hash, key).update(data).digest());
}

function digest(hash: Hash, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hash).update(data).digest());
}

/** RFC 5869 2.3 HKDF-Expand. */
function expand(hash: Hash, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const blocks: Uint8Array[] = [];
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1; blocks.length * HASH_LENGTH[hash] < length; i++) {
    t = hmac(hash, prk, concatBytes(t, info, Uint8Array.of(i)));
    blocks.push(t);
  }
  return concatBytes(...blocks).slice(0, length);
}

/** RFC 8446 7.1 HKDF-Expand-Label, label prefixed "dtls13" (RFC 9147 5.9). */
function expandLabel(hash: Hash, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const full = utf8(`dtls13${label}`);
  const info = concatBytes(Uint8Array.of(length >>> 8, length & 0xff, full.length), full, Uint8Array.of(context.length), context);
  return expand(hash, secret, info, length);
}

interface Secrets {
  readonly clientHandshake: Uint8Array;
  readonly serverHandshake: Uint8Array;
  readonly handshakeSecret: Uint8Array;
}

/** psk_ke: no (EC)DHE, so the handshake secret's input is a string of zeros (RFC 8446 7.1). */
function handshakeSecrets(hash: Hash, transcriptHash: Uint8Array): Secrets {
  const zeros = new Uint8Array(HASH_LENGTH[hash]);
  const early = hmac(hash, zeros, PSK); // HKDF-Extract(0, PSK)
  const derived = expandLabel(hash, early, 'derived', digest(hash, new Uint8Array(0)), HASH_LENGTH[hash]);
  const handshakeSecret = hmac(hash, derived, zeros);
  return {
    handshakeSecret,
    clientHandshake: expandLabel(hash, handshakeSecret, 'c hs traffic', transcriptHash, HASH_LENGTH[hash]),
    serverHandshake: expandLabel(hash, handshakeSecret, 's hs traffic', transcriptHash, HASH_LENGTH[hash]),
  };
}

function applicationSecrets(hash: Hash, handshakeSecret: Uint8Array, transcriptHash: Uint8Array): { client: Uint8Array; server: Uint8Array } {
  const zeros = new Uint8Array(HASH_LENGTH[hash]);
  const derived = expandLabel(hash, handshakeSecret, 'derived', digest(hash, new Uint8Array(0)), HASH_LENGTH[hash]);
  const master = hmac(hash, derived, zeros);
  return {
    client: expandLabel(hash, master, 'c ap traffic', transcriptHash, HASH_LENGTH[hash]),
    server: expandLabel(hash, master, 's ap traffic', transcriptHash, HASH_LENGTH[hash]),
  };
}

function epochKeys(provider: CryptoProvider, suite: Suite, secret: Uint8Array): ReturnType<typeof dtls13EpochKeys> {
  return dtls13EpochKeys(provider, suite.aead, {
    key: expandLabel(suite.hash, secret, 'key', new Uint8Array(0), suite.keyLength),
    iv: expandLabel(suite.hash, secret, 'iv', new Uint8Array(0), 12),
    snKey: expandLabel(suite.hash, secret, 'sn', new Uint8Array(0), suite.keyLength),
  });
}

// --- handshake messages out of records ----------------------------------------------------------

interface Message {
  readonly type: number;
  readonly messageSeq: number;
  readonly body: Uint8Array;
}

/** Whole DTLS handshake messages of handshake records (RFC 9147 5.2: 12-byte header), first copy of each message_seq. */
function messages(records: readonly Dtls13ReadRecord[]): Message[] {
  const out: Message[] = [];
  for (const r of records) {
    if (r.type !== 22) continue;
    let at = 0;
    const b = r.content;
    while (at + 12 <= b.length) {
      const u24 = (i: number): number => ((b[i] ?? 0) << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
      const type = b[at] ?? 0;
      const length = u24(at + 1);
      const messageSeq = ((b[at + 4] ?? 0) << 8) | (b[at + 5] ?? 0);
      const fragmentOffset = u24(at + 6);
      const fragmentLength = u24(at + 9);
      // wolfSSL sends these small PSK messages whole: a fragment would need reassembly first.
      expect([fragmentOffset, fragmentLength]).toEqual([0, length]);
      if (!out.some((m) => m.messageSeq === messageSeq && m.type === type)) out.push({ type, messageSeq, body: b.slice(at + 12, at + 12 + length) });
      at += 12 + fragmentLength;
    }
  }
  return out;
}

/** RFC 9147 5.2: the transcript holds TLS 1.3-style messages (type, uint24 length, body). */
function tlsMessage(m: Message): Uint8Array {
  return concatBytes(Uint8Array.of(m.type, m.body.length >>> 16, (m.body.length >>> 8) & 0xff, m.body.length & 0xff), m.body);
}

/**
 * The transcript up to the ServerHello (RFC 8446 4.4.1): after a HelloRetryRequest, ClientHello1
 * is replaced by message_hash(254) of its hash. Undefined until the ServerHello is there.
 */
function helloTranscript(suite: Suite, fromClient: readonly Message[], fromServer: readonly Message[]): Uint8Array[] | undefined {
  const clientHellos = fromClient.filter((m) => m.type === 1);
  const serverHellos = fromServer.filter((m) => m.type === 2);
  const hrr = serverHellos.find((m) => toHex(m.body.subarray(2, 34)) === HRR_RANDOM);
  const sh = serverHellos.find((m) => m !== hrr);
  const [ch1, ch2] = clientHellos;
  if (sh === undefined || ch1 === undefined) return undefined;
  if (hrr === undefined) return [tlsMessage(ch1), tlsMessage(sh)];
  if (ch2 === undefined) return undefined;
  const h = digest(suite.hash, tlsMessage(ch1));
  return [concatBytes(Uint8Array.of(254, 0, 0, h.length), h), tlsMessage(hrr), tlsMessage(ch2), tlsMessage(sh)];
}

function openAll(rx: Dtls13RecordLayer, wire: readonly Wire[], direction: Direction): Dtls13ReadRecord[] {
  return wire.filter((w) => w.direction === direction).flatMap((w) => rx.open(w.datagram));
}

interface Opened {
  readonly wire: readonly Wire[];
  readonly c2s: Dtls13ReadRecord[];
  readonly s2c: Dtls13ReadRecord[];
  readonly rx: Record<Direction, Dtls13RecordLayer>;
}

/** Derives every key of the session from its plaintext and opens both directions with our record layer. */
function openSession(
  wire: readonly Wire[],
  suite: Suite,
  provider: CryptoProvider,
  cids?: { client: string; server: string },
  chacha20MaskCounter: 'little-endian' | 'big-endian' | undefined = suite.chacha20MaskCounter,
): Opened {
  const reader = (d: Direction): Dtls13RecordLayer =>
    new Dtls13RecordLayer({
      ...(cids === undefined ? {} : { receiveConnectionId: utf8(d === 'c2s' ? cids.server : cids.client) }),
      ...(chacha20MaskCounter === undefined ? {} : { chacha20MaskCounter }),
    });
  // Epoch 0: the hellos, in the clear.
  const plain = { c2s: messages(openAll(reader('c2s'), wire, 'c2s')), s2c: messages(openAll(reader('s2c'), wire, 's2c')) };
  const transcript = helloTranscript(suite, plain.c2s, plain.s2c);
  if (transcript === undefined) throw new Error('no ServerHello / ClientHello in the capture');
  const hs = handshakeSecrets(suite.hash, digest(suite.hash, concatBytes(...transcript)));
  // Epoch 2 of the server: EncryptedExtensions, Finished (psk_ke: no Certificate).
  const first = reader('s2c');
  first.setReadKeys(2, epochKeys(provider, suite, hs.serverHandshake));
  const serverFlight = messages(openAll(first, wire, 's2c').filter((r) => r.epoch === 2));
  const upToFinished = serverFlight.slice(0, serverFlight.findIndex((m) => m.type === 20) + 1).map(tlsMessage);
  const ap = applicationSecrets(suite.hash, hs.handshakeSecret, digest(suite.hash, concatBytes(...transcript, ...upToFinished)));
  const rx: Record<Direction, Dtls13RecordLayer> = { c2s: reader('c2s'), s2c: reader('s2c') };
  rx.c2s.setReadKeys(2, epochKeys(provider, suite, hs.clientHandshake));
  rx.c2s.setReadKeys(3, epochKeys(provider, suite, ap.client));
  rx.s2c.setReadKeys(2, epochKeys(provider, suite, hs.serverHandshake));
  rx.s2c.setReadKeys(3, epochKeys(provider, suite, ap.server));
  return { wire, c2s: openAll(rx.c2s, wire, 'c2s'), s2c: openAll(rx.s2c, wire, 's2c'), rx };
}

function text(records: readonly Dtls13ReadRecord[], type: number): string[] {
  return records.filter((r) => r.type === type).map((r) => new TextDecoder().decode(r.content));
}

/** Every record number one direction's ACKs name must be a protected record the other direction sent. */
function expectAcksName(acks: readonly Dtls13ReadRecord[], sent: readonly Dtls13ReadRecord[]): number {
  let named = 0;
  for (const ack of acks.filter((r) => r.type === 26)) {
    for (const n of decodeAck(ack.content)) {
      expect(sent.some((r) => r.epoch === n.epoch && r.sequenceNumber === n.sequenceNumber)).toBe(true);
      named++;
    }
  }
  return named;
}

function checkSession(o: Opened, suite: Suite): void {
  for (const d of ['c2s', 's2c'] as const) {
    // Nothing wolfSSL sent was dropped, failed authentication, or named an epoch we could not find.
    expect(o.rx[d].stats).toMatchObject({ dropped: 0, unknownEpoch: 0, authFailures: 0, replayed: 0 });
  }
  expect(messages(o.s2c.filter((r) => r.epoch === 2)).map((m) => m.type)).toEqual([8, 20]); // EncryptedExtensions, Finished
  expect(messages(o.c2s.filter((r) => r.epoch === 2)).map((m) => m.type)).toEqual([20]); // the client's Finished
  expect(text(o.c2s.filter((r) => r.epoch === 3), 23)).toEqual([CLIENT_MESSAGE]);
  expect(text(o.s2c.filter((r) => r.epoch === 3), 23)).toEqual([SERVER_MESSAGE]);
  // The server ACKs the client's Finished (RFC 9147 7: the last flight of the handshake).
  expect(expectAcksName(o.s2c, o.c2s)).toBeGreaterThan(0);
  expectAcksName(o.c2s, o.s2c);
  // Every alert is a protected close_notify (alert level 1, description 0), and the side that closes sends one.
  const alerts = [...o.c2s, ...o.s2c].filter((r) => r.type === 21);
  expect(alerts.every((r) => toHex(r.content) === '0100' && r.authenticated && r.epoch === 3)).toBe(true);
  expect(alerts.length > 0).toBe(suite.noCloseNotify !== true);
}

/** The records of a datagram, each as a datagram of its own (framing only: the record layer judges them). */
function recordsOf(datagram: Uint8Array, cidLength: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < datagram.length) {
    const first = datagram[at] ?? 0;
    const end = (first & 0xe0) === 0x20 ? frameUnifiedRecord(datagram, at, cidLength)?.end : at + 13 + (((datagram[at + 11] ?? 0) << 8) | (datagram[at + 12] ?? 0));
    if (end === undefined || end > datagram.length) break;
    out.push(datagram.slice(at, end));
    at = end;
  }
  return out;
}

/**
 * A man in the middle that knows the PSK: it opens every record with our record layer and seals
 * its content again with our record layer before passing it on, so wolfSSL's client and server
 * each read only records WE sealed. It derives the keys as the handshake goes by (psk_ke, as
 * openSession does). Our records differ from wolfSSL's on purpose: client to server, 8-bit
 * sequence numbers, no length field (one record per datagram, RFC 9147 4) and 7 bytes of
 * padding; server to client, the records of a datagram packed together with 16-bit numbers.
 */
class Resealer {
  readonly rx: Record<Direction, Dtls13RecordLayer>;
  readonly tx: Record<Direction, Dtls13RecordLayer>;
  private readonly seen: Record<Direction, Message[]> = { c2s: [], s2c: [] };
  private transcript: Uint8Array[] | undefined;
  private handshake: Secrets | undefined;
  private application: { client: Uint8Array; server: Uint8Array } | undefined;
  /** Records sealed by us and passed on, by direction and epoch. */
  readonly resealed: Record<Direction, Map<number, number>> = { c2s: new Map(), s2c: new Map() };

  constructor(
    private readonly suite: Suite,
    private readonly provider: CryptoProvider,
    private readonly cids?: { client: string; server: string },
  ) {
    const options = suite.chacha20MaskCounter === undefined ? {} : { chacha20MaskCounter: suite.chacha20MaskCounter };
    const reader = (d: Direction): Dtls13RecordLayer => new Dtls13RecordLayer({ ...options, receiveConnectionId: this.cidOf(d) });
    this.rx = { c2s: reader('c2s'), s2c: reader('s2c') };
    this.tx = { c2s: new Dtls13RecordLayer(options), s2c: new Dtls13RecordLayer(options) };
  }

  /** The CID the receiver of direction `d` asked for (RFC 9147 9), empty without CIDs. */
  private cidOf(d: Direction): Uint8Array {
    return this.cids === undefined ? new Uint8Array(0) : utf8(d === 'c2s' ? this.cids.server : this.cids.client);
  }

  private format(d: Direction): Dtls13WriteFormat {
    const connectionId = this.cidOf(d);
    return d === 'c2s' ? { sequenceNumberLength: 1, lengthPresent: false, connectionId } : { sequenceNumberLength: 2, lengthPresent: true, connectionId };
  }

  private install(epoch: number, client: Uint8Array, server: Uint8Array): void {
    const key = (secret: Uint8Array): ReturnType<typeof dtls13EpochKeys> => epochKeys(this.provider, this.suite, secret);
    this.rx.c2s.setReadKeys(epoch, key(client));
    this.tx.c2s.setWriteKeys(epoch, key(client), this.format('c2s'));
    this.rx.s2c.setReadKeys(epoch, key(server));
    this.tx.s2c.setWriteKeys(epoch, key(server), this.format('s2c'));
  }

  /** Learns what the handshake tells about the keys from the records just read. */
  private learn(d: Direction, records: readonly Dtls13ReadRecord[]): void {
    for (const m of messages(records)) if (!this.seen[d].some((x) => x.messageSeq === m.messageSeq)) this.seen[d].push(m);
    if (this.handshake === undefined) {
      this.transcript = helloTranscript(this.suite, this.seen.c2s, this.seen.s2c);
      if (this.transcript === undefined) return;
      this.handshake = handshakeSecrets(this.suite.hash, digest(this.suite.hash, concatBytes(...this.transcript)));
      this.install(2, this.handshake.clientHandshake, this.handshake.serverHandshake);
    }
    const flight = this.seen.s2c.filter((m) => m.type !== 2);
    const finished = flight.findIndex((m) => m.type === 20);
    if (this.application === undefined && this.transcript !== undefined && finished >= 0) {
      const upTo = flight.slice(0, finished + 1).map(tlsMessage);
      this.application = applicationSecrets(this.suite.hash, this.handshake.handshakeSecret, digest(this.suite.hash, concatBytes(...this.transcript, ...upTo)));
      this.install(3, this.application.client, this.application.server);
    }
  }

  relay(d: Direction, datagram: Uint8Array): Uint8Array[] {
    const sealed: Uint8Array[] = [];
    for (const record of recordsOf(datagram, this.cidOf(d).length)) {
      const read = this.rx[d].open(record);
      this.learn(d, read);
      for (const r of read) {
        sealed.push(this.tx[d].seal(r.type, r.content, r.epoch, d === 'c2s' && r.epoch > 0 ? 7 : 0));
        this.resealed[d].set(r.epoch, (this.resealed[d].get(r.epoch) ?? 0) + 1);
      }
    }
    return d === 'c2s' ? sealed : sealed.length === 0 ? [] : [concatBytes(...sealed)];
  }
}

describe('wolfSSL 5.5.4 DTLS 1.3 records opened by Dtls13RecordLayer (RFC 9147 4)', () => {
  for (const suite of SUITES) {
    it(`${suite.wolfssl}: every record of a psk_ke session, both directions, node and noble providers`, async () => {
      const s = await session(suite);
      expect(s.client.output).toContain('SSL version is DTLSv1.3');
      expect(s.client.code).toBe(0);
      // wolfSSL writes the full unified header: 0b0010_11EE (S and L set, no CID).
      const protectedFirstBytes = new Set(s.wire.map((w) => w.datagram[0] ?? 0).filter((b) => b >= 32 && b < 64));
      expect([...protectedFirstBytes].sort()).toEqual([0x2e, 0x2f]);
      for (const provider of [nodeCryptoProvider, nobleCryptoProvider]) checkSession(openSession(s.wire, suite, provider), suite);
      if (suite.chacha20MaskCounter === 'big-endian') {
        // RFC 9147 4.2.3 read with RFC 8439's little-endian counter: no protected record of wolfSSL 5.5.4 opens.
        const rfc = openSession(s.wire, suite, nodeCryptoProvider, undefined, 'little-endian');
        const protectedRecords = s.wire.filter((w) => ((w.datagram[0] ?? 0) & 0xe0) === 0x20).length;
        expect(rfc.rx.c2s.stats.authFailures + rfc.rx.s2c.stats.authFailures).toBe(protectedRecords);
      }
    }, 60_000);
  }

  it('TLS13-AES128-GCM-SHA256 with connection IDs (--cid): C bit and the receiver\'s CID in every protected record', async () => {
    const suite = SUITES[0];
    if (suite === undefined) throw new Error('no suite');
    const cids = { client: 'ab', server: 'cd' };
    const s = await session(suite, cids);
    expect(s.client.code).toBe(0);
    for (const w of s.wire) {
      if (((w.datagram[0] ?? 0) & 0xe0) !== 0x20) continue;
      const framed = frameUnifiedRecord(w.datagram, 0, 2);
      expect(framed?.header.connectionId).toEqual(utf8(w.direction === 'c2s' ? cids.server : cids.client));
    }
    checkSession(openSession(s.wire, suite, nodeCryptoProvider, cids), suite);
  }, 60_000);
});

describe('wolfSSL 5.5.4 reads DTLS 1.3 records sealed by Dtls13RecordLayer (RFC 9147 4)', () => {
  for (const suite of SUITES) {
    it(`${suite.wolfssl}: a session whose every record, both ways, was sealed again by us`, async () => {
      const resealer = new Resealer(suite, nodeCryptoProvider);
      const s = await session(suite, undefined, (d, datagram) => resealer.relay(d, datagram));
      // Each wolfSSL program read the other's messages out of our records.
      expect(s.server.output).toContain(`Client message: ${CLIENT_MESSAGE}`);
      expect(s.client.output).toContain(SERVER_MESSAGE);
      expect(s.client.code).toBe(0);
      for (const d of ['c2s', 's2c'] as const) {
        expect(resealer.rx[d].stats).toMatchObject({ dropped: 0, unknownEpoch: 0, authFailures: 0, replayed: 0 });
        expect(resealer.resealed[d].get(2) ?? 0).toBeGreaterThan(0);
        expect(resealer.resealed[d].get(3) ?? 0).toBeGreaterThan(0);
      }
    }, 60_000);
  }

  it('TLS13-AES128-GCM-SHA256 with connection IDs: wolfSSL reads our records carrying its CID (in the header and the AAD)', async () => {
    const suite = SUITES[0];
    if (suite === undefined) throw new Error('no suite');
    const cids = { client: 'ab', server: 'cd' };
    const resealer = new Resealer(suite, nodeCryptoProvider, cids);
    const s = await session(suite, cids, (d, datagram) => resealer.relay(d, datagram));
    expect(s.server.output).toContain(`Client message: ${CLIENT_MESSAGE}`);
    expect(s.client.output).toContain(SERVER_MESSAGE);
    for (const d of ['c2s', 's2c'] as const) {
      expect(resealer.rx[d].stats).toMatchObject({ dropped: 0, unknownEpoch: 0, authFailures: 0, replayed: 0 });
      expect(resealer.resealed[d].get(3) ?? 0).toBeGreaterThan(0);
    }
  }, 60_000);
});
