// A smoke test of the bench harness (not the benchmark): every measurement with tiny counts and
// one run (BENCH_QUICK=1), into a temporary folder; the tables must have their shape and every
// figure must be a positive number.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { median, summarize, renderTable } from '../src/report.mjs';

const run = fileURLToPath(new URL('../src/run.mjs', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'dtls-kit-bench-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const TABLES = {
  'One-way throughput': ['plain node:dgram (no crypto)', 'dtls-kit non-blocking, node:crypto', 'dtls-kit non-blocking, noble', 'OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA)', 'node-dtls-client → OpenSSL server'],
  'Ping-pong': ['plain node:dgram (no crypto)', 'dtls-kit non-blocking, node:crypto', 'dtls-kit non-blocking, noble', 'OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA)', 'node-dtls-client → OpenSSL server'],
  'Sequential full handshakes, PSK': ['dtls-kit non-blocking, node:crypto', 'dtls-kit non-blocking, noble', 'OpenSSL 3 (C)', 'OpenSSL client → dtls-kit server', 'dtls-kit client → OpenSSL server', 'node-dtls-client → dtls-kit server', 'node-dtls-client → OpenSSL server'],
  'Sequential full handshakes, ECDHE-ECDSA': ['dtls-kit non-blocking, node:crypto', 'dtls-kit non-blocking, noble', 'OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA) (client checks no chain)', 'OpenSSL client → dtls-kit server', 'dtls-kit client → OpenSSL server'],
  'Blocking runtime': ['dtls-kit blocking, 1 worker', 'dtls-kit blocking, 2 workers', 'dtls-kit non-blocking, node:crypto', 'OpenSSL 3 (C) (one client at a time: serialises the clients)'],
  'Memory per idle established connection': ['dtls-kit non-blocking, node:crypto', 'dtls-kit non-blocking, noble', 'werift-dtls (ECDHE-ECDSA)'],
};

/** The rows of the markdown table under the heading that starts with `title`. */
function table(markdown, title) {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`## ${title}`));
  if (at < 0) return undefined;
  const rows = [];
  for (const l of lines.slice(at + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return { header: rows[0], body: rows.slice(2) };
}

const number = (cell) => Number(cell.replace(/[×,]/g, '').replace(/ \(.*$/, ''));

describe('bench harness (BENCH_QUICK=1)', () => {
  it('runs every measurement and writes tables of positive figures', async () => {
    const { stdout } = await new Promise((resolve, reject) =>
      execFile(process.execPath, [run], { env: { ...process.env, BENCH_QUICK: '1', BENCH_PARALLEL: '3', BENCH_OUT: out }, timeout: 110_000, maxBuffer: 1 << 22 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
      ),
    );
    const files = readdirSync(out);
    expect(files).toContain('latest.md');
    expect(files.filter((f) => /^\d{4}-\d\d-\d\dT\d{4}-.+\.md$/.test(f))).toHaveLength(1);
    const markdown = readFileSync(join(out, 'latest.md'), 'utf8');
    expect(stdout).toBe(markdown);
    expect(markdown).toMatch(/- machine: .+, \d+ cores, /);
    expect(markdown).toMatch(/- Node v\d+/);
    expect(markdown).not.toContain('## Failures');
    for (const [title, labels] of Object.entries(TABLES)) {
      const t = table(markdown, title);
      expect(t, title).toBeDefined();
      expect(t.body.map((r) => r[0])).toEqual(labels);
      const ratioColumns = t.header.map((h, i) => (h.startsWith('÷') ? i : -1)).filter((i) => i >= 0);
      expect(ratioColumns.length, `${title}: ratio columns`).toBeGreaterThan(0);
      for (const r of t.body) {
        for (const i of [1, 2, 3, ...ratioColumns]) expect(number(r[i]), `${title} / ${r[0]} / ${t.header[i]}`).toBeGreaterThan(0);
      }
    }
    const tput = table(markdown, 'One-way throughput');
    expect(tput.header).toEqual(expect.arrayContaining(['records/s median', 'MB/s median', '÷ dgram', '÷ OpenSSL 3', '÷ werift-dtls']));
  });

  it('summarizes samples as medians with min, max and ratios', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const m = { id: 'x', title: 'x', unit: 'u/s', rows: [{ label: 'a' }, { label: 'base' }], baselines: ['base'] };
    const t = summarize(m, new Map([['a', [10, 30, 20]], ['base', [40, 40, 40]]]));
    expect(t.rows[0]).toMatchObject({ median: 20, min: 10, max: 30, runs: 3, ratios: { base: 0.5 } });
    expect(renderTable(t)).toContain('| a | 20.0 | 10.0 | 30.0 | 3 | ×0.50 |');
  });
});
