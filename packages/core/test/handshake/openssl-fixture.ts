import { readFileSync } from 'node:fs';
import { fromHex } from '../../src/bytes.js';

/** One DTLSPlaintext record as captured (RFC 6347 4.1), parsed here only to reach the handshake bytes. */
export interface CapturedRecord {
  dir: 'c2s' | 's2c';
  contentType: number;
  version: number;
  epoch: number;
  sequence: number;
  payload: Uint8Array;
}

interface FixtureFile {
  datagrams: { dir: string; hex: string }[];
}

function isFixtureFile(v: unknown): v is FixtureFile {
  if (typeof v !== 'object' || v === null || !('datagrams' in v)) return false;
  const d: unknown = v.datagrams;
  return Array.isArray(d);
}

/**
 * The records of a capture made with OpenSSL s_client/s_server through a UDP relay (see the
 * fixture's `server`/`client` fields for the command lines). The 13-byte record header is
 * read by hand so these tests depend on nothing but the handshake codecs.
 */
export function loadCapture(name: string): CapturedRecord[] {
  const parsed: unknown = JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
  if (!isFixtureFile(parsed)) throw new Error(`${name}: not a capture fixture`);
  const out: CapturedRecord[] = [];
  for (const d of parsed.datagrams) {
    const dir = d.dir === 'c2s' ? 'c2s' : 's2c';
    const b = fromHex(d.hex);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let o = 0;
    while (o + 13 <= b.length) {
      const length = view.getUint16(o + 11);
      out.push({
        dir,
        contentType: view.getUint8(o),
        version: view.getUint16(o + 1),
        epoch: view.getUint16(o + 3),
        sequence: view.getUint16(o + 5) * 2 ** 32 + view.getUint32(o + 7),
        payload: b.subarray(o + 13, o + 13 + length),
      });
      o += 13 + length;
    }
    if (o !== b.length) throw new Error(`${name}: datagram with trailing bytes`);
  }
  return out;
}

/** Handshake records in the clear (content type 22, epoch 0) sent in one direction. */
export function plaintextHandshakeRecords(records: CapturedRecord[], dir: 'c2s' | 's2c'): CapturedRecord[] {
  return records.filter((r) => r.dir === dir && r.contentType === 22 && r.epoch === 0);
}
