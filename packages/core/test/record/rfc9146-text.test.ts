/**
 * RFC 9146 (Connection Identifier for DTLS 1.2) checked against the RFC's own text, byte by byte,
 * on what a real in-memory session between two dtls-kit engines put on the wire. No Debian
 * package speaks RFC 9146 for DTLS 1.2 (mbedTLS 2.28 implements draft 05 with extension 254 and
 * another additional data; wolfSSL 5.5.4 only DTLS 1.3 CIDs), so the RFC text is the reference.
 *
 * Nothing here goes through the engine's own parsers or record layer: the hellos and records are
 * cut at the offsets the RFC structures give, and the records are opened with node:crypto using
 * keys derived by hand from the key log line (RFC 5246 5 PRF, 6.3 key_block) and the additional
 * data written out field by field from RFC 9146 5.3.
 *
 * The structures, quoted from RFC 9146 (final text, March 2022, published from
 * draft-ietf-tls-dtls-connection-id-13). The earlier drafts' AAD — "seq_num + tls12_cid +
 * DTLSCipherText.version + cid + cid_length + length_of_DTLSInnerPlaintext", the one mbedTLS 2.28
 * implements from draft 05 — was replaced before publication by the one of 5.3 below, which
 * starts with 8 bytes of 0xff so that it can never equal a DTLS 1.2 AAD without a CID:
 *
 * RFC 9146 3:
 *     enum {
 *        connection_id(54), (65535)
 *     } ExtensionType;
 *
 *     struct {
 *         opaque cid<0..2^8-1>;
 *     } ConnectionId;
 *
 * RFC 9146 4 (Figure 2, Figure 3):
 *     struct {
 *         opaque content[length];
 *         ContentType real_type;
 *         uint8 zeros[length_of_padding];
 *     } DTLSInnerPlaintext;
 *
 *     struct {
 *         ContentType outer_type = tls12_cid;
 *         ProtocolVersion version;
 *         uint16 epoch;
 *         uint48 sequence_number;
 *         opaque cid[cid_length];               // New field
 *         uint16 length;
 *         opaque enc_content[DTLSCiphertext.length];
 *     } DTLSCiphertext;
 *
 * RFC 9146 5: "cid_length: 1 byte field indicating the length of the negotiated CID."
 *   "length_of_DTLSInnerPlaintext: The length (in bytes) of the serialized DTLSInnerPlaintext
 *   (two-byte integer)." "seq_num_placeholder: 8 bytes of 0xff"
 *
 * RFC 9146 5.3:
 *     additional_data = seq_num_placeholder +
 *                       tls12_cid +
 *                       cid_length +
 *                       tls12_cid +
 *                       DTLSCiphertext.version +
 *                       epoch +
 *                       sequence_number +
 *                       cid +
 *                       length_of_DTLSInnerPlaintext;
 *
 * RFC 9146 10.1 (IANA): tls12_cid is ContentType 25.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/bytes.js';
import type { AeadAlgorithm } from '../../src/crypto/provider.js';
import { type Direction, Pair } from '../engine/harness.js';
import { nodeOpen } from './node-aead.js';

const TLS12_CID = 25;

interface SuiteKeys {
  name: string;
  algorithm: AeadAlgorithm;
  keyLength: number;
  /** fixed_iv_length: 4 for GCM (RFC 5288 3) and CCM (RFC 6655 3), 12 for ChaCha20 (RFC 7905 2). */
  ivLength: number;
  /** record_iv_length: the explicit nonce in front of the ciphertext. */
  explicitLength: number;
  tagLength: number;
}

const SUITES: SuiteKeys[] = [
  { name: 'PSK-AES128-GCM-SHA256', algorithm: 'aes-128-gcm', keyLength: 16, ivLength: 4, explicitLength: 8, tagLength: 16 },
  { name: 'PSK-AES128-CCM8', algorithm: 'aes-128-ccm-8', keyLength: 16, ivLength: 4, explicitLength: 8, tagLength: 8 },
  { name: 'ECDHE-PSK-CHACHA20-POLY1305', algorithm: 'chacha20-poly1305', keyLength: 32, ivLength: 12, explicitLength: 0, tagLength: 16 },
];

