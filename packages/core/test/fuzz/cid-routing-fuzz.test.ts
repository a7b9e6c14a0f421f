/**
 * The fuzzer's CID routing check (RFC 9146), fixed seed: the 'psk-cid' scenario only, so that
 * every case runs a CID session, with hostile variants of each genuine tls12_cid datagram
 * (cid-probes.ts) routed through the server's ConnectionTable from a third address and from the
 * real one — unknown, truncated, stripped, doubled and decoy CIDs, CID records in epoch 0,
 * rewritten headers, flipped payloads, replays. Each must be routed by its CID and change
 * nothing in the connection it reaches.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, fuzz } from './handshake-fuzz.js';

const SLICE_DATAGRAMS = 20_000;

describe('structured fuzz: CID records through the server routing (fixed-seed slice)', () => {
  it(`${SLICE_DATAGRAMS} datagrams of CID sessions: routed by CID, dropped without exceptions or state changes`, () => {
    const report = fuzz(SLICE_DATAGRAMS, 0x9146, ['psk-cid'], 20);
    console.log(formatReport(report));
    expect(report.datagrams).toBeGreaterThanOrEqual(SLICE_DATAGRAMS);
    expect(report.heapAfterMB - report.heapBeforeMB).toBeLessThan(8);
    // Probes reached each route: the server's connection by CID, the decoy by its CID, the
    // stateless endpoint (unknown or broken CIDs from the third address), and the client.
    for (const route of ['connection', 'decoy', 'endpoint']) expect(report.reached[`cid probe to ${route}`] ?? 0).toBeGreaterThan(200);
    expect(report.reached['cid probe to client'] ?? 0).toBeGreaterThan(200);
  }, 180_000);
});
