/**
 * Reading the DTLS 1.3 wire fixtures recorded between wolfSSL 5.5.4's client and server
 * (test/fixtures/wolfssl13/, README.md there), and opening their records with the key logs, for
 * the fixture test and for the 1.3 codecs to test against. The decoding here is deliberately
 * independent of src/ (node:crypto, no core code): it is the reference the 1.3 record layer
 * and key schedule are checked with, not a second implementation of them.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../fixtures/wolfssl13/', import.meta.url));

export type Direction = 'client-to-server' | 'server-to-client';

export interface Wolfssl13Fixture {
  scenario: string;
  description: string;
  commands: { server: string; client: string };
  client: { code: number | null; version?: string; cipher?: string; stdout: string };
  server: { stdout: string };
  connectionIds: { clientToServer: string; serverToClient: string };
  keylog: Array<{ label: string; clientRandom: string; secret: string }>;
  datagrams: Array<{ direction: Direction; atMs: number; hex: string }>;
}

/** The scenario names of the folder (one JSON file each). */
export function wolfssl13FixtureNames(): string[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadWolfssl13Fixture(name: string): Wolfssl13Fixture {
  const parsed: unknown = JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8'));
  if (!isFixture(parsed)) throw new Error(`${name}.json is not a wolfSSL 1.3 capture`);
  return parsed;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The shape written by packages/test-kit/src/interop/wolfssl13-capture.ts. */
function isFixture(value: unknown): value is Wolfssl13Fixture {
  if (!isRecord(value) || typeof value['scenario'] !== 'string' || typeof value['description'] !== 'string') return false;
  const { client, connectionIds, keylog, datagrams } = value;
  return (
    isRecord(client) &&
    typeof client['stdout'] === 'string' &&
    isRecord(connectionIds) &&
    typeof connectionIds['clientToServer'] === 'string' &&
    typeof connectionIds['serverToClient'] === 'string' &&
    Array.isArray(keylog) &&
    keylog.every((k) => isRecord(k) && typeof k['label'] === 'string' && typeof k['secret'] === 'string') &&
    Array.isArray(datagrams) &&
    datagrams.every((d) => isRecord(d) && (d['direction'] === 'client-to-server' || d['direction'] === 'server-to-client') && typeof d['hex'] === 'string')
  );
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const u24 = (b: Uint8Array, at: number): number => (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;

/** A DTLSPlaintext record (RFC 9147 4: the 13-byte header of epoch 0). */
export interface PlaintextRecord {
  type: number;
  version: number;
  epoch: number;
  sequence: number;
  fragment: Uint8Array;
}

/** True if the first byte is a unified header's (RFC 9147 4: 0b001CSLEE). */
export function isUnifiedHeader(byte: number): boolean {
  return (byte & 0xe0) === 0x20;
}

/** The DTLSPlaintext records at the start of a datagram (stops at the first unified header). */
export function plaintextRecords(datagram: Uint8Array): { records: PlaintextRecord[]; rest: Uint8Array } {
  const records: PlaintextRecord[] = [];
  let at = 0;
  while (at + 13 <= datagram.length && !isUnifiedHeader(datagram[at]!)) {
    const length = u16(datagram, at + 11);
    if (at + 13 + length > datagram.length) throw new Error(`plaintext record overruns the datagram at ${at}`);
    records.push({
      type: datagram[at]!,
      version: u16(datagram, at + 1),
      epoch: u16(datagram, at + 3),
      sequence: u16(datagram, at + 5) * 2 ** 32 + u16(datagram, at + 7) * 2 ** 16 + u16(datagram, at + 9),
      fragment: datagram.subarray(at + 13, at + 13 + length),
    });
    at += 13 + length;
  }
  return { records, rest: datagram.subarray(at) };
}

/** A DTLS handshake message header and body (RFC 9147 5.2). */
export interface HandshakeFragment {
  msgType: number;
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  fragmentLength: number;
  body: Uint8Array;
}

/** Every handshake fragment in a record's content. */
export function handshakeFragments(content: Uint8Array): HandshakeFragment[] {
  const out: HandshakeFragment[] = [];
  for (let at = 0; at + 12 <= content.length; ) {
    const fragmentLength = u24(content, at + 9);
    out.push({
      msgType: content[at]!,
      length: u24(content, at + 1),
      messageSeq: u16(content, at + 4),
      fragmentOffset: u24(content, at + 6),
      fragmentLength,
      body: content.subarray(at + 12, at + 12 + fragmentLength),
    });
    at += 12 + fragmentLength;
  }
  return out;
}

/** A ClientHello or ServerHello (RFC 9147 5.3, RFC 8446 4.1.3): the fields the fixtures check. */
export interface Hello {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  /** ClientHello only (RFC 9147 5.3: empty for a DTLS 1.3 client). */
  legacyCookie?: Uint8Array;
  cipherSuites: number[];
  /** Extensions by type, bodies in order of appearance. */
  extensions: Map<number, Uint8Array>;
  extensionOrder: number[];
}

function readExtensions(body: Uint8Array, at: number): { extensions: Map<number, Uint8Array>; order: number[] } {
  const extensions = new Map<number, Uint8Array>();
  const order: number[] = [];
  const end = at + 2 + u16(body, at);
  if (end !== body.length) throw new Error(`extensions end at ${end}, the message at ${body.length}`);
  for (let p = at + 2; p < end; ) {
    const type = u16(body, p);
    const length = u16(body, p + 2);
    extensions.set(type, body.subarray(p + 4, p + 4 + length));
    order.push(type);
    p += 4 + length;
  }
  return { extensions, order };
}

export function parseClientHello(body: Uint8Array): Hello {
  let at = 2 + 32;
  const sessionId = body.subarray(at + 1, at + 1 + body[at]!);
  at += 1 + sessionId.length;
  const legacyCookie = body.subarray(at + 1, at + 1 + body[at]!);
  at += 1 + legacyCookie.length;
  const suitesLength = u16(body, at);
  const cipherSuites: number[] = [];
  for (let p = at + 2; p < at + 2 + suitesLength; p += 2) cipherSuites.push(u16(body, p));
  at += 2 + suitesLength;
  at += 1 + body[at]!; // legacy_compression_methods
  const { extensions, order } = readExtensions(body, at);
  return { legacyVersion: u16(body, 0), random: body.subarray(2, 34), sessionId, legacyCookie, cipherSuites, extensions, extensionOrder: order };
}

export function parseServerHello(body: Uint8Array): Hello {
  let at = 2 + 32;
  const sessionId = body.subarray(at + 1, at + 1 + body[at]!);
  at += 1 + sessionId.length;
  const suite = u16(body, at);
  at += 3; // cipher_suite, legacy_compression_method
  const { extensions, order } = readExtensions(body, at);
  return { legacyVersion: u16(body, 0), random: body.subarray(2, 34), sessionId, cipherSuites: [suite], extensions, extensionOrder: order };
}

/** RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello with this random, SHA-256("HelloRetryRequest"). */
export const HELLO_RETRY_REQUEST_RANDOM = fromHex('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');

// ---- Opening the encrypted records with the key log ----

interface SuiteSpec {
  hash: 'sha256' | 'sha384';
  hashLength: number;
  keyLength: number;
  cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-ccm';
  tagLength: number;
  /** RFC 9147 4.2.3: AES-ECB or ChaCha20 masks. */
  mask: 'aes' | 'chacha20';
}

/** The TLS 1.3 suites wolfSSL prints (IANA names), RFC 8446 B.4. */
export const TLS13_SUITES: Record<string, SuiteSpec & { id: number }> = {
  TLS_AES_128_GCM_SHA256: { id: 0x1301, hash: 'sha256', hashLength: 32, keyLength: 16, cipher: 'aes-128-gcm', tagLength: 16, mask: 'aes' },
  TLS_AES_256_GCM_SHA384: { id: 0x1302, hash: 'sha384', hashLength: 48, keyLength: 32, cipher: 'aes-256-gcm', tagLength: 16, mask: 'aes' },
  TLS_CHACHA20_POLY1305_SHA256: { id: 0x1303, hash: 'sha256', hashLength: 32, keyLength: 32, cipher: 'chacha20-poly1305', tagLength: 16, mask: 'chacha20' },
  TLS_AES_128_CCM_SHA256: { id: 0x1304, hash: 'sha256', hashLength: 32, keyLength: 16, cipher: 'aes-128-ccm', tagLength: 16, mask: 'aes' },
  TLS_AES_128_CCM_8_SHA256: { id: 0x1305, hash: 'sha256', hashLength: 32, keyLength: 16, cipher: 'aes-128-ccm', tagLength: 8, mask: 'aes' },
};

/** HKDF-Expand (RFC 5869 2.3). */
function hkdfExpand(hash: string, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let previous = new Uint8Array(0);
  for (let i = 1, filled = 0; filled < length; i++) {
    previous = new Uint8Array(createHmac(hash, prk).update(previous).update(info).update(Uint8Array.of(i)).digest());
    out.set(previous.subarray(0, length - filled), filled);
    filled += previous.length;
  }
  return out;
}

/** HKDF-Expand-Label (RFC 8446 7.1) with DTLS 1.3's "dtls13" prefix (RFC 9147 5.9). */
export function hkdfExpandLabel(hash: string, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const fullLabel = Buffer.from(`dtls13${label}`, 'ascii');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, fullLabel.length]), fullLabel, Buffer.from([context.length]), context]);
  return hkdfExpand(hash, secret, info, length);
}

