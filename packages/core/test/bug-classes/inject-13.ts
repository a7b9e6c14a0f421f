/**
 * Forging DTLS 1.3 traffic for the bug-class tests: what an on-path attacker can touch (the
 * DTLSPlaintext ClientHello / HelloRetryRequest / ServerHello of epoch 0) and what a peer holding
 * the keys can send (any record it seals: `sealEdits` rewrites the plaintext a side hands to its
 * Dtls13RecordLayer, so the other side opens the record with the right keys and finds the edited
 * message inside, as a broken or malicious implementation would send it).
 */
import { afterEach } from 'vitest';
import { concatBytes } from '../../src/bytes.js';
import type { DtlsConnection } from '../../src/connection.js';
import { decodeHandshakeFragments, encodeHandshakeFragment, type HandshakeFragment } from '../../src/handshake/handshake-header.js';
import { Dtls13RecordLayer } from '../../src/record/dtls13-record-layer.js';
import { RecordLayer } from '../../src/record/record-layer.js';

export const V13 = { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } as const;

/** A connection's DTLS 1.3 record layer once its handshake chose 1.3. */
export function layerOf(conn: DtlsConnection | undefined): Dtls13RecordLayer {
  const records: unknown = conn === undefined ? undefined : Reflect.get(conn, 'records');
  const layer = records instanceof RecordLayer ? records.dtls13Records : undefined;
  if (layer === undefined) throw new Error('no DTLS 1.3 record layer');
  return layer;
}

/** What a seal edit sees: which side seals, and the record. Returns the record to seal instead (undefined: unchanged). */
export type SealEdit = (side: 'client' | 'server', record: { type: number; content: Uint8Array; epoch: number }) => { type: number; content: Uint8Array } | undefined;

const original = Dtls13RecordLayer.prototype.seal;
afterEach(() => {
  Dtls13RecordLayer.prototype.seal = original;
});

/**
 * Until the test ends, every record `client`'s layer seals is the client's and every other
 * layer's the server's; each goes through `edit` first. Epoch-0 records are left alone (the
 * attacker edits those on the wire).
 */
export function sealEdits(client: DtlsConnection, edit: SealEdit): void {
  Dtls13RecordLayer.prototype.seal = function (this: Dtls13RecordLayer, type: number, content: Uint8Array, epoch: number = this.writeEpoch, padding = 0): Uint8Array {
    if (epoch === 0) return original.call(this, type, content, epoch, padding);
    const records: unknown = Reflect.get(client, 'records');
    const clientLayer = records instanceof RecordLayer ? records.dtls13Records : undefined;
    const r = edit(this === clientLayer ? 'client' : 'server', { type, content, epoch }) ?? { type, content };
    return original.call(this, r.type, r.content, epoch, padding);
  };
}

/** The handshake fragments of a record's content, each edited (none: dropped), encoded again. */
export function editFragments(content: Uint8Array, edit: (f: HandshakeFragment) => HandshakeFragment[]): Uint8Array {
  return concatBytes(...decodeHandshakeFragments(content).flatMap(edit).map(encodeHandshakeFragment));
}

/** The message types in a handshake record's content. */
export function typesIn(content: Uint8Array): number[] {
  try {
    return decodeHandshakeFragments(content).map((f) => f.msgType);
  } catch {
    return [];
  }
}

/** A whole handshake message as one fragment. */
export function fragment(msgType: number, messageSeq: number, body: Uint8Array): Uint8Array {
  return encodeHandshakeFragment({ msgType, length: body.length, messageSeq, fragmentOffset: 0, body });
}