const u16 = (d: Uint8Array, at: number): number => ((d[at] ?? 0) << 8) | (d[at + 1] ?? 0);
const u24 = (d: Uint8Array, at: number): number => ((d[at] ?? 0) << 16) | u16(d, at + 1);

/** RFC 5246 5: P_SHA256(secret, label + seed), `length` bytes (every suite here uses SHA-256). */
function prf(secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  const labelSeed = concatBytes(utf8(label), seed);
  const out: Uint8Array[] = [];
  let a: Uint8Array = labelSeed;
  let total = 0;
  while (total < length) {
    a = new Uint8Array(createHmac('sha256', secret).update(a).digest());
    const block = new Uint8Array(createHmac('sha256', secret).update(a).update(labelSeed).digest());
    out.push(block);
    total += block.length;
  }
  return concatBytes(...out).subarray(0, length);
}

interface DirectionKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

/** RFC 5246 6.3 key_block: client MAC, server MAC (empty for AEAD), client key, server key, client IV, server IV. */
function keyBlock(suite: SuiteKeys, masterSecret: Uint8Array, serverRandom: Uint8Array, clientRandom: Uint8Array): Record<Direction, DirectionKeys> {
  const n = 2 * suite.keyLength + 2 * suite.ivLength;
  const kb = prf(masterSecret, 'key expansion', concatBytes(serverRandom, clientRandom), n);
  const k = suite.keyLength;
  const v = suite.ivLength;
  return {
    c2s: { key: kb.slice(0, k), iv: kb.slice(2 * k, 2 * k + v) },
    s2c: { key: kb.slice(k, 2 * k), iv: kb.slice(2 * k + v, 2 * k + 2 * v) },
  };
}

interface WireRecord {
  bytes: Uint8Array;
  type: number;
  epoch: number;
}

/**
 * Cuts a datagram into records: a tls12_cid record's header is 13 + cid_length bytes (RFC 9146 4;
 * the receiver knows its CID's length, the record does not carry it), any other 13 (RFC 6347 4.1).
 */
function cutRecords(datagram: Uint8Array, cidLength: number): WireRecord[] {
  const out: WireRecord[] = [];
  let at = 0;
  while (at < datagram.length) {
    const type = datagram[at] ?? 0;
    const cid = type === TLS12_CID ? cidLength : 0;
    const length = u16(datagram, at + 11 + cid);
    const end = at + 13 + cid + length;
    expect(end).toBeLessThanOrEqual(datagram.length);
    out.push({ bytes: datagram.subarray(at, end), type, epoch: u16(datagram, at + 3) });
    at = end;
  }
  return out;
}

/**
 * The body of the last complete, unfragmented epoch-0 handshake message of `msgType` a side sent
 * (`cidLength`: the CID in that direction's tls12_cid records, which may share the datagram).
 */
function helloBody(p: Pair, direction: Direction, msgType: number, cidLength: number): Uint8Array {
  let found: Uint8Array | undefined;
  for (const w of p.wire) {
    if (w.direction !== direction) continue;
    for (const r of cutRecords(w.datagram, cidLength)) {
      if (r.type !== 22 || r.epoch !== 0) continue;
      // RFC 6347 4.2.2: msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3).
      const f = r.bytes.subarray(13);
      if (f[0] === msgType && u24(f, 6) === 0 && u24(f, 9) === u24(f, 1)) found = f.subarray(12, 12 + u24(f, 1));
    }
  }
  if (!found) throw new Error(`no handshake message ${msgType} sent ${direction}`);
  return found;
}

/** The extensions block of a hello (RFC 5246 7.4.1.2/7.4.1.3, RFC 6347 4.2.1 adds the cookie). */
function helloExtensions(body: Uint8Array, isClientHello: boolean): Uint8Array {
  let at = 2 + 32; // version, random
  at += 1 + (body[at] ?? 0); // session_id<0..32>
  if (isClientHello) {
    at += 1 + (body[at] ?? 0); // cookie<0..2^8-1>
    at += 2 + u16(body, at); // cipher_suites<2..2^16-2>
    at += 1 + (body[at] ?? 0); // compression_methods<1..2^8-1>
  } else {
    at += 2 + 1; // cipher_suite, compression_method
  }
  const length = u16(body, at);
  expect(at + 2 + length).toBe(body.length);
  return body.subarray(at + 2, at + 2 + length);
}

