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
/** Bytes per half-open handshake this test allows (8c40add: ~8,200; now ~3,400). */
const MAX_BYTES_PER_HANDSHAKE = 6_000;
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

/** Heap bytes per half-open handshake: the heap after a full GC, with and without them. */
function bytesPerHandshake(round: number): number {
  const gc = fullGc();
  const endpoint = new ServerEndpoint({ maxVersion: 'DTLSv1.2', psk: serverPsk(), cipherSuites: SUITE });
  halfOpen(endpoint, 10, round); // warm-up: code compiled, the cookie secret made, shapes settled
  gc();
  const before = process.memoryUsage().heapUsed;
  const held = halfOpen(endpoint, HANDSHAKES, round);
  gc();
  const after = process.memoryUsage().heapUsed;
  for (const c of held) {
    expect(c.state).toBe('handshaking');
    expect(c.handshakeState).toBe('wait_client_key_exchange');
  }
  return (after - before) / held.length;
}

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
});
