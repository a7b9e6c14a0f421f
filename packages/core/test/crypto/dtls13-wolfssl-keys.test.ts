/**
 * The DTLS 1.3 key schedule ("dtls13" prefix, RFC 9147 5.9) and transcript (TLS-style headers,
 * RFC 9147 5.2; message_hash after a HelloRetryRequest, RFC 8446 4.4.1) against wolfSSL 5.5.4.
 * Each capture (test/fixtures/wolfssl13-keys/psk-ke-SUITE.json, made by capture.mjs beside
 * it) is a whole handshake between wolfSSL's example programs:
 *   server: ./examples/server/server -u -v 4 -s -K -l TLS13-AES128-GCM-SHA256 -p PORT
 *   client: ./examples/client/client -u -v 4 -s -K -l TLS13-AES128-GCM-SHA256 -h 127.0.0.1 -p RELAY_PORT
 * with its hard-coded external PSK (0123456789abcdef four times) in psk_ke mode, so every key
 * follows from the PSK and the messages. The server answers the first ClientHello with a
 * HelloRetryRequest (cookie). From the bytes alone we check wolfSSL's two PSK binders, derive
 * the handshake and application traffic secrets, take the record-number key and the AEAD keys
 * from them to unmask and open every protected record, and check both Finished messages. A
 * second capture adds a KeyUpdate each way (client option -I): the records of epoch 4 open
 * under the next generation of the application traffic secrets (RFC 8446 7.2, RFC 9147 8).
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/bytes.js';
import { checkFinished13 } from '../../src/crypto/finished-13.js';
import { HASH_LENGTH } from '../../src/crypto/hkdf.js';
import { DTLS13_LABEL_PREFIX, type LabelledHkdf, TLS13_LABEL_PREFIX } from '../../src/crypto/hkdf-label.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import {
  binderKey,
  clientApplicationTrafficSecret,
  clientHandshakeTrafficSecret,
  earlySecret,
  handshakeSecret,
  masterSecret,
  serverApplicationTrafficSecret,
  serverHandshakeTrafficSecret,
} from '../../src/crypto/key-schedule-13.js';
import { bindersListLength, checkPskBinder, truncateClientHello } from '../../src/crypto/psk-binder.js';
import { nextApplicationTrafficSecret, trafficKeys13, type TrafficKeys13 } from '../../src/crypto/traffic-keys-13.js';
import { Transcript13, transcriptFormOfDtlsMessage } from '../../src/crypto/transcript-13.js';
import {
  CAPTURE_SUITES,
  type Capture,
  type CaptureSuite,
  type UnifiedRecord,
  headerWithSequence,
  innerPlaintext,
  loadCapture,
  plaintextRecords,
  rfcChachaMask,
  recordNonce,
  unifiedRecords,
  unmaskSequence,
} from './dtls13-capture.js';
import { PROVIDERS } from './providers.js';

const SUITE_CAPTURES: readonly Capture[] = ['aes128gcm', 'aes256gcm', 'chacha20poly1305', 'aes128ccm', 'aes128ccm8'].map((n) => loadCapture(`wolfssl13-keys/psk-ke-${n}.json`));
const KEY_UPDATE_CAPTURE = loadCapture('wolfssl13-keys/psk-ke-key-update.json');
const HANDSHAKE = 22;
const APPLICATION_DATA = 23;
const ALERT = 21;
const ACK = 26;

/** The binders of a ClientHello in transcript form (pre_shared_key is its last extension, RFC 8446 4.2.11). */
function lastExtension(clientHello: Uint8Array): { type: number; data: Uint8Array } {
  const body = clientHello.subarray(4);
  let q = 2 + 32;
  q += 1 + body[q]!; // legacy_session_id
  q += 1 + body[q]!; // legacy_cookie (DTLS 1.3 keeps the field, empty: RFC 9147 5.3)
  q += 2 + ((body[q]! << 8) | body[q + 1]!); // cipher_suites
  q += 1 + body[q]!; // legacy_compression_methods
  const end = q + 2 + ((body[q]! << 8) | body[q + 1]!);
  q += 2;
  let last: { type: number; data: Uint8Array } = { type: -1, data: new Uint8Array(0) };
  while (q < end) {
    const type = (body[q]! << 8) | body[q + 1]!;
    const length = (body[q + 2]! << 8) | body[q + 3]!;
    last = { type, data: body.subarray(q + 4, q + 4 + length) };
    q += 4 + length;
  }
  return last;
}