interface TrafficKeys {
  key: Uint8Array;
  iv: Uint8Array;
  snKey: Uint8Array;
}

function trafficKeys(suite: SuiteSpec, secret: Uint8Array): TrafficKeys {
  const none = new Uint8Array(0);
  return {
    key: hkdfExpandLabel(suite.hash, secret, 'key', none, suite.keyLength),
    iv: hkdfExpandLabel(suite.hash, secret, 'iv', none, 12),
    // RFC 9147 4.2.3: [sender]_sn_key = HKDF-Expand-Label(Secret, "sn", "", key_length)
    snKey: hkdfExpandLabel(suite.hash, secret, 'sn', none, suite.keyLength),
  };
}

/**
 * How the first 4 bytes of the ciphertext become ChaCha20's block counter for the record number
 * mask. RFC 9147 4.2.3 passes them to the block function of RFC 8439 2.3, whose counter is a
 * little-endian word (as QUIC spells out, RFC 9001 5.4.4). wolfSSL 5.5.4 byte-swaps it under
 * `#ifdef BIG_ENDIAN`, a macro glibc's <endian.h> always defines: on x86-64 Linux it reads the
 * counter big-endian (fixed upstream after 5.5.4, wolfSSL PR 6641).
 */
export type ChachaCounter = 'little-endian' | 'big-endian';

