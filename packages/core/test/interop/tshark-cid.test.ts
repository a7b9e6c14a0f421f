/**
 * Does Debian's tshark (Wireshark's dissector) read our RFC 9146 connection ID records, and with
 * our key log decrypt them? No Debian TLS library speaks RFC 9146 for DTLS 1.2, so Wireshark is
 * the one independent implementation of the format on the machine. `make peers` installs tshark;
 * a missing tshark fails this file, it never skips.
 *
 * A session between two dtls-kit engines runs in memory (test/engine/harness.ts); its datagrams
 * are written to a pcap file with synthesized IPv4/UDP headers (./pcap.ts, no capture privileges)
 * and its key log next to it (NSS format, with the `# CONNECTION_ID ...` comment line the
 * runtimes write before CLIENT_RANDOM). Then `tshark -T json` tells what it saw per record.
 *
 * What tshark 4.0.17 (Debian 12, 4.0.17-0+deb12u3) showed when this was written:
 * - the connection_id extension (type 54) in both hellos, fields dtls.connection_id_length and
 *   dtls.connection_id; every record after the ChangeCipherSpec with dtls.record.special_type 25
 *   and dtls.record.connection_id = the receiver's CID, also when it shares a datagram with plain
 *   records; plain DTLS 1.2 records in a direction whose CID is empty;
 * - with the key log, AES-128-GCM, AES-256-GCM and AES-128-CCM-8 records decrypt: Finished
 *   (handshake type 20), the application data, close_notify; the real content type from the
 *   DTLSInnerPlaintext is shown as dtls.record.content_type. Wireshark checks the AEAD tag over
 *   the RFC 9146 5.3 additional data: a record whose header sequence number was changed (a field
 *   only the AAD covers) is not decrypted;
 * - after a NAT rebinding (the client at another address and port) the records still decrypt:
 *   tshark ties them to the session by the CID (the same move without CIDs leaves them encrypted);
 * - ChaCha20-Poly1305 records are dissected but NOT decrypted — with or without CIDs: its debug
 *   log (-o tls.debug_file) shows "auth tag mismatch" with a nonce equal to the bare write IV,
 *   i.e. XORed with its own record counter (0) and not with epoch || sequence_number as RFC 7905
 *   2 and RFC 6347 4.1.2.1 (the 64-bit DTLS sequence number) require; OpenSSL and GnuTLS accept
 *   our ChaCha20 records (packages/psk interop matrix). A tshark limitation, not a CID one: this
 *   test asserts that CIDs make no difference to it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/bytes.js';
import type { DtlsConnection } from '../../src/connection.js';
import { type Direction, Pair } from '../engine/harness.js';
import { type PcapDatagram, pcapFile } from './pcap.js';

const CLIENT = { address: '127.0.0.1', port: 40000 };
/** The client after a NAT rebinding: another address and port. */
const REBOUND = { address: '127.0.0.9', port: 40001 };
const SERVER = { address: '127.0.0.2', port: 4433 };
const PING = 'ping from the client';
const PONG = 'pong from the server';

