/**
 * The loss simulator's comparison of DTLS 1.3 (ACKs, RFC 9147 5.8/7) with DTLS 1.2 (whole-flight
 * retransmission, RFC 6347 4.2.4) on the same seeds: what each handshake sent again, summed, and
 * its completion time, as a table for the test output.
 */

/** What one seed's handshake cost, whatever its version. */
export interface HandshakeCost {
  /** Handshake bytes sent again, both sides (datagrams as they left, headers included). */
  readonly retransmittedBytes: number;
  readonly retransmittedDatagrams: number;
  /** Virtual ms from connect() until both sides were established. */
  readonly time: number;
  /** ACK records sent, both sides (DTLS 1.3 only). */
  readonly acks: number;
}

export interface CostRow {
  readonly label: string;
  readonly seeds: number;
  readonly costs: readonly HandshakeCost[];
}

function sum(costs: readonly HandshakeCost[], key: keyof HandshakeCost): number {
  return costs.reduce((n, c) => n + c[key], 0);
}

function percentile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? 0;
}

/** Total bytes retransmitted over the rows' seeds. */
export function totalRetransmittedBytes(rows: readonly CostRow[]): number {
  return rows.reduce((n, r) => n + sum(r.costs, 'retransmittedBytes'), 0);
}

/** A fixed-width table: one row per version and mode, totals and completion-time percentiles. */
export function costTable(rows: readonly CostRow[]): string {
  const header = ['handshake', 'seeds', 'bytes resent', 'datagrams resent', 'ACKs sent', 'ms p50', 'ms p90', 'ms max'];
  const lines = rows.map((r) => {
    const times = r.costs.map((c) => c.time);
    return [
      r.label,
      String(r.seeds),
      String(sum(r.costs, 'retransmittedBytes')),
      String(sum(r.costs, 'retransmittedDatagrams')),
      String(sum(r.costs, 'acks')),
      String(percentile(times, 0.5)),
      String(percentile(times, 0.9)),
      String(Math.max(0, ...times)),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(format)].join('\n');
}
