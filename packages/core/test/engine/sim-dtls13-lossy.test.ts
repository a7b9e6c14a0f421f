/**
 * The loss simulator for DTLS 1.3 (RFC 9147): our client and our server in process on the
 * simulated network, 25% loss each way with duplication and reordering, MTU 200 (the ECDSA
 * Certificate is fragmented over many records), deterministic seeds. Each seed runs:
 * - the handshake, with the stateless HelloRetryRequest of our endpoint (RFC 9147 5.1: seen on
 *   the wire), flights resent from ACKs and the timer of 5.8 on both sides;
 * - data both ways (DTLS does not resend application data: the "application" resends);
 * - a KeyUpdate from the client asking for the server's (RFC 9147 8), each retransmitted until
 *   its ACK, then records in epoch 4 both ways (the unified header's epoch bits, on the wire);
 * - close_notify (RFC 8446 6.1): not retransmitted, so under loss it may not arrive; when it
 *   does, the server closes without an error.
 * The same seeds then run DTLS 1.2 (whole-flight retransmission, RFC 6347 4.2.4) with the
 * matching suites, and the test prints both (bytes and datagrams sent again, ACKs, completion
 * time in virtual ms) and asserts that 1.3 sent fewer bytes again in total.
 *
 * Seeds per mode and version: SIM_DTLS13_SEEDS (default 100: the make test slice; the full count
 * is 300 or more, e.g. SIM_DTLS13_SEEDS=300); SIM_DTLS13_FROM replays from another first seed.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { costTable, totalRetransmittedBytes, type CostRow, type HandshakeCost } from '../support/retransmission-table.js';
import { SimPair, type PairOptions } from './sim-harness.js';

const SEEDS = Number(process.env.SIM_DTLS13_SEEDS ?? 100);
/** A seed range of its own (sim-sweep.ts gives each 1.2 sweep its own too). */
const SEED_BASE = Number(process.env.SIM_DTLS13_FROM ?? 913_000);
const MTU = 200;
const HOSTILE = { loss: 0.25, duplicate: 0.1, reorder: 0.25, reorderDelay: 80 } as const;
/** An hour of virtual time, as the 1.2 sweeps give (sim-lossy.test.ts explains why). */
const PATIENT = { handshakeTimeoutMs: 3_600_000 } as const;
/**
 * The cookie must outlive that hour too. At MTU 200 the second ClientHello takes two datagrams,
 * which the stateless endpoint joins only within 5 s (client-hello-fragments.ts); once the timer
 * has backed off past that, both must arrive from one transmission (56% each time), and with the
 * default 60 s rotation about 1% of seeds ran out of cookie first: the endpoint then drops the
 * ClientHello (RFC 8446 4.1.4 forbids a second HelloRetryRequest) until the handshake times out.
 * That is the endpoint's cookie policy, not what these sweeps measure; both versions get it.
 */
const LONG_COOKIES = { cookieRotationMs: 3_600_000 } as const;
const ONLY_13 = { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } as const;
/** RFC 8446 4.1.3: a HelloRetryRequest's random, SHA-256("HelloRetryRequest"). */
const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

type Version = '1.2' | '1.3';
type Mode = 'PSK' | 'ECDSA';

const CLIENT_X509 = clientX509();
const SERVER_X509 = serverX509('ecdsa');

