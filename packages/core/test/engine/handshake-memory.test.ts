/**
 * What one half-open server handshake costs in heap. A ClientHello with a valid cookie makes the
 * server keep state (RFC 6347 4.2.1: only then); an attacker who receives at many addresses can
 * open many such handshakes, each held until the handshake deadline, so each must stay small.
 * Measured here at the engine: N handshakes accepted through ServerEndpoint, each having sent its
 * flight 4 and waiting for the client's flight 5, the heap after a full GC divided by N.
 *
 * Figures of this probe on the machine it was written on (Node 20, bytes per handshake, best of
 * three runs): ~4,850 before the Part 1 redesign (2c16f85), ~8,200 after it (8c40add), ~4,450
 * once the engine stopped making per-handshake closures, Maps and small arrays, ~3,400 once the
 * connection's host object did too. The bound fails 8c40add by a wide margin and leaves room for
 * noise and other V8 versions. The second test measures what reassembly (RFC 6347 4.2.3) adds
 * for fragments that each claim a large message of their own: each stays held until the
 * handshake deadline.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/bytes.js';
import { DtlsConnection } from '../../src/connection.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { decodeHandshakeFragments, encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeHelloVerifyRequest } from '../../src/handshake/messages/hello-verify-request.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { DTLS_1_2_VERSION, encodeRecord } from '../../src/record/record-header.js';
import { fullGc } from '../support/full-gc.js';
import { clientPsk, serverPsk } from '../support/psk.js';

const HANDSHAKES = 2_000;
const SUITE = 'PSK-AES128-GCM-SHA256';
/**
 * Bytes per half-open handshake this test allows (8c40add: ~8,200; then ~3,400; 3,821-3,928,
 * best of three, on a loaded 2-core machine at 1b0a3bf and now). ~12% of room for a loaded CI run.
 */
const MAX_BYTES_PER_HANDSHAKE = 4_400;
const HANDSHAKES_13 = 1_000;
/**
 * The same for a DTLS 1.3 handshake waiting for the client's Finished (1,000 of them: each runs
 * X25519). 1b0a3bf: 10,710 heap bytes, best of three, and a 1 KB transcript buffer off the heap;
 * now 9,009-9,161 and no transcript (the expected client Finished and the resumption secret are
 * computed with the flight, server-wait-finished-13.ts). The bound fails 1b0a3bf, ~7% of room.
 */
const MAX_BYTES_PER_HANDSHAKE_13 = 9_800;
const FRAGMENTS = 9;
/**
 * Bytes per 1-byte fragment (its own message, claiming 64 KB) held by a half-open handshake
 * (8c40add: ~460; now ~390: a lone run and a lone source record need no arrays).
 */
const MAX_BYTES_PER_FRAGMENT = 430;

/** The only handshake message in a one-record datagram. */
function onlyMessage(datagram: Uint8Array): { msgType: number; messageSeq: number; body: Uint8Array; recordSeq: number } {
  const [record] = splitRecords(datagram);
  if (record === undefined) throw new Error('no record');
  const [f] = decodeHandshakeFragments(record.fragment);
  if (f === undefined) throw new Error('no handshake fragment');
  return { msgType: f.msgType, messageSeq: f.messageSeq, body: f.body, recordSeq: record.header.sequenceNumber };
}

function helloRecord(body: Uint8Array, messageSeq: number, recordSeq: number): Uint8Array {
  const fragment = encodeHandshakeFragment({ msgType: HandshakeType.client_hello, length: body.length, messageSeq, fragmentOffset: 0, body });
  return encodeRecord({ type: ContentType.handshake, version: DTLS_1_2_VERSION, epoch: 0, sequenceNumber: recordSeq }, fragment);
}

/**
 * Opens `count` half-open handshakes on `endpoint`, one per peer address: our client engine's
 * ClientHello, the endpoint's HelloVerifyRequest, the ClientHello again with that cookie (as the
 * client would resend it, RFC 6347 4.2.1), accepted; the server's flight is taken from it.
 */