/** The raw `Extension` (type(2) length(2) data) of `type`, bytes included, or undefined. */
function rawExtension(extensions: Uint8Array, type: number): Uint8Array | undefined {
  let at = 0;
  while (at + 4 <= extensions.length) {
    const length = u16(extensions, at + 2);
    if (u16(extensions, at) === type) return extensions.subarray(at, at + 4 + length);
    at += 4 + length;
  }
  return undefined;
}

/** RFC 9146 5.3, field by field; the offsets are checked against the field list, not assumed. */
function additionalData(version: Uint8Array, epoch: Uint8Array, sequenceNumber: Uint8Array, cid: Uint8Array, innerLength: number): Uint8Array {
  const fields: [string, Uint8Array][] = [
    ['seq_num_placeholder', new Uint8Array(8).fill(0xff)],
    ['tls12_cid', Uint8Array.of(TLS12_CID)],
    ['cid_length', Uint8Array.of(cid.length)],
    ['tls12_cid', Uint8Array.of(TLS12_CID)],
    ['DTLSCiphertext.version', version],
    ['epoch', epoch],
    ['sequence_number', sequenceNumber],
    ['cid', cid],
    ['length_of_DTLSInnerPlaintext', Uint8Array.of(innerLength >> 8, innerLength & 0xff)],
  ];
  const sizes = fields.map(([, b]) => b.length);
  expect(sizes).toEqual([8, 1, 1, 1, 2, 2, 6, cid.length, 2]);
  return concatBytes(...fields.map(([, b]) => b));
}

interface Opened {
  header: { outerType: number; version: string; epoch: number; sequenceNumber: number; cid: string; length: number };
  content: Uint8Array;
  realType: number;
  zeros: number;
}

/** Opens one tls12_cid record by hand: header at RFC 9146 4's offsets, AAD from 5.3, the suite's nonce. */
function openByHand(record: Uint8Array, cidLength: number, suite: SuiteKeys, keys: DirectionKeys, aad = additionalData): Opened | undefined {
  // DTLSCiphertext: outer_type @0, version @1..2, epoch @3..4, sequence_number @5..10,
  // cid @11..11+cid_length-1, length @11+cid_length..12+cid_length, enc_content after.
  const version = record.subarray(1, 3);
  const epoch = record.subarray(3, 5);
  const seq = record.subarray(5, 11);
  const cid = record.subarray(11, 11 + cidLength);
  const length = u16(record, 11 + cidLength);
  const encContent = record.subarray(13 + cidLength);
  expect(encContent.length).toBe(length);
  const explicit = encContent.subarray(0, suite.explicitLength);
  const sealed = encContent.subarray(suite.explicitLength);
  const innerLength = sealed.length - suite.tagLength;
  // GCM (RFC 5288 3) and CCM (RFC 6655 3): salt || nonce_explicit; ChaCha20 (RFC 7905 2):
  // client/server_write_IV XOR the 64-bit epoch || sequence_number, left-padded to 96 bits.
  const nonce =
    suite.explicitLength > 0
      ? concatBytes(keys.iv, explicit)
      : keys.iv.map((b, i) => b ^ (concatBytes(new Uint8Array(4), epoch, seq)[i] ?? 0));
  const inner = nodeOpen(suite.algorithm, keys.key, nonce, sealed, aad(version, epoch, seq, cid, innerLength));
  if (!inner) return undefined;
  // DTLSInnerPlaintext: content || real_type || zeros — the real type is the last non-zero byte.
  let t = inner.length - 1;
  while (t >= 0 && inner[t] === 0) t--;
  return {
    header: {
      outerType: record[0] ?? 0,
      version: toHex(version),
      epoch: u16(epoch, 0),
      sequenceNumber: u16(seq, 0) * 2 ** 32 + u16(seq, 2) * 2 ** 16 + u16(seq, 4),
      cid: toHex(cid),
      length,
    },
    content: inner.subarray(0, t),
    realType: inner[t] ?? 0,
    zeros: inner.length - 1 - t,
  };
}

async function session(suite: string, clientCid: number, serverCid: number): Promise<Pair> {
  const p = await new Pair({ client: { cipherSuites: suite, connectionId: { length: clientCid } }, server: { connectionId: { length: serverCid } } }).handshake();
  p.client.send(utf8('ping'));
  await p.run();
  p.s.send(utf8('pong'));
  await p.run();
  p.client.close();
  await p.run();
  return p;
}