/** OfferedPsks.binders of a pre_shared_key extension: the list after the identities. */
function binders(pskExtension: Uint8Array): Uint8Array[] {
  const identitiesLength = (pskExtension[0]! << 8) | pskExtension[1]!;
  const list = pskExtension.subarray(2 + identitiesLength + 2);
  const out: Uint8Array[] = [];
  for (let q = 0; q < list.length; q += 1 + list[q]!) out.push(list.subarray(q + 1, q + 1 + list[q]!));
  return out;
}

/** The handshake messages (with their DTLS headers) of the epoch-0 datagrams, in order. */
function plaintextHandshakeMessages(capture: Capture): { dir: 'c2s' | 's2c'; message: Uint8Array }[] {
  const out: { dir: 'c2s' | 's2c'; message: Uint8Array }[] = [];
  for (const d of capture.datagrams) {
    if (d.bytes[0] !== HANDSHAKE) continue;
    for (const r of plaintextRecords(d.bytes)) out.push({ dir: d.dir, message: r.fragment });
  }
  return out;
}

interface Opened {
  readonly dir: 'c2s' | 's2c';
  readonly epoch: number;
  readonly sequence: number;
  readonly contentType: number;
  readonly content: Uint8Array;
}

/** RFC 9147 4.2.3 then 4: unmask the record number with sn_key, open with key/iv, AAD = header with the clear number. */
function open(record: UnifiedRecord, suite: CaptureSuite, keys: TrafficKeys13): { sequence: number; contentType: number; content: Uint8Array } | null {
  const sequence = unmaskSequence(record, suite, keys.snKey);
  const plain = suite.open(keys.key, recordNonce(keys.iv, BigInt(sequence)), headerWithSequence(record, sequence), record.ciphertext);
  return plain === null ? null : { sequence, ...innerPlaintext(plain) };
}

/**
 * Replays a capture through our key schedule: checks both binders, derives every secret, opens
 * every protected record (epochs 2, 3 and, after a KeyUpdate, 4 and on) and checks both Finished.
 */