const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tsharkVersion(): string {
  const out = execFileSync('tshark', ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return /TShark \(Wireshark\) (\S+)/.exec(out)?.[1] ?? out.split('\n')[0] ?? '';
}

/** One record as tshark dissected it (strings as in its JSON; hex without colons). */
interface SeenRecord {
  specialType?: string;
  contentType?: string;
  epoch?: string;
  sequenceNumber?: string;
  connectionId?: string;
  handshakeTypes: string[];
  alert?: string;
}

interface SeenFrame {
  records: SeenRecord[];
  /** The hello extension's CID (dtls.connection_id), if the frame carries one. */
  helloConnectionIds: string[];
  /** Decrypted application data, hex. */
  data: string[];
}

function get(o: unknown, key: string): unknown {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  return new Map<string, unknown>(Object.entries(o)).get(key);
}

function list(v: unknown): unknown[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function hex(v: unknown): string | undefined {
  return typeof v === 'string' ? v.replace(/:/g, '') : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Every value of `key` anywhere under `o` (the extension tree nests differently per version). */
function deep(o: unknown, key: string): string[] {
  if (Array.isArray(o)) return o.flatMap((x) => deep(x, key));
  if (typeof o !== 'object' || o === null) return [];
  return Object.entries(o).flatMap(([k, v]) => (k === key ? list(v).flatMap((x) => (typeof x === 'string' ? [x] : [])) : deep(v, key)));
}

/** Runs tshark on a pcap and key log; one entry per frame, in order. */
async function dissect(pcap: string, keylog: string): Promise<SeenFrame[]> {
  const args = ['-r', pcap, '-o', `tls.keylog_file:${keylog}`, '-d', `udp.port==${SERVER.port},dtls`, '-T', 'json', '--no-duplicate-keys'];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('tshark', args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 }, (err, out) => (err ? reject(err) : resolve(out)));
  });
  const frames: unknown = JSON.parse(stdout);
  return list(frames).map((f) => {
    const layers = get(get(f, '_source'), 'layers');
    const dtls = get(layers, 'dtls');
    const records = list(get(dtls, 'dtls.record')).map(
      (r): SeenRecord => ({
        specialType: str(get(r, 'dtls.record.special_type')),
        contentType: str(get(r, 'dtls.record.content_type')),
        epoch: str(get(r, 'dtls.record.epoch')),
        sequenceNumber: str(get(r, 'dtls.record.sequence_number')),
        connectionId: hex(get(r, 'dtls.record.connection_id')),
        handshakeTypes: deep(get(r, 'dtls.handshake'), 'dtls.handshake.type'),
        alert: deep(r, 'dtls.alert_message.desc')[0],
      }),
    );
    const data = list(get(layers, 'data')).flatMap((d) => list(get(d, 'data.data')).flatMap((x) => (typeof x === 'string' ? [x.replace(/:/g, '')] : [])));
    return { records, helloConnectionIds: deep(dtls, 'dtls.connection_id').map((x) => x.replace(/:/g, '')), data };
  });
}

interface Captured {
  p: Pair;
  /** Index in p.wire of the client's datagram carrying PING. */
  pingIndex: number;
  /** The CID each direction's records carry (the receiver's), hex; '' when empty. */
  cid: Record<Direction, string>;
}

async function capture(suite: string, cids: { client: number; server: number } | undefined): Promise<Captured> {
  const p = await new Pair({
    client: { cipherSuites: suite, ...(cids ? { connectionId: { length: cids.client } } : {}) },
    server: cids ? { connectionId: { length: cids.server } } : {},
  }).handshake();
  const pingIndex = p.wire.length;
  p.client.send(utf8(PING));
  await p.run();
  expect(p.wire[pingIndex]?.direction).toBe('c2s');
  p.s.send(utf8(PONG));
  await p.run();
  p.client.close();
  await p.run();
  const cidHex = (c: DtlsConnection): string => toHex(c.connectionId?.receive ?? new Uint8Array(0));
  return { p, pingIndex, cid: { c2s: cidHex(p.s), s2c: cidHex(p.client) } };
}

/** The key log as a runtime writes it: the CID comment line, then CLIENT_RANDOM (NSS format). */
function keyLog(c: DtlsConnection): string {
  const line = c.keyLogLine ?? '';
  const random = line.split(' ')[1] ?? '';
  const cid = c.connectionId;
  const comment = cid
    ? `# CONNECTION_ID ${random} receive=${toHex(cid.receive) || '-'} send=${toHex(cid.send) || '-'}\n`
    : '';
  return `${comment}${line}\n`;
}

let files = 0;
interface Rewrite {
  /** One datagram changed on the wire. */
  datagram?: (datagram: Uint8Array, index: number) => Uint8Array;
  /** The client's address of datagram `index` (a NAT rebinding moves it). */
  client?: (index: number) => { address: string; port: number };
}