/** RFC 9147 4.2.3: the mask from the first 16 bytes of the ciphertext. */
function recordNumberMask(suite: SuiteSpec, snKey: Uint8Array, sample: Uint8Array, chachaCounter: ChachaCounter): Uint8Array {
  if (suite.mask === 'aes') {
    const ecb = createCipheriv(suite.keyLength === 16 ? 'aes-128-ecb' : 'aes-256-ecb', snKey, null);
    ecb.setAutoPadding(false);
    return new Uint8Array(ecb.update(sample));
  }
  // ChaCha20(sn_key, Ciphertext[0..3] as the block counter, Ciphertext[4..15] as the nonce):
  // node's 16-byte chacha20 IV is exactly that, counter first (little-endian).
  // wolfSSL 5.5.4 reads the counter big-endian on little-endian Linux (see ChachaCounter).
  const iv = new Uint8Array(sample);
  if (chachaCounter === 'big-endian') iv.set([sample[3]!, sample[2]!, sample[1]!, sample[0]!], 0);
  return new Uint8Array(createCipheriv('chacha20', snKey, iv).update(new Uint8Array(16)));
}

/** One opened DTLSCiphertext record. */
export interface OpenedRecord {
  direction: Direction;
  /** Index of the datagram in the fixture. */
  datagram: number;
  epoch: number;
  sequence: number;
  /** The first header byte and the flags it carries (RFC 9147 4). */
  flags: { cid: boolean; longSequence: boolean; length: boolean };
  connectionId: Uint8Array;
  /** DTLSInnerPlaintext (RFC 9147 4): the real content type and the content, padding removed. */
  type: number;
  content: Uint8Array;
}

function lookupSecret(fixture: Wolfssl13Fixture, label: string): Uint8Array {
  const line = fixture.keylog.find((k) => k.label === label);
  if (line === undefined) throw new Error(`${fixture.scenario}: no ${label} in the key log`);
  return fromHex(line.secret);
}

/**
 * Opens every DTLSCiphertext record of the fixture: epoch 2 with the handshake traffic secrets,
 * epoch 3 with the first application traffic secrets, each later epoch with the secret of the
 * previous one updated (RFC 8446 7.2, "traffic upd"). Throws on a record that does not open.
 */