function replay(capture: Capture, provider: CryptoProvider, suiteOverride?: CaptureSuite): Opened[] {
  const suite = suiteOverride ?? CAPTURE_SUITES[capture.suite];
  if (suite === undefined) throw new Error(`unknown suite ${capture.suite}`);
  const hash = suite.hash;
  const kdf: LabelledHkdf = { provider, hash, labelPrefix: DTLS13_LABEL_PREFIX };
  const binderLength = HASH_LENGTH[hash];
  const messages = plaintextHandshakeMessages(capture);
  expect(messages.map((m) => [m.dir, m.message[0]])).toEqual([
    ['c2s', 1], // ClientHello1
    ['s2c', 2], // HelloRetryRequest (a ServerHello with the special random, RFC 8446 4.1.3)
    ['c2s', 1], // ClientHello2, with the cookie
    ['s2c', 2], // ServerHello
  ]);
  const [ch1, hrr, ch2, sh] = messages.map((m) => transcriptFormOfDtlsMessage(m.message));
  expect(toHex(hrr!.subarray(6, 38))).toBe('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');

  const early = earlySecret(kdf, capture.psk);
  const bk = binderKey(kdf, early, 'external');
  const t = new Transcript13();

  // ClientHello1's binder covers ClientHello1 truncated (RFC 8446 4.2.11.2) in transcript form.
  const psk1 = lastExtension(ch1!);
  expect(psk1.type).toBe(41); // pre_shared_key
  const b1 = binders(psk1.data);
  expect(b1.map((b) => b.length)).toEqual([binderLength]);
  checkPskBinder(kdf, bk, t.hashWith(provider, hash, truncateClientHello(ch1!, bindersListLength([binderLength]))), b1[0]!);
  // The same bytes under the TLS prefix, or hashed with their DTLS header, do not verify.
  const tlsKdf: LabelledHkdf = { ...kdf, labelPrefix: TLS13_LABEL_PREFIX };
  expect(() => checkPskBinder(tlsKdf, binderKey(tlsKdf, earlySecret(tlsKdf, capture.psk), 'external'), t.hashWith(provider, hash, truncateClientHello(ch1!, bindersListLength([binderLength]))), b1[0]!)).toThrow(/binder/);
  expect(() => checkPskBinder(kdf, bk, t.hashWith(provider, hash, truncateClientHello(messages[0]!.message, bindersListLength([binderLength]))), b1[0]!)).toThrow(/binder/);

  // After the HelloRetryRequest: message_hash(ClientHello1) || HelloRetryRequest || Truncate(ClientHello2).
  t.addTlsMessage(ch1!);
  t.replaceClientHelloWithMessageHash(provider, hash);
  t.addTlsMessage(hrr!);
  const b2 = binders(lastExtension(ch2!).data);
  checkPskBinder(kdf, bk, t.hashWith(provider, hash, truncateClientHello(ch2!, bindersListLength([binderLength]))), b2[0]!);
  t.addTlsMessage(ch2!);
  t.addTlsMessage(sh!);

  // psk_ke: no (EC)DHE input (RFC 8446 7.1: zeros).
  const hs = handshakeSecret(kdf, early);
  const master = masterSecret(kdf, hs);
  const helloHash = t.hash(provider, hash);
  // secrets[dir][epoch]: 2 = handshake, 3 = application_traffic_secret_0, 4.. = the next generations.
  const secrets: Record<'c2s' | 's2c', Uint8Array[]> = { c2s: [], s2c: [] };
  secrets.c2s[2] = clientHandshakeTrafficSecret(kdf, hs, helloHash);
  secrets.s2c[2] = serverHandshakeTrafficSecret(kdf, hs, helloHash);
  const lastEpoch: Record<'c2s' | 's2c', number> = { c2s: 2, s2c: 2 };

  const opened: Opened[] = [];
  for (const d of capture.datagrams.filter((x) => x.bytes[0] !== HANDSHAKE)) {
    for (const r of unifiedRecords(d.bytes)) {
      // RFC 9147 4.2.2: the full epoch is the one nearest the last, with these low two bits.
      const epoch = [lastEpoch[d.dir], lastEpoch[d.dir] + 1, lastEpoch[d.dir] + 2, lastEpoch[d.dir] + 3].find((e) => (e & 3) === r.epochBits)!;
      let secret = secrets[d.dir][epoch];
      if (secret === undefined && epoch > 3) {
        const previous = secrets[d.dir][epoch - 1];
        if (previous === undefined) throw new Error(`${d.dir} epoch ${epoch} before epoch ${epoch - 1}`);
        secret = nextApplicationTrafficSecret(kdf, previous);
        secrets[d.dir][epoch] = secret;
      }
      if (secret === undefined) throw new Error(`${d.dir} epoch ${epoch} before its keys`);
      const result = open(r, suite, trafficKeys13(kdf, secret, suite.keyLength, 12));
      expect(result, `${d.dir} epoch ${epoch} record opens`).not.toBeNull();
      if (result === null) return opened;
      lastEpoch[d.dir] = Math.max(lastEpoch[d.dir], epoch);
      opened.push({ dir: d.dir, epoch, ...result });
      if (epoch === 2 && result.contentType === HANDSHAKE) {
        const message = transcriptFormOfDtlsMessage(result.content);
        if (message[0] === 20) {
          // Finished: verify_data over the transcript so far (RFC 8446 4.4.4).
          checkFinished13(kdf, secret, t.hash(provider, hash), message.subarray(4), d.dir === 's2c' ? 'server' : 'client');
        }
        t.addTlsMessage(message);
        if (message[0] === 20 && d.dir === 's2c') {
          const serverFinishedHash = t.hash(provider, hash);
          secrets.c2s[3] = clientApplicationTrafficSecret(kdf, master, serverFinishedHash);
          secrets.s2c[3] = serverApplicationTrafficSecret(kdf, master, serverFinishedHash);
        }
      }
    }
  }
  return opened;
}

/** The KeyUpdate capture, record by record: direction, epoch, sequence, content type, handshake type. */
const KEY_UPDATE_TRACE: readonly (string | number | undefined)[][] = [
  ['s2c', 2, 0, HANDSHAKE, 8], // EncryptedExtensions
  ['s2c', 2, 1, HANDSHAKE, 20], // Finished
  ['c2s', 2, 0, HANDSHAKE, 20], // Finished
  ['s2c', 3, 0, ACK, undefined],
  ['c2s', 3, 0, HANDSHAKE, 24], // KeyUpdate(update_requested)
  ['c2s', 3, 1, APPLICATION_DATA, undefined], // still epoch 3: the KeyUpdate is not yet acknowledged (RFC 9147 8)
  ['s2c', 3, 1, HANDSHAKE, 24], // KeyUpdate(update_not_requested)
  ['s2c', 3, 2, ACK, undefined], // acknowledges the client's KeyUpdate
  ['s2c', 3, 3, APPLICATION_DATA, undefined],
  ['c2s', 3, 2, ACK, undefined], // acknowledges the server's KeyUpdate
  ['c2s', 4, 0, APPLICATION_DATA, undefined], // the client's next generation
  ['c2s', 4, 1, ALERT, undefined],
  ['s2c', 4, 0, ALERT, undefined], // the server's next generation
];
const text = (o: Opened | undefined): string => Buffer.from(o?.content ?? new Uint8Array(0)).toString('latin1');
/** ACK content (RFC 9147 7): record_numbers<2..2^16-2> of (uint64 epoch, uint64 sequence_number). */
const ackOf = (...records: readonly [number, number][]): string =>
  toHex(concatBytes(Uint8Array.of(0, 16 * records.length), ...records.map(([e, s]) => concatBytes(new Uint8Array(7), Uint8Array.of(e), new Uint8Array(7), Uint8Array.of(s)))));