function halfOpen(endpoint: ServerEndpoint, count: number, round: number): DtlsConnection[] {
  const client = DtlsConnection.client({ maxVersion: 'DTLSv1.2', psk: clientPsk(), cipherSuites: SUITE });
  client.connect(0);
  const [first] = client.datagramsToSend();
  if (first === undefined) throw new Error('the client sent no ClientHello');
  const hello = onlyMessage(first);
  const decoded = decodeClientHello(hello.body);
  const accepted: DtlsConnection[] = [];
  for (let i = 0; i < count; i++) {
    const peer = `198.51.${round}.${i % 250}:${10_000 + i}`;
    const r = endpoint.handle(first, peer, 0);
    if (r.type !== 'reply') throw new Error(`expected a HelloVerifyRequest, got ${r.type}`);
    const hvr = decodeHelloVerifyRequest(onlyMessage(r.datagram).body);
    const withCookie = helloRecord(encodeClientHello({ ...decoded, cookie: hvr.cookie }), hello.messageSeq + 1, hello.recordSeq + 1);
    const a = endpoint.handle(withCookie, peer, 0);
    if (a.type !== 'accept') throw new Error(`expected the cookie to verify, got ${a.type}`);
    const flight = a.connection.datagramsToSend();
    if (flight.length === 0) throw new Error('the server sent no flight');
    accepted.push(a.connection);
  }
  return accepted;
}

/** How a version's half-open handshakes are made, and the state each then waits in. */
interface HalfOpenKind {
  readonly endpoint: () => ServerEndpoint;
  readonly open: (endpoint: ServerEndpoint, count: number, round: number) => DtlsConnection[];
  readonly count: number;
  readonly waitsIn: string;
}

const HALF_OPEN_12: HalfOpenKind = {
  endpoint: () => new ServerEndpoint({ maxVersion: 'DTLSv1.2', psk: serverPsk(), cipherSuites: SUITE }),
  open: (endpoint, count, round) => halfOpen(endpoint, count, round),
  count: HANDSHAKES,
  waitsIn: 'wait_client_key_exchange',
};

/** Heap bytes per half-open handshake: the heap after a full GC, with and without them. */
function bytesPerHandshake(round: number, kind: HalfOpenKind = HALF_OPEN_12): number {
  const gc = fullGc();
  const endpoint = kind.endpoint();
  kind.open(endpoint, 10, round); // warm-up: code compiled, the cookie secret made, shapes settled
  gc();
  const before = process.memoryUsage().heapUsed;
  const held = kind.open(endpoint, kind.count, round);
  gc();
  const after = process.memoryUsage().heapUsed;
  for (const c of held) {
    expect(c.state).toBe('handshaking');
    expect(c.handshakeState).toBe(kind.waitsIn);
  }
  return (after - before) / held.length;
}

/**
 * DTLS 1.3 (RFC 9147 5.1): our client engine's ClientHello, the endpoint's HelloRetryRequest with
 * its cookie, the client's second ClientHello, accepted; the server's flight (ServerHello in epoch
 * 0, the rest under the handshake keys) is taken from it, and it waits for the client's Finished.
 * A client engine per handshake (each ClientHello has its own random and key share), dropped.
 */
function halfOpen13(endpoint: ServerEndpoint, count: number, round: number): DtlsConnection[] {
  const accepted: DtlsConnection[] = [];
  for (let i = 0; i < count; i++) {
    const peer = `198.51.${round}.${i % 250}:${10_000 + i}`;
    const client = DtlsConnection.client({ maxVersion: 'DTLSv1.3', psk: clientPsk() });
    client.connect(0);
    const [first] = client.datagramsToSend();
    if (first === undefined) throw new Error('the client sent no ClientHello');
    const r = endpoint.handle(first, peer, 0);
    if (r.type !== 'reply') throw new Error(`expected a HelloRetryRequest, got ${r.type}`);
    client.receive(r.datagram, 0);
    const [second] = client.datagramsToSend();
    if (second === undefined) throw new Error('the client did not answer the HelloRetryRequest');
    const a = endpoint.handle(second, peer, 0);
    if (a.type !== 'accept') throw new Error(`expected the cookie to verify, got ${a.type}`);
    if (a.connection.datagramsToSend().length === 0) throw new Error('the server sent no flight');
    accepted.push(a.connection);
  }
  return accepted;
}

