import type { Dtls13ReadRecord, Dtls13RecordStats } from './dtls13-record-layer.js';
import type { ReadRecord, RecordLayerStats } from './record-layer.js';

/**
 * What a DTLS 1.3 connection's records look like to the rest of the engine, which reads the DTLS
 * 1.2 record layer's shapes: the records of Dtls13RecordLayer.open as ReadRecords (the content is
 * the payload; its type the inner, real content type, RFC 9147 4), and its counters as
 * RecordLayerStats.
 */
export function dtls13ReadRecords(records: readonly Dtls13ReadRecord[]): ReadRecord[] {
  return records.map((r) => ({ type: r.type, epoch: r.epoch, sequenceNumber: r.sequenceNumber, payload: r.content, authenticated: r.authenticated }));
}

/**
 * The counters of a connection that switched to DTLS 1.3: those of its 1.2 epoch 0 before the
 * switch plus the 1.3 layer's. Records that name an epoch we cannot read (RFC 9147 4.2.2) are
 * dropped ones; failed authentications are bad MACs.
 */
export function dtls13RecordStats(before: Readonly<RecordLayerStats>, after: Readonly<Dtls13RecordStats>): RecordLayerStats {
  return {
    dropped: before.dropped + after.dropped + after.unknownEpoch,
    replayed: before.replayed + after.replayed,
    badMac: before.badMac + after.authFailures,
    held: before.held + after.held,
    sealed: before.sealed + after.sealed,
  };
}
