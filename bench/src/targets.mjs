// Issue 15's targets, each a ratio of two rows of the same run (or, for memory, a bound in bytes):
// the results file opens with this table so that every run says how far each target is. A ratio
// is paired run by run (paired-ratio.mjs): its median decides, its range is shown.

import { KIT13_MEMORY } from './measurements.mjs';
import { pairedRatio } from './paired-ratio.mjs';

const KIT = 'dtls-kit non-blocking, node:crypto';
/** In the labels of the blocking rows whose server runs the handshakes on its main thread. */
const ON_MAIN = 'handshakes on main';

/** What each target compares. `of` picks the value from the run's tables (undefined: not measured). */
export const TARGETS = [
  {
    what: 'ECDHE-ECDSA handshakes/s, ours on both sides, chain verified',
    against: 'OpenSSL 3 (C)',
    of: (t) => ratio(t, 'handshake-ecdsa', KIT, 'OpenSSL 3 (C)'),
    target: 0.5,
  },
  {
    what: 'PSK-AES128-GCM handshakes/s, ours on both sides',
    against: 'OpenSSL 3 (C)',
    of: (t) => ratio(t, 'handshake-psk', KIT, 'OpenSSL 3 (C)'),
    target: 0.5,
  },
  {
    what: 'one-way 1,200-byte records/s, default provider (node:crypto)',
    against: 'plain node:dgram',
    of: (t) => ratio(t, 'throughput', KIT, 'plain node:dgram (no crypto)'),
    target: 0.6,
  },
  {
    what: 'one-way records/s, fastest provider available',
    against: 'plain node:dgram',
    of: (t) => best(t, 'throughput', (label) => label.startsWith('dtls-kit non-blocking'), 'plain node:dgram (no crypto)'),
    target: 0.8,
  },
  {
    what: 'ping-pong round trips/s',
    against: 'plain node:dgram',
    of: (t) => ratio(t, 'pingpong', KIT, 'plain node:dgram (no crypto)'),
    target: 0.9,
  },
  {
    what: 'ping-pong round trips/s, fastest provider available',
    against: 'plain node:dgram',
    of: (t) => best(t, 'pingpong', (label) => label.startsWith('dtls-kit non-blocking'), 'plain node:dgram (no crypto)'),
    target: 0.9,
  },
  {
    what: "blocking server handshakes/s, the default (handshakes: 'auto', on main for inline PSK keys; its best worker count) vs the non-blocking server, same clients",
    against: 'dtls-kit non-blocking server',
    of: (t) => best(t, 'blocking', (label) => label.startsWith('dtls-kit blocking') && label.includes(ON_MAIN), KIT),
    target: 0.8,
  },
  {
    what: "blocking server handshakes/s, handshakes: 'worker' (its best worker count) vs the non-blocking server, same clients",
    against: 'dtls-kit non-blocking server',
    of: (t) => best(t, 'blocking', (label) => label.startsWith('dtls-kit blocking') && !label.includes(ON_MAIN), KIT),
    target: 0.8,
  },
  {
    what: 'memory per idle connection, 10,000 connections (heap bytes)',
    against: 'at most 8,192 bytes',
    of: (t) => rowOf(t, 'memory-10000', KIT)?.median,
    target: 8192,
    atMost: true,
  },
  {
    what: 'memory per idle connection, 10,000 connections, DTLS 1.3 (the default version; heap bytes)',
    against: 'at most 8,192 bytes',
    of: (t) => rowOf(t, 'memory-10000', KIT13_MEMORY)?.median,
    target: 8192,
    atMost: true,
  },
];

function rowOf(tables, id, label) {
  const row = tables.find((t) => t.id === id)?.rows.find((r) => r.label === label);
  return row && row.runs > 0 ? row : undefined;
}

function ratio(tables, id, label, baseline) {
  const a = rowOf(tables, id, label);
  const b = rowOf(tables, id, baseline);
  const r = a && b ? pairedRatio(a, b) : undefined;
  return r && { value: r.median, range: r };
}

/** The best of the rows whose label passes `pick` (by paired ratio), against `baseline`; with the label of that row (`which`). */
function best(tables, id, pick, baseline) {
  const table = tables.find((t) => t.id === id);
  const b = rowOf(tables, id, baseline);
  if (!b) return undefined;
  let top;
  for (const row of table?.rows ?? []) {
    if (!pick(row.label) || row.label === baseline || row.runs === 0) continue;
    const r = pairedRatio(row, b);
    if (r !== undefined && (top === undefined || r.median > top.value)) top = { value: r.median, range: r, which: row.label };
  }
  return top;
}

/** Each target with its value in this run and whether it is met (undefined when not measured). */
export function evaluateTargets(tables) {
  return TARGETS.map((t) => {
    const got = t.of(tables);
    // A ratio comes with its run-by-run range; a best-of one says which row it is (e.g. which worker count).
    const { value, which, range } = typeof got === 'object' ? got : { value: got };
    const met = value === undefined ? undefined : t.atMost ? value <= t.target : value >= t.target;
    return { what: t.what, against: t.against, target: t.target, atMost: Boolean(t.atMost), value, which, range, met };
  });
}

export function renderTargets(results) {
  const lines = ['| measurement | against | this run | target | met |', '| --- | --- | --- | --- | --- |'];
  for (const r of results) {
    const shown = r.value === undefined ? 'not measured' : r.atMost ? `${Math.round(r.value).toLocaleString('en-US')} B` : `×${r.value.toFixed(2)}`;
    // With more than one run: how many were paired, and the lowest and highest of their own ratios.
    const spread = r.range !== undefined && r.range.runs > 1 ? `${r.range.runs} runs ×${r.range.min.toFixed(2)}–${r.range.max.toFixed(2)}` : undefined;
    const detail = [r.which, spread].filter((x) => x !== undefined).join(', ');
    const value = detail === '' ? shown : `${shown} (${detail})`;
    const target = r.atMost ? `≤ ${r.target.toLocaleString('en-US')} B` : `≥ ×${r.target.toFixed(1)}`;
    const met = r.met === undefined ? '–' : r.met ? 'yes' : 'not yet';
    lines.push(`| ${r.what} | ${r.against} | ${value} | ${target} | ${met} |`);
  }
  return lines.join('\n');
}
