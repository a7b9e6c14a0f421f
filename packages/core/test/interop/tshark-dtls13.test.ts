/**
 * A DTLS 1.3 session between two dtls-kit engines (test/engine/harness.ts, in memory) written to a
 * pcap (./pcap.ts: synthesized IPv4/UDP headers) with the engines' key log (NSS format, the TLS
 * 1.3 labels: CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET,
 * CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0, EXPORTER_SECRET, keyed by the ClientHello's
 * random), then read by Debian's tshark, `make peers` installs it (a missing tshark fails this
 * file, it never skips):
 *   tshark -r session.pcap -o tls.keylog_file:keys.log -d udp.port==4433,dtls -T json --no-duplicate-keys
 *
 * What tshark 4.0.17 (Debian 12, 4.0.17-0+deb12u3) can and cannot do with it, as this test found:
 * - it dissects the DTLSPlaintext epoch-0 records: both ClientHellos (the second with the
 *   cookie of the HelloRetryRequest, RFC 9147 5.1) and their random, which is the key of our key
 *   log lines; the HelloRetryRequest and the ServerHello as "Server Hello" (it does not name an
 *   HRR), supported_versions 0xfefc shown as "Unknown" (it does not know DTLS 1.3's codepoint),
 *   the suite 0x1301 (TLS_AES_128_GCM_SHA256);
 * - it CANNOT parse the unified header (RFC 9147 4): every 001xxxxx record, from the epoch-2
 *   flight behind the ServerHello on, is "Continuation Data", no record fields at all, so it
 *   never looks up a secret (its TLS debug log, -o tls.debug_file, has no key log lookup) and
 *   decrypts nothing: no EncryptedExtensions, Finished, ACK or application data. The key log is
 *   still checked here against what it does show: the client random tshark reads in the
 *   ClientHello is the one our lines carry, and the lines are those NSS's format spells.
 * A tshark that does dissect DTLS 1.3 records takes the other branch below: it must then decrypt
 * the handshake messages and the application data with this key log.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/bytes.js';
import { Pair } from '../engine/harness.js';
import { pcapFile } from './pcap.js';

const CLIENT = { address: '127.0.0.1', port: 40000 };
const SERVER = { address: '127.0.0.2', port: 4433 };
const PING = 'ping over dtls 1.3';
const PONG = 'pong over dtls 1.3';
const V13 = { maxVersion: 'DTLSv1.3' } as const;
/** DTLS 1.3's supported_versions codepoint (RFC 9147 5.3: {254, 252}). */
const DTLS13 = '0xfefc';

const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-tshark13-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function get(o: unknown, key: string): unknown {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  return new Map<string, unknown>(Object.entries(o)).get(key);
}

function list(v: unknown): unknown[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Every value of `key` anywhere under `o`. */
function deep(o: unknown, key: string): string[] {
  if (Array.isArray(o)) return o.flatMap((x) => deep(x, key));
  if (typeof o !== 'object' || o === null) return [];
  return Object.entries(o).flatMap(([k, v]) => (k === key ? list(v).flatMap((x) => (typeof x === 'string' ? [x] : [])) : deep(v, key)));
}

interface Frame {
  /** Records tshark dissected as records (with a content type). */
  records: number;
  handshakeTypes: string[];
  randoms: string[];
  supportedVersions: string[];
  cookies: number;
  suite: string[];
  /** Decrypted application data, hex. */
  data: string[];
}

async function dissect(pcap: string, keylog: string): Promise<Frame[]> {
  const args = ['-r', pcap, '-o', `tls.keylog_file:${keylog}`, '-d', `udp.port==${SERVER.port},dtls`, '-T', 'json', '--no-duplicate-keys'];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('tshark', args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 }, (err, out) => (err ? reject(err) : resolve(out)));
  });
  const frames: unknown = JSON.parse(stdout);
  return list(frames).map((f) => {
    const layers = get(get(f, '_source'), 'layers');
    const dtls = get(layers, 'dtls');
    return {
      records: deep(dtls, 'dtls.record.content_type').length,
      handshakeTypes: deep(dtls, 'dtls.handshake.type'),
      randoms: deep(dtls, 'dtls.handshake.random').map((r) => r.replace(/:/g, '')),
      supportedVersions: deep(dtls, 'dtls.handshake.extensions.supported_version'),
      cookies: deep(dtls, 'dtls.handshake.extensions.cookie').length,
      suite: deep(get(dtls, 'dtls.record'), 'dtls.handshake.ciphersuite'),
      data: list(get(layers, 'data')).flatMap((d) => deep(d, 'data.data').map((x) => x.replace(/:/g, ''))),
    };
  });
}