export function openRecords(fixture: Wolfssl13Fixture, chachaCounter: ChachaCounter = 'little-endian'): OpenedRecord[] {
  const suiteName = fixture.client.cipher ?? '';
  const suite = TLS13_SUITES[suiteName];
  if (suite === undefined) throw new Error(`${fixture.scenario}: unknown suite ${suiteName}`);
  const secrets = new Map<string, Uint8Array>();
  const secretFor = (direction: Direction, epoch: number): Uint8Array => {
    const side = direction === 'client-to-server' ? 'CLIENT' : 'SERVER';
    const key = `${side}:${epoch}`;
    let secret = secrets.get(key);
    if (secret === undefined) {
      if (epoch === 2) secret = lookupSecret(fixture, `${side}_HANDSHAKE_TRAFFIC_SECRET`);
      else if (epoch === 3) secret = lookupSecret(fixture, `${side}_TRAFFIC_SECRET_0`);
      else secret = hkdfExpandLabel(suite.hash, secretFor(direction, epoch - 1), 'traffic upd', new Uint8Array(0), suite.hashLength);
      secrets.set(key, secret);
    }
    return secret;
  };
  // The next sequence number expected per direction and epoch, for RFC 9147 4.2.2's reconstruction.
  const expected = new Map<string, number>();
  // The epoch each direction is in: the two low bits on the wire pick the nearest at or above it.
  const currentEpoch = new Map<Direction, number>([
    ['client-to-server', 2],
    ['server-to-client', 2],
  ]);
  const out: OpenedRecord[] = [];
  fixture.datagrams.forEach((d, index) => {
    let bytes = plaintextRecords(fromHex(d.hex)).rest;
    while (bytes.length > 0) {
      const first = bytes[0]!;
      if (!isUnifiedHeader(first)) throw new Error(`${fixture.scenario} datagram ${index}: byte ${first} after a unified header record`);
      const flags = { cid: (first & 0x10) !== 0, longSequence: (first & 0x08) !== 0, length: (first & 0x04) !== 0 };
      const cidHex = d.direction === 'client-to-server' ? fixture.connectionIds.clientToServer : fixture.connectionIds.serverToClient;
      const cidLength = flags.cid ? cidHex.length / 2 : 0;
      let at = 1 + cidLength;
      const connectionId = bytes.subarray(1, at);
      const sequenceLength = flags.longSequence ? 2 : 1;
      const sequenceAt = at;
      at += sequenceLength;
      // Without the length bit the record runs to the end of the datagram (RFC 9147 4).
      const length = flags.length ? u16(bytes, at) : bytes.length - at;
      if (flags.length) at += 2;
      const header = new Uint8Array(bytes.subarray(0, at));
      const encrypted = bytes.subarray(at, at + length);
      if (encrypted.length < 16 || at + length > bytes.length) throw new Error(`${fixture.scenario} datagram ${index}: short record`);

      const current = currentEpoch.get(d.direction)!;
      let epoch = current - (current % 4) + (first & 0x03);
      if (epoch < current - 1) epoch += 4;
      const keys = trafficKeys(suite, secretFor(d.direction, epoch));
      const mask = recordNumberMask(suite, keys.snKey, encrypted.subarray(0, 16), chachaCounter);
      for (let i = 0; i < sequenceLength; i++) header[sequenceAt + i]! ^= mask[i]!;
      const low = sequenceLength === 2 ? u16(header, sequenceAt) : header[sequenceAt]!;
      // RFC 9147 4.2.2: the full number closest to the next one expected.
      const window = 2 ** (8 * sequenceLength);
      const next = expected.get(`${d.direction}:${epoch}`) ?? 0;
      let sequence = next - (next % window) + low;
      if (sequence > next + window / 2) sequence -= window;
      else if (sequence + window / 2 < next) sequence += window;

      // RFC 8446 5.3: the nonce is the IV XOR the 64-bit sequence number; RFC 9147 4: the AAD is
      // the header as sent, record number not yet encrypted.
      const nonce = new Uint8Array(keys.iv);
      for (let i = 0, s = sequence; i < 8; i++, s = Math.floor(s / 256)) nonce[11 - i]! ^= s % 256;
      const ciphertext = encrypted.subarray(0, encrypted.length - suite.tagLength);
      const tag = encrypted.subarray(encrypted.length - suite.tagLength);
      const plain = decrypt(suite, keys.key, nonce, header, ciphertext, tag);
      let end = plain.length;
      while (end > 0 && plain[end - 1] === 0) end--;
      if (end === 0) throw new Error(`${fixture.scenario} datagram ${index}: DTLSInnerPlaintext without a content type`);
      out.push({ direction: d.direction, datagram: index, epoch, sequence, flags, connectionId, type: plain[end - 1]!, content: plain.subarray(0, end - 1) });
      expected.set(`${d.direction}:${epoch}`, Math.max(next, sequence + 1));
      if (epoch > current) currentEpoch.set(d.direction, epoch);
      bytes = bytes.subarray(at + length);
    }
  });
  return out;
}

function decrypt(suite: SuiteSpec, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array {
  try {
    if (suite.cipher === 'aes-128-ccm') {
      const d = createDecipheriv('aes-128-ccm', key, nonce, { authTagLength: suite.tagLength });
      d.setAuthTag(tag);
      d.setAAD(aad, { plaintextLength: ciphertext.length });
      return new Uint8Array(Buffer.concat([d.update(ciphertext), d.final()]));
    }
    const d =
      suite.cipher === 'chacha20-poly1305'
        ? createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: suite.tagLength })
        : createDecipheriv(suite.cipher, key, nonce, { authTagLength: suite.tagLength });
    d.setAuthTag(tag);
    d.setAAD(aad);
    return new Uint8Array(Buffer.concat([d.update(ciphertext), d.final()]));
  } catch (error) {
    throw new Error(`record does not open (${suite.cipher}): ${String(error)}`);
  }
}