const HALF_OPEN_13: HalfOpenKind = {
  endpoint: () => new ServerEndpoint({ maxVersion: 'DTLSv1.3', psk: serverPsk() }),
  open: (endpoint, count, round) => halfOpen13(endpoint, count, round),
  count: HANDSHAKES_13,
  waitsIn: 'wait_finished',
};

/** Nine epoch-0 records in one datagram, each a 1-byte fragment of its own message claiming 64 KB (message_seq 2..10). */
function claimingFragments(): Uint8Array {
  const records: Uint8Array[] = [];
  for (let k = 0; k < FRAGMENTS; k++) {
    const fragment = encodeHandshakeFragment({ msgType: HandshakeType.certificate, length: 65_535, messageSeq: 2 + k, fragmentOffset: 1000 + k, body: Uint8Array.of(k) });
    records.push(encodeRecord({ type: ContentType.handshake, version: DTLS_1_2_VERSION, epoch: 0, sequenceNumber: 100 + k }, fragment));
  }
  return concatBytes(...records);
}

/**
 * Heap bytes per fragment held: the half-open handshakes of bytesPerHandshake, then each sent
 * nine 1-byte fragments claiming 64 KB (the attack of packages/hostile/test/memory.test.ts).
 */
function bytesPerFragment(round: number): number {
  const gc = fullGc();
  const endpoint = new ServerEndpoint({ maxVersion: 'DTLSv1.2', psk: serverPsk(), cipherSuites: SUITE });
  const held = halfOpen(endpoint, HANDSHAKES, round);
  const datagram = claimingFragments();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (const c of held) c.receive(datagram, 1);
  gc();
  const after = process.memoryUsage().heapUsed;
  for (const c of held) expect(c.state).toBe('handshaking');
  return (after - before) / (held.length * FRAGMENTS);
}

describe('memory of a half-open server handshake', () => {
  it(`${HANDSHAKES} half-open handshakes through ServerEndpoint cost under ${MAX_BYTES_PER_HANDSHAKE} heap bytes each`, () => {
    const runs = [1, 2, 3].map((round) => Math.round(bytesPerHandshake(round)));
    const best = Math.min(...runs);
    console.log(`half-open server handshake (PSK): ${runs.join(', ')} bytes of heap each (${HANDSHAKES} per run); best ${best}`);
    expect(best).toBeGreaterThan(0);
    expect(best).toBeLessThanOrEqual(MAX_BYTES_PER_HANDSHAKE);
  });

  it(`a 1-byte fragment claiming 64 KB costs a half-open handshake under ${MAX_BYTES_PER_FRAGMENT} heap bytes`, () => {
    const runs = [4, 5, 6].map((round) => Math.round(bytesPerFragment(round)));
    const best = Math.min(...runs);
    console.log(`1-byte fragment claiming 64 KB, ${FRAGMENTS} per half-open handshake: ${runs.join(', ')} bytes of heap each; best ${best}`);
    expect(best).toBeGreaterThan(0);
    expect(best).toBeLessThanOrEqual(MAX_BYTES_PER_FRAGMENT);
  });

  // Fewer, and more time: each DTLS 1.3 handshake runs an X25519 exchange (psk_dhe_ke) on each side.
  it(`${HANDSHAKES_13} half-open DTLS 1.3 handshakes through ServerEndpoint cost under ${MAX_BYTES_PER_HANDSHAKE_13} heap bytes each`, { timeout: 120_000 }, () => {
    const runs = [7, 8, 9].map((round) => Math.round(bytesPerHandshake(round, HALF_OPEN_13)));
    const best = Math.min(...runs);
    console.log(`half-open DTLS 1.3 server handshake (PSK): ${runs.join(', ')} bytes of heap each (${HANDSHAKES_13} per run); best ${best}`);
    expect(best).toBeGreaterThan(0);
    expect(best).toBeLessThanOrEqual(MAX_BYTES_PER_HANDSHAKE_13);
  });
});