describe('tshark and a dtls-kit DTLS 1.3 session with its key log', () => {
  it('reads the hellos and the client random our TLS 1.3 key log lines are keyed by; decrypts the 1.3 records only if it can parse them', async () => {
    const version = /TShark \(Wireshark\) (\S+)/.exec(execFileSync('tshark', ['--version'], { encoding: 'utf8', timeout: 20_000 }))?.[1];
    expect(version).toBeDefined();

    const p = await new Pair({ client: V13, server: V13 }).handshake();
    p.client.send(utf8(PING));
    await p.run();
    p.s.send(utf8(PONG));
    await p.run();
    p.client.close();
    await p.run();
    expect(p.client.protocol).toBe('DTLSv1.3');

    // The key log: NSS's five TLS 1.3 labels, the same on both ends, keyed by the client random.
    const lines = p.client.keyLogLines;
    expect(p.s.keyLogLines).toEqual(lines);
    const random = toHex(p.client.clientRandom ?? new Uint8Array(0));
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET']);
    for (const line of lines) expect(line).toMatch(new RegExp(`^[A-Z_0-9]+ ${random} [0-9a-f]{64}$`));

    const pcap = join(dir, 'session.pcap');
    const keys = join(dir, 'keys.log');
    writeFileSync(pcap, pcapFile(p.wire.map((w, i) => ({ timeMs: i, from: w.direction === 'c2s' ? CLIENT : SERVER, to: w.direction === 'c2s' ? SERVER : CLIENT, payload: w.datagram }))));
    writeFileSync(keys, `${lines.join('\n')}\n`);
    const frames = await dissect(pcap, keys);
    expect(frames.length).toBe(p.wire.length);

    // What every version shows: ClientHello, HelloRetryRequest (a ServerHello with a cookie),
    // ClientHello with the cookie, ServerHello choosing DTLS 1.3 and TLS_AES_128_GCM_SHA256.
    const [ch1, hrr, ch2, sh] = frames;
    expect(ch1?.handshakeTypes).toEqual(['1']);
    expect(ch1?.randoms).toEqual([random]);
    expect(ch1?.supportedVersions).toContain(DTLS13);
    expect(hrr?.handshakeTypes).toEqual(['2']);
    expect(hrr?.supportedVersions).toEqual([DTLS13]);
    expect(hrr?.cookies).toBe(1);
    expect(ch2?.handshakeTypes).toEqual(['1']);
    expect(ch2?.randoms).toEqual([random]);
    expect(ch2?.cookies).toBe(1);
    expect(sh?.handshakeTypes[0]).toBe('2');
    expect(sh?.supportedVersions).toEqual([DTLS13]);
    expect(sh?.suite).toEqual(['0x1301']);

    const after = frames.slice(4);
    const ping = Buffer.from(PING).toString('hex');
    const pong = Buffer.from(PONG).toString('hex');
    const parsesUnifiedHeader = after.some((f) => f.records > 0) || (sh?.records ?? 0) > 1;
    if (parsesUnifiedHeader) {
      // A tshark with DTLS 1.3 records: it must decrypt them with the key log.
      const types = frames.flatMap((f) => f.handshakeTypes);
      expect(types, `tshark ${version}`).toEqual(expect.arrayContaining(['8', '20']));
      expect(frames.flatMap((f) => f.data)).toEqual(expect.arrayContaining([ping, pong]));
    } else {
      // tshark 4.0: the ServerHello's record alone; the rest "Continuation Data", nothing decrypted.
      expect(sh?.records, `tshark ${version}`).toBe(1);
      expect(after.every((f) => f.records === 0 && f.handshakeTypes.length === 0)).toBe(true);
      expect(frames.flatMap((f) => f.data).some((d) => d.includes(ping) || d.includes(pong))).toBe(false);
    }
  });
});