function options(version: Version, mode: Mode): PairOptions {
  const certificates = mode === 'ECDSA' ? { psk: undefined } : {};
  const client = { ...PATIENT, ...certificates, ...(mode === 'ECDSA' ? { x509: CLIENT_X509 } : {}) };
  const server = { ...PATIENT, ...LONG_COOKIES, ...certificates, ...(mode === 'ECDSA' ? { x509: SERVER_X509 } : {}) };
  if (version === '1.3') return { suite: 'TLS_AES_128_GCM_SHA256', client: { ...client, ...ONLY_13 }, server: { ...server, ...ONLY_13 } };
  // The 1.2 suites closest to 1.3's: (EC)DHE with the PSK (psk_dhe_ke), ECDHE_ECDSA.
  return { suite: mode === 'PSK' ? 'TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256' : 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', client, server };
}

interface SeedResult {
  readonly seed: number;
  /** Why it failed ('' when it did all it should). */
  readonly why: string;
  readonly cost: HandshakeCost;
  readonly helloRetry: boolean;
  /** close_notify reached the server (it may be lost: it is never retransmitted). */
  readonly closeNotified: boolean;
}

/** Whether a plaintext handshake datagram from the server carries a HelloRetryRequest (RFC 8446 4.1.3). */
function carriesHelloRetryRequest(datagram: Uint8Array): boolean {
  let at = 0;
  while (at + 13 <= datagram.length && datagram[at] === 22) {
    const length = ((datagram[at + 11] ?? 0) << 8) | (datagram[at + 12] ?? 0);
    const body = datagram.subarray(at + 13, at + 13 + length);
    // Handshake header (12 bytes), then server_version (2) and random (32).
    if (body[0] === HandshakeType.server_hello && toHex(body.subarray(14, 46)) === HRR_RANDOM) return true;
    at += 13 + length;
  }
  return false;
}

/** Whether a datagram carries a unified-header record (RFC 9147 4) of an epoch whose low bits are those of epoch 4. */
function carriesEpoch4(datagram: Uint8Array): boolean {
  const first = datagram[0] ?? 0;
  return (first & 0xe0) === 0x20 && (first & 0x03) === 0;
}

/** Sends a message each way until both arrived (the application's own retransmission), within `attempts`. */
async function exchange(pair: SimPair, tag: string, attempts: number, done: () => boolean = () => true): Promise<boolean> {
  const server = pair.serverConn;
  if (server === undefined) return false;
  const c0 = pair.serverLog.data.length;
  const s0 = pair.clientLog.data.length;
  const arrived = (): boolean => pair.serverLog.data.length > c0 && pair.clientLog.data.length > s0 && done();
  for (let i = 0; i < attempts && !arrived() && !pair.anyClosed; i++) {
    // Until `done`, both sides keep sending (what they write after a KeyUpdate shows its epoch).
    if (pair.serverLog.data.length === c0 || !done()) pair.client.send(new TextEncoder().encode(`c${tag}`));
    if (pair.clientLog.data.length === s0 || !done()) server.send(new TextEncoder().encode(`s${tag}`));
    await pair.runUntil(() => arrived() || pair.anyClosed, 1_000);
  }
  return arrived() && pair.serverLog.data.slice(c0).every((d) => d === `c${tag}`) && pair.clientLog.data.slice(s0).every((d) => d === `s${tag}`);
}

async function runSeed(version: Version, mode: Mode, seed: number): Promise<SeedResult> {
  const pair = new SimPair({ ...options(version, mode), seed, mtu: MTU, link: HOSTILE, record: true });
  const hs = await pair.handshake(PATIENT.handshakeTimeoutMs + 1_000);
  const server = pair.serverConn;
  const cost = (): HandshakeCost => ({
    retransmittedBytes: pair.client.stats.retransmittedBytes + (server?.stats.retransmittedBytes ?? 0),
    retransmittedDatagrams: pair.client.stats.retransmittedDatagrams + (server?.stats.retransmittedDatagrams ?? 0),
    time: hs.time,
    acks: pair.client.stats.acksSent + (server?.stats.acksSent ?? 0),
  });
  const helloRetry = pair.sent.some((d) => d.dir === 'BtoA' && carriesHelloRetryRequest(d.datagram));
  const result = (why: string, closeNotified = false): SeedResult => ({ seed, why, cost: handshakeCost, helloRetry, closeNotified });
  // What the handshake cost, read before anything else is sent.
  const handshakeCost = cost();
  if (!pair.established || server === undefined) {
    return result(`handshake: ${hs.reason} at ${hs.time}; client ${pair.client.handshakeState} ${pair.client.error?.message ?? ''}; server ${server?.handshakeState ?? 'none'} ${server?.error?.message ?? ''}`);
  }
  const protocol = `DTLSv${version}`;
  if (pair.client.protocol !== protocol || server.protocol !== protocol) return result(`negotiated ${pair.client.protocol} / ${server.protocol}`);
  if (!(await exchange(pair, `${seed}`, 60))) return result(`data after the handshake: ${pair.serverLog.data} / ${pair.clientLog.data}`);
  if (version === '1.3') {
    // RFC 9147 8: our KeyUpdate (update_requested), the server's in answer, each acknowledged;
    // each side writes epoch 4 only once its own KeyUpdate was acknowledged.
    const mark = pair.sent.length;
    const acks = { client: pair.client.stats.acksReceived, server: server.stats.acksReceived };
    pair.client.keyUpdate(true);
    const epoch4 = (dir: 'AtoB' | 'BtoA'): boolean => pair.sent.slice(mark).some((d) => d.dir === dir && carriesEpoch4(d.datagram));
    const updated = (): boolean => epoch4('AtoB') && epoch4('BtoA');
    if (!(await exchange(pair, `${seed}k`, 600, updated))) {
      return result(`KeyUpdate: epoch 4 written client ${epoch4('AtoB')} server ${epoch4('BtoA')}; ACKs received client ${pair.client.stats.acksReceived - acks.client} server ${server.stats.acksReceived - acks.server}; ${pair.client.error?.message ?? ''} ${server.error?.message ?? ''}`);
    }
    if (pair.client.stats.acksReceived <= acks.client || server.stats.acksReceived <= acks.server) return result('KeyUpdate without an ACK');
  }
  // RFC 8446 6.1 / RFC 5246 7.2.1: close_notify, sent once.
  pair.client.close();
  await pair.runUntil(() => pair.serverLog.closed !== undefined, 5_000);
  const closed = pair.serverLog.closed;
  if (closed !== undefined && closed.error !== undefined) return result(`close_notify: the server closed with ${closed.error.message}`);
  return result('', closed !== undefined);
}

async function sweep(version: Version, mode: Mode): Promise<SeedResult[]> {
  const results: SeedResult[] = [];
  for (let seed = SEED_BASE; seed < SEED_BASE + SEEDS; seed++) results.push(await runSeed(version, mode, seed));
  return results;
}

describe(`DTLS 1.3 on the simulated network: 25% loss, duplication, reordering, MTU ${MTU}, ${SEEDS} seeds`, () => {
  it('PSK and ECDSA: every seed completes (HelloRetryRequest, data, KeyUpdate, close_notify), and ACKs resend fewer bytes than DTLS 1.2 on the same seeds', async () => {
    const rows: { version: Version; row: CostRow }[] = [];
    for (const mode of ['PSK', 'ECDSA'] as const) {
      for (const version of ['1.3', '1.2'] as const) {
        const results = await sweep(version, mode);
        const failed = results.filter((r) => r.why !== '').map((r) => `${version} ${mode} seed ${r.seed}: ${r.why}`);
        expect(failed).toEqual([]);
        if (version === '1.3') {
          // Our endpoint's stateless cookie exchange (RFC 9147 5.1): a HelloRetryRequest in every seed.
          expect(results.filter((r) => !r.helloRetry).map((r) => r.seed)).toEqual([]);
        }
        // close_notify is sent once: most seeds see it arrive (a loss each way is 25%), none ends in error.
        expect(results.filter((r) => r.closeNotified).length).toBeGreaterThan(results.length / 2);
        // The faults really bit.
        expect(results.filter((r) => r.cost.retransmittedDatagrams > 0).length).toBeGreaterThan(results.length / 2);
        rows.push({ version, row: { label: `DTLS ${version} ${mode}`, seeds: results.length, costs: results.map((r) => r.cost) } });
      }
    }
    console.log(`Handshakes at 25% loss with reordering, MTU ${MTU}, the same ${SEEDS} seeds per row:\n${costTable(rows.map((r) => r.row))}`);
    const total = (v: Version): number => totalRetransmittedBytes(rows.filter((r) => r.version === v).map((r) => r.row));
    expect(total('1.3')).toBeLessThan(total('1.2'));
  }, 1_800_000);
});