describe('wolfSSL 5.5.4 quirk: the ChaCha20 record-number mask', () => {
  it('reads the counter big-endian: the RFC 9147 4.2.3 / RFC 8439 little-endian reading does not unmask its records', () => {
    const capture = SUITE_CAPTURES.find((c) => c.suite === 'TLS13-CHACHA20-POLY1305-SHA256')!;
    const wolf = CAPTURE_SUITES[capture.suite]!;
    const rfc: CaptureSuite = { ...wolf, mask: rfcChachaMask };
    const provider = PROVIDERS[0]!.provider;
    // Replaying with the RFC's reading fails at the first protected record; wolfSSL's reading opens them all.
    expect(() => replay(capture, provider, rfc)).toThrow(/record opens/);
    expect(replay(capture, provider, wolf)).toHaveLength(8);
  });
});

describe.each(PROVIDERS)('DTLS 1.3 key schedule against wolfSSL 5.5.4 captures: $name provider', ({ provider }) => {
  it.each(SUITE_CAPTURES)('$suite: binders, handshake and application secrets, sn_key, both Finished messages and every protected record', (capture) => {
    const opened = replay(capture, provider);
    // wolfSSL 5.5.4 sent no close_notify in any of our CCM-8 runs; the other suites end with one each way.
    const closes = capture.suite === 'TLS13-AES128-CCM-8-SHA256' ? [] : [['s2c', 3, 2, ALERT], ['c2s', 3, 1, ALERT]];
    expect(opened.map((o) => [o.dir, o.epoch, o.sequence, o.contentType])).toEqual([
      ['s2c', 2, 0, HANDSHAKE], // EncryptedExtensions
      ['s2c', 2, 1, HANDSHAKE], // Finished
      ['c2s', 2, 0, HANDSHAKE], // Finished
      ['s2c', 3, 0, ACK], // the server acknowledges the client's Finished (RFC 9147 7)
      ['c2s', 3, 0, APPLICATION_DATA],
      ['s2c', 3, 1, APPLICATION_DATA],
      ...closes,
    ]);
    expect(opened.slice(0, 4).map((o) => o.content[0])).toEqual([8, 20, 20, 0]);
    expect(text(opened[4])).toBe('hello wolfssl!');
    expect(text(opened[5])).toBe('I hear you fa shizzle!');
    expect(toHex(opened[3]!.content)).toBe(ackOf([2, 0]));
    // close_notify (warning 1, description 0).
    for (const o of opened.slice(6)) expect(toHex(o.content)).toBe('0100');
  });

  it('KeyUpdate both ways: epoch 4 opens under the next-generation application traffic secrets', () => {
    const opened = replay(KEY_UPDATE_CAPTURE, provider);
    const summary = opened.map((o) => [o.dir, o.epoch, o.sequence, o.contentType, o.contentType === HANDSHAKE ? o.content[0] : undefined]);
    expect(summary).toEqual(KEY_UPDATE_TRACE);
    const keyUpdates = opened.filter((o) => o.contentType === HANDSHAKE && o.content[0] === 24);
    // KeyUpdate (RFC 8446 4.6.3): one byte, update_requested(1) from the client, update_not_requested(0) in reply.
    expect(keyUpdates.map((o) => [o.dir, toHex(o.content.subarray(12))])).toEqual([
      ['c2s', '01'],
      ['s2c', '00'],
    ]);
    // wolfSSL's client writes its message once under each generation of its keys.
    expect(opened.filter((o) => o.contentType === APPLICATION_DATA).map(text)).toEqual(['hello wolfssl!', 'I hear you fa shizzle!', 'hello wolfssl!']);
    expect(toHex(opened[7]!.content)).toBe(ackOf([3, 0]));
    expect(toHex(opened[9]!.content)).toBe(ackOf([3, 1]));
  });
});