/** Writes the session (optionally rewritten) and its key log; returns tshark's view. */
async function tshark(c: Captured, rewrite: Rewrite = {}): Promise<SeenFrame[]> {
  const n = files++;
  const datagrams: PcapDatagram[] = c.p.wire.map((w, i) => {
    const client = rewrite.client?.(i) ?? CLIENT;
    return {
      timeMs: i,
      from: w.direction === 'c2s' ? client : SERVER,
      to: w.direction === 'c2s' ? SERVER : client,
      payload: rewrite.datagram ? rewrite.datagram(w.datagram.slice(), i) : w.datagram,
    };
  });
  const pcap = join(dir, `session-${n}.pcap`);
  const keys = join(dir, `keys-${n}.log`);
  writeFileSync(pcap, pcapFile(datagrams));
  writeFileSync(keys, keyLog(c.p.client));
  const frames = await dissect(pcap, keys);
  expect(frames.length).toBe(datagrams.length);
  return frames;
}

/** The records tshark saw in one direction after the handshake's epoch 0. */
function protectedRecords(c: Captured, frames: SeenFrame[], direction: Direction): SeenRecord[] {
  return frames.flatMap((f, i) => (c.p.wire[i]?.direction === direction ? f.records.filter((r) => r.epoch !== '0') : []));
}

function dataSent(c: Captured, frames: SeenFrame[], direction: Direction): string[] {
  return frames.flatMap((f, i) => (c.p.wire[i]?.direction === direction ? f.data : []));
}