describe('RFC 9146 wire format, checked against the RFC text on a real session', () => {
  it('the connection_id extension is type 54 carrying ConnectionId { opaque cid<0..2^8-1> } (RFC 9146 3)', async () => {
    const p = await session('PSK-AES128-GCM-SHA256', 6, 4);
    const clientCid = p.client.connectionId?.receive ?? new Uint8Array(0);
    const serverCid = p.s.connectionId?.receive ?? new Uint8Array(0);
    const ch = rawExtension(helloExtensions(helloBody(p, 'c2s', 1, 4), true), 54);
    const sh = rawExtension(helloExtensions(helloBody(p, 's2c', 2, 6), false), 54);
    // extension_type(2) = 0x0036, extension_data length(2) = 1 + cid, cid<0..2^8-1>: length(1) || cid.
    expect(ch && toHex(ch)).toBe('0036' + '0007' + '06' + toHex(clientCid));
    expect(sh && toHex(sh)).toBe('0036' + '0005' + '04' + toHex(serverCid));
    // The ClientHello carries the CID the client wants to receive, the ServerHello the server's.
    expect(toHex(p.s.connectionId?.send ?? new Uint8Array(0))).toBe(toHex(clientCid));
    expect(toHex(p.client.connectionId?.send ?? new Uint8Array(0))).toBe(toHex(serverCid));
    // "A zero-length CID value indicates that the client is prepared to send using a CID but does
    // not wish the server to use one when sending": the extension is then 0x0036 0x0001 0x00.
    const empty = await session('PSK-AES128-GCM-SHA256', 0, 3);
    const emptyExt = rawExtension(helloExtensions(helloBody(empty, 'c2s', 1, 3), true), 54);
    expect(emptyExt && toHex(emptyExt)).toBe('0036000100');
  });

  it.each(SUITES)('$name: every protected record is DTLSCiphertext (RFC 9146 4) and opens by hand with the RFC 9146 5.3 AAD', async (suite) => {
    const p = await session(suite.name, 6, 4);
    const cid: Record<Direction, Uint8Array> = {
      c2s: p.s.connectionId?.receive ?? new Uint8Array(0),
      s2c: p.client.connectionId?.receive ?? new Uint8Array(0),
    };
    expect(cid.c2s.length).toBe(4);
    expect(cid.s2c.length).toBe(6);
    // Keys by hand: the key log line gives client_random and master_secret (NSS key log format);
    // server_random is in the ServerHello at offset 2.
    const line = p.client.keyLogLine ?? '';
    const [label, clientRandomHex, masterHex] = line.split(' ');
    expect(label).toBe('CLIENT_RANDOM');
    const serverRandom = helloBody(p, 's2c', 2, 6).subarray(2, 34);
    const keys = keyBlock(suite, fromHex(masterHex ?? ''), serverRandom, fromHex(clientRandomHex ?? ''));

    const seen: Record<Direction, { type: number; content: string; seq: number }[]> = { c2s: [], s2c: [] };
    for (const w of p.wire) {
      for (const r of cutRecords(w.datagram, cid[w.direction].length)) {
        if (r.epoch === 0) {
          expect(r.type).not.toBe(TLS12_CID); // "Plaintext payloads never use the new record format" (RFC 9146 3)
          continue;
        }
        const opened = openByHand(r.bytes, cid[w.direction].length, suite, keys[w.direction]);
        expect(opened, `${w.direction} epoch ${r.epoch} record opens with the RFC 9146 5.3 AAD`).toBeDefined();
        if (!opened) continue;
        expect(opened.header.outerType).toBe(TLS12_CID); // outer_type = tls12_cid (25)
        expect(opened.header.version).toBe('fefd'); // DTLS 1.2
        expect(opened.header.epoch).toBe(1);
        expect(opened.header.cid).toBe(toHex(cid[w.direction])); // the receiver's CID
        expect(opened.header.length).toBe(r.bytes.length - 13 - cid[w.direction].length);
        expect(opened.zeros).toBe(0); // we pad with no zeros (padding is allowed, not required)
        // The AAD of the draft versions (seq_num + tls12_cid + version + cid + cid_length +
        // length) must NOT open it: we implement the final text, not draft 05 (mbedTLS 2.28).
        const draft = (v: Uint8Array, e: Uint8Array, s: Uint8Array, c: Uint8Array, n: number): Uint8Array =>
          concatBytes(e, s, Uint8Array.of(TLS12_CID), v, c, Uint8Array.of(c.length, n >> 8, n & 0xff));
        expect(openByHand(r.bytes, cid[w.direction].length, suite, keys[w.direction], draft)).toBeUndefined();
        seen[w.direction].push({ type: opened.realType, content: toHex(opened.content), seq: opened.header.sequenceNumber });
      }
    }
    for (const d of ['c2s', 's2c'] as const) {
      const records = seen[d];
      // First in epoch 1: Finished, a handshake (22) message: msg_type 20, length 12 (verify_data).
      expect(records[0]?.type).toBe(22);
      expect(records[0]?.content.slice(0, 8)).toBe('1400000c');
      expect(records[0]?.seq).toBe(0);
      // Sequence numbers strictly increase within the epoch.
      expect(records.every((r, i) => i === 0 || r.seq > (records[i - 1]?.seq ?? 0))).toBe(true);
    }
    // The application data, real_type 23, inside the encryption envelope.
    expect(seen.c2s.filter((r) => r.type === 23).map((r) => r.content)).toEqual([toHex(utf8('ping'))]);
    expect(seen.s2c.filter((r) => r.type === 23).map((r) => r.content)).toEqual([toHex(utf8('pong'))]);
    // close_notify: an alert (21), warning(1) close_notify(0), in a CID record too (RFC 9146 3).
    expect(seen.c2s.filter((r) => r.type === 21).map((r) => r.content)).toContain('0100');
    console.log(`${suite.name}: opened by hand ${seen.c2s.length} client->server and ${seen.s2c.length} server->client tls12_cid records`);
  });

  it('the longest CID, 255 bytes (cid<0..2^8-1>), and the shortest, 1: extension and records at the RFC offsets', async () => {
    const suite = SUITES[0];
    if (!suite) throw new Error('no suite');
    const p = await session(suite.name, 255, 1);
    const clientCid = p.client.connectionId?.receive ?? new Uint8Array(0);
    const ch = rawExtension(helloExtensions(helloBody(p, 'c2s', 1, 1), true), 54);
    // extension_data is 256 bytes: the 8-bit length 0xff, then 255 bytes of CID.
    expect(ch && toHex(ch.subarray(0, 5))).toBe('0036' + '0100' + 'ff');
    expect(ch && toHex(ch.subarray(5))).toBe(toHex(clientCid));
    const [, clientRandomHex, masterHex] = (p.client.keyLogLine ?? '').split(' ');
    const keys = keyBlock(suite, fromHex(masterHex ?? ''), helloBody(p, 's2c', 2, 255).subarray(2, 34), fromHex(clientRandomHex ?? ''));
    const lengths: Record<Direction, number> = { c2s: 1, s2c: 255 };
    const data: string[] = [];
    for (const w of p.wire) {
      for (const r of cutRecords(w.datagram, lengths[w.direction])) {
        if (r.epoch === 0) continue;
        const opened = openByHand(r.bytes, lengths[w.direction], suite, keys[w.direction]);
        expect(opened?.header.cid.length).toBe(2 * lengths[w.direction]);
        if (opened?.realType === 23) data.push(new TextDecoder().decode(opened.content));
      }
    }
    expect(data).toEqual(['ping', 'pong']);
  });

  it('a zero-length CID in one direction: plain DTLS 1.2 records that way (RFC 9146 3), tls12_cid the other', async () => {
    const suite = SUITES[0];
    if (!suite) throw new Error('no suite');
    const p = await session(suite.name, 0, 5);
    const types: Record<Direction, number[]> = { c2s: [], s2c: [] };
    for (const w of p.wire) {
      const cidLength = w.direction === 'c2s' ? 5 : 0;
      for (const r of cutRecords(w.datagram, cidLength)) if (r.epoch > 0) types[w.direction].push(r.type);
    }
    expect(types.c2s.length).toBeGreaterThan(0);
    expect(types.c2s.every((t) => t === TLS12_CID)).toBe(true);
    expect(types.s2c.length).toBeGreaterThan(0);
    expect(types.s2c.every((t) => t !== TLS12_CID)).toBe(true);
  });
});
