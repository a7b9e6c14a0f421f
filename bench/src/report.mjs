// Medians, min/max and ratios; the markdown of a results file.
import os from 'node:os';
import { median, pairedRatio } from './paired-ratio.mjs';
import { evaluateTargets, renderTargets } from './targets.mjs';

/**
 * One table: a row per implementation with median/min/max, and a ratio to each baseline (pairedRatio).
 * `samples`: label -> [{ run, value }], a value per run in which the row was measured.
 */
export function summarize(m, samples) {
  const rows = m.rows.map((r) => {
    const entries = samples.get(r.label) ?? [];
    const values = entries.map((e) => e.value);
    if (m.memory) {
      const heap = values.map((v) => v.heap);
      const rss = values.map((v) => v.rss);
      return {
        label: r.label,
        runs: values.length,
        connections: values.length ? Math.min(...values.map((v) => v.connections)) : 0,
        median: values.length ? median(heap) : NaN,
        min: values.length ? Math.min(...heap) : NaN,
        max: values.length ? Math.max(...heap) : NaN,
        rss: values.length ? { median: median(rss), min: Math.min(...rss), max: Math.max(...rss) } : undefined,
        byRun: entries.map((e) => [e.run, e.value.heap]),
        note: r.note,
      };
    }
    return {
      label: r.label,
      runs: values.length,
      median: values.length ? median(values) : NaN,
      min: values.length ? Math.min(...values) : NaN,
      max: values.length ? Math.max(...values) : NaN,
      byRun: entries.map((e) => [e.run, e.value]),
      note: r.note,
    };
  });
  const baselines = m.baselines.filter((b) => rows.some((r) => r.label === b && r.runs > 0));
  for (const r of rows) {
    r.ratios = Object.fromEntries(baselines.map((b) => [b, pairedRatio(r, rows.find((x) => x.label === b))?.median ?? NaN]));
  }
  return { id: m.id, title: m.title, unit: m.unit, extra: m.extra, memory: Boolean(m.memory), rows, baselines };
}

const fmt = (v) => (Number.isFinite(v) ? (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(v >= 10 ? 1 : 2)) : 'n/a');
// Two decimals; two significant digits below 0.1 (a loaded smoke run can give ×0.004, not ×0.00).
const ratio = (v) => (Number.isFinite(v) ? `×${v >= 0.1 || v === 0 ? v.toFixed(2) : v.toPrecision(2)}` : 'n/a');
const short = (b) => b.replace(/ \(.*\)$/, '').replace('plain node:dgram', 'dgram');

export function renderTable(t) {
  const head = ['implementation', `${t.unit} median`, 'min', 'max'];
  if (t.extra) head.push(`${t.extra.unit} median`);
  if (t.memory) head.push('RSS/connection median (min–max)', 'connections');
  head.push('runs', ...t.baselines.map((b) => `÷ ${short(b)}`));
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of t.rows) {
    const cells = [r.note ? `${r.label} (${r.note})` : r.label, fmt(r.median), fmt(r.min), fmt(r.max)];
    if (t.extra) cells.push(fmt(t.extra.of(r.median)));
    if (t.memory) cells.push(r.rss ? `${fmt(r.rss.median)} (${fmt(r.rss.min)}–${fmt(r.rss.max)})` : 'n/a', String(r.connections));
    cells.push(String(r.runs), ...t.baselines.map((b) => ratio(r.ratios[b])));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function renderMarkdown({ info, tables, runs, quick, parallel = 1, failures, retried = [], seconds, note }) {
  const loadEnd = os.loadavg();
  const out = [];
  out.push(`# dtls-kit benchmarks — ${info.date.slice(0, 10)} on ${info.host}`, '');
  if (quick) out.push('**Quick mode (BENCH_QUICK=1): tiny counts, a smoke run of the harness — not figures to quote.**', '');
  if (parallel > 1) out.push(`**${parallel} rows ran at once (BENCH_PARALLEL): the figures disturb each other.**`, '');
  if (note) out.push(`**${note}**`, '');
  out.push(
    `- date: ${info.date}; the whole run took ${seconds.toFixed(0)} s`,
    `- machine: ${info.cpu}, ${info.cores} cores, ${info.os}`,
    `- load average (1/5/15 min) at the start: ${info.loadStart.map((v) => v.toFixed(2)).join(' / ')}; at the end: ${loadEnd.map((v) => v.toFixed(2)).join(' / ')}`,
    `- Node ${info.node} (its OpenSSL ${info.nodeOpenssl}); system ${info.openssl}; ${info.cc}`,
    `- packages: ${Object.entries(info.packages).map(([k, v]) => `${k} ${v}`).join(', ')}; dtls-kit at git ${info.git}`,
    `- method: loopback (127.0.0.1), server and client in separate processes, ${runs} run(s) per row, the rows of a run interleaved; median with min and max; each ratio is the median over the runs of that run's row ÷ its baseline (both of the same run). Every load loop is bounded in count and in seconds.`,
    '',
  );
  out.push(
    '## Targets (issue 15): each ratio from rows of this run',
    '',
    renderTargets(evaluateTargets(tables)),
    '',
    "Each ratio (here and in the tables' ÷ columns) is the median of the runs' own ratios: the row ÷ its baseline, both measured in the same run; the targets give the lowest and highest of them.",
    '',
  );
  for (const t of tables) out.push(`## ${t.title}`, '', renderTable(t), '');
  if (failures.length) out.push('## Failures', '', ...failures.map((f) => `- ${f}`), '');
  if (retried.length) out.push('## Failed, then measured on a retry', '', ...retried.map((f) => `- ${f}`), '');
  return out.join('\n');
}