describe('tshark reads dtls-kit connection ID sessions (RFC 9146)', () => {
  it('tshark is installed (make peers; this interop check never skips)', () => {
    const version = tsharkVersion();
    console.log(`tshark ${version}`);
    expect(version).toMatch(/^\d+\.\d+/);
  });

  it.each(['PSK-AES128-GCM-SHA256', 'PSK-AES256-GCM-SHA384', 'PSK-AES128-CCM8'])(
    '%s: dissects the extension and every tls12_cid record, and decrypts them with our key log',
    async (suite) => {
      const c = await capture(suite, { client: 6, server: 4 });
      const frames = await tshark(c);
      // The connection_id extension (54): the client's CID in its hellos, the server's in its.
      const hellos = frames.flatMap((f) => f.helloConnectionIds);
      expect(hellos).toContain(c.cid.s2c);
      expect(hellos).toContain(c.cid.c2s);
      for (const d of ['c2s', 's2c'] as const) {
        const records = protectedRecords(c, frames, d);
        expect(records.length).toBeGreaterThanOrEqual(3); // Finished, data, close_notify (or its answer)
        for (const r of records) {
          expect(r.specialType).toBe('25'); // tls12_cid
          expect(r.epoch).toBe('1');
          expect(r.connectionId).toBe(c.cid[d]); // the receiver's CID, at the RFC 9146 4 offset
          expect(r.contentType).toBeDefined(); // decrypted: the real type from DTLSInnerPlaintext
        }
        // Decrypted Finished: handshake (22) message type 20, first in the epoch.
        expect(records[0]?.contentType).toBe('22');
        expect(records[0]?.handshakeTypes).toEqual(['20']);
        expect(records[0]?.sequenceNumber).toBe('0');
      }
      expect(dataSent(c, frames, 'c2s')).toEqual([toHex(utf8(PING))]);
      expect(dataSent(c, frames, 's2c')).toEqual([toHex(utf8(PONG))]);
      const alerts = protectedRecords(c, frames, 'c2s').filter((r) => r.contentType === '21');
      expect(alerts.map((r) => r.alert)).toEqual(['0']); // close_notify, encrypted in a CID record
      console.log(`${suite}: tshark decrypted ${protectedRecords(c, frames, 'c2s').length + protectedRecords(c, frames, 's2c').length} tls12_cid records`);
    },
  );

  it('tshark verifies the tag over the RFC 9146 5.3 additional data: a changed sequence number is not decrypted', async () => {
    const c = await capture('PSK-AES128-GCM-SHA256', { client: 6, server: 4 });
    // The header's sequence_number (bytes 5..10) is covered only by the AAD; the nonce travels
    // in the explicit nonce, so the keystream stays right and only the tag check can notice.
    const frames = await tshark(c, {
      datagram: (d, i) => {
        if (i === c.pingIndex) d[10] = (d[10] ?? 0) ^ 0x40;
        return d;
      },
    });
    const ping = frames[c.pingIndex]?.records ?? [];
    expect(ping.length).toBe(1);
    expect(ping[0]?.specialType).toBe('25');
    expect(ping[0]?.connectionId).toBe(c.cid.c2s);
    expect(ping[0]?.contentType).toBeUndefined();
    expect(dataSent(c, frames, 'c2s')).toEqual([]);
    expect(dataSent(c, frames, 's2c')).toEqual([toHex(utf8(PONG))]);
  });

  it('after a NAT rebinding (new client address and port) tshark finds the session by its CID and decrypts', async () => {
    const c = await capture('PSK-AES128-GCM-SHA256', { client: 6, server: 4 });
    // From the first application datagram on, the client is seen at another address and port.
    const frames = await tshark(c, { client: (i) => (i >= c.pingIndex ? REBOUND : CLIENT) });
    const moved = frames.slice(c.pingIndex);
    expect(moved.length).toBeGreaterThanOrEqual(3);
    for (const d of ['c2s', 's2c'] as const) {
      const records = moved.flatMap((f, i) => (c.p.wire[c.pingIndex + i]?.direction === d ? f.records : []));
      expect(records.length).toBeGreaterThan(0);
      expect(records.every((r) => r.specialType === '25' && r.connectionId === c.cid[d] && r.contentType !== undefined)).toBe(true);
    }
    expect(dataSent(c, frames, 'c2s')).toEqual([toHex(utf8(PING))]);
    expect(dataSent(c, frames, 's2c')).toEqual([toHex(utf8(PONG))]);
    // The same move without CIDs: a new address pair is a new conversation to tshark, which then
    // has no keys for it. So it is the CID that tied the records above to their session.
    const plain = await capture('PSK-AES128-GCM-SHA256', undefined);
    const plainFrames = await tshark(plain, { client: (i) => (i >= plain.pingIndex ? REBOUND : CLIENT) });
    expect([...dataSent(plain, plainFrames, 'c2s'), ...dataSent(plain, plainFrames, 's2c')]).toEqual([]);
  });

  it('a zero-length CID one way: plain records that way, tls12_cid the other, both decrypted', async () => {
    const c = await capture('PSK-AES128-GCM-SHA256', { client: 0, server: 5 });
    expect(c.cid.s2c).toBe('');
    const frames = await tshark(c);
    const toServer = protectedRecords(c, frames, 'c2s');
    const toClient = protectedRecords(c, frames, 's2c');
    expect(toServer.every((r) => r.specialType === '25' && r.connectionId === c.cid.c2s)).toBe(true);
    expect(toClient.length).toBeGreaterThan(0);
    expect(toClient.every((r) => r.specialType === undefined && r.connectionId === undefined)).toBe(true);
    expect(dataSent(c, frames, 'c2s')).toEqual([toHex(utf8(PING))]);
    expect(dataSent(c, frames, 's2c')).toEqual([toHex(utf8(PONG))]);
  });

  it('ChaCha20-Poly1305: tshark dissects the CID records; whether it decrypts is the same with and without CIDs', async () => {
    const suite = 'ECDHE-PSK-CHACHA20-POLY1305';
    const withCid = await capture(suite, { client: 6, server: 4 });
    const framesCid = await tshark(withCid);
    const plain = await capture(suite, undefined);
    const framesPlain = await tshark(plain);
    for (const d of ['c2s', 's2c'] as const) {
      const records = protectedRecords(withCid, framesCid, d);
      expect(records.length).toBeGreaterThanOrEqual(3);
      expect(records.every((r) => r.specialType === '25' && r.connectionId === withCid.cid[d] && r.epoch === '1')).toBe(true);
    }
    const decrypted = (c: Captured, f: SeenFrame[]): string[] => [...dataSent(c, f, 'c2s'), ...dataSent(c, f, 's2c')];
    expect(decrypted(withCid, framesCid)).toEqual(decrypted(plain, framesPlain));
    console.log(
      `${suite}: tshark ${tsharkVersion()} decrypted ${decrypted(withCid, framesCid).length} of 2 application data records with CIDs, ` +
        `${decrypted(plain, framesPlain).length} of 2 without`,
    );
  });
});
