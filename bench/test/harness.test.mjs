// A smoke test of the bench harness (not the benchmark): every measurement with tiny counts and
// one run (BENCH_QUICK=1), into a temporary folder; the tables must have their shape and every
// figure must be a positive number.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { median, pairedRatio } from '../src/paired-ratio.mjs';
import { renderMarkdown, renderTable, summarize } from '../src/report.mjs';
import { summarizeProfile } from '../src/profile-summary.mjs';
import { withRetries } from '../src/retry.mjs';
import { TARGETS, evaluateTargets, renderTargets } from '../src/targets.mjs';

const run = fileURLToPath(new URL('../src/run.mjs', import.meta.url));
const profile = fileURLToPath(new URL('../src/profile.mjs', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'dtls-kit-bench-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const TABLES = {
  'One-way throughput': [
    'plain node:dgram (no crypto)',
    'dtls-kit non-blocking, node:crypto',
    'dtls-kit non-blocking, noble',
    'dtls-kit non-blocking, sodium-native (PSK-CHACHA20-POLY1305)',
    'dtls-kit non-blocking, node:crypto, ChaCha20 (PSK-CHACHA20-POLY1305)',
    'dtls-kit non-blocking, native-aead',
    'OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA)', 'node-dtls-client → OpenSSL server'],
  'Ping-pong': [
    'plain node:dgram (no crypto)',
    'dtls-kit non-blocking, node:crypto',
    'dtls-kit non-blocking, noble',
    'dtls-kit non-blocking, sodium-native (PSK-CHACHA20-POLY1305)',
    'dtls-kit non-blocking, native-aead',
    'OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA)', 'node-dtls-client → OpenSSL server'],
  'Sequential full handshakes, PSK': ['dtls-kit non-blocking, node:crypto', 'dtls-kit non-blocking, node:crypto, cold (fresh client and server processes, warm-up handshakes: 1)', 'dtls-kit non-blocking, noble', 'OpenSSL 3 (C)', 'OpenSSL client → dtls-kit server', 'dtls-kit client → OpenSSL server', 'node-dtls-client → dtls-kit server', 'node-dtls-client → OpenSSL server'],
  'Sequential full handshakes, ECDHE-ECDSA': ['dtls-kit non-blocking, node:crypto', 'dtls-kit non-blocking, node:crypto, cold (fresh client and server processes, warm-up handshakes: 1)', 'dtls-kit non-blocking, noble', 'OpenSSL 3 (C)', 'werift-dtls (ECDHE-ECDSA) (client checks no chain)', 'OpenSSL client → dtls-kit server', 'dtls-kit client → OpenSSL server'],
  'Sequential resumed handshakes': ['dtls-kit non-blocking, node:crypto, full', 'dtls-kit non-blocking, node:crypto, resumed'],
  'DTLS 1.3 vs 1.2: sequential full PSK': ['DTLS 1.2, PSK-AES128-GCM-SHA256', 'DTLS 1.2, ECDHE-PSK-AES128-GCM-SHA256', 'DTLS 1.3, TLS_AES_128_GCM_SHA256 (psk_dhe_ke, X25519)'],
  'DTLS 1.3 vs 1.2: sequential full handshakes with a P-256': ['DTLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256', 'DTLS 1.3, TLS_AES_128_GCM_SHA256 (X25519, ecdsa_secp256r1_sha256)'],
  'DTLS 1.3 vs 1.2: one-way throughput': [
    'DTLS 1.2, PSK-AES128-GCM-SHA256', 'DTLS 1.3, TLS_AES_128_GCM_SHA256 (unified header, encrypted record numbers)',
    'wolfSSL 5.5.4 examples (C), DTLS 1.2, PSK-AES128-GCM-SHA256 (client -B send rate)', 'wolfSSL 5.5.4 examples (C), DTLS 1.3, TLS_AES_128_GCM_SHA256 (client -B send rate)'],
  'DTLS 1.3 vs 1.2: ping-pong': ['DTLS 1.2, PSK-AES128-GCM-SHA256', 'DTLS 1.3, TLS_AES_128_GCM_SHA256 (unified header, encrypted record numbers)'],
  'Blocking runtime': [
    'dtls-kit blocking, handshakes in workers, 1 worker',
    'dtls-kit blocking, handshakes in workers, 2 workers',
    'dtls-kit blocking, handshakes in workers, 4 workers',
    'dtls-kit blocking, default (handshakes on main), 2 workers',
    'dtls-kit blocking, default (handshakes on main), 4 workers',
    'dtls-kit non-blocking, node:crypto',
    'OpenSSL 3 (C) (one client at a time: serialises the clients)',
  ],
  'Memory per idle established connection': ['dtls-kit non-blocking, node:crypto', 'dtls-kit non-blocking, noble', 'dtls-kit non-blocking, node:crypto, DTLS 1.3', 'werift-dtls (ECDHE-ECDSA)'],
  'Through nginx: ping-pong': [
    'plain node:dgram, direct', 'plain node:dgram, through nginx (no PROXY header: nginx alone)', 'dtls-kit, direct',
    'dtls-kit, through nginx, PROXY v2 on each datagram', 'dtls-kit, through nginx, no PROXY header (the njs filter not run)'],
  'Through nginx: one-way throughput': ['dtls-kit, direct', 'dtls-kit, through nginx, 1 backend', 'dtls-kit, through nginx, 2 backends, 2 clients', 'dtls-kit, direct, 2 clients'],
  'Through nginx: full PSK': ['dtls-kit, direct', 'dtls-kit, through nginx, 1 backend', 'dtls-kit, through nginx, 2 backends'],
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
      execFile(process.execPath, [run], { env: { ...process.env, BENCH_QUICK: '1', BENCH_PARALLEL: '3', BENCH_RETRIES: '1', BENCH_OUT: out }, timeout: 150_000, maxBuffer: 1 << 22 }, (error, stdout, stderr) =>
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
    const targets = table(markdown, 'Targets');
    expect(targets.body.map((r) => r[0])).toEqual(TARGETS.map((t) => t.what));
    // every target but the 10,000-connection memory one (not in a quick run) has its figure
    expect(targets.body.filter((r) => r[2] === 'not measured').map((r) => r[0])).toEqual([
      'memory per idle connection, 10,000 connections (heap bytes)',
      'memory per idle connection, 10,000 connections, DTLS 1.3 (the default version; heap bytes)',
    ]);
    for (const r of targets.body.filter((r) => r[2] !== 'not measured')) expect(['yes', 'not yet']).toContain(r[4]);
    const tput = table(markdown, 'One-way throughput');
    expect(tput.header).toEqual(expect.arrayContaining(['records/s median', 'MB/s median', '÷ dgram', '÷ OpenSSL 3', '÷ werift-dtls']));
  });

  it('a BENCH_ONLY run writes a -subset file and leaves latest.md alone', async () => {
    const dir = join(out, 'subset');
    await new Promise((resolve, reject) =>
      execFile(process.execPath, [run], { env: { ...process.env, BENCH_QUICK: '1', BENCH_ONLY: '^pingpong$', BENCH_RETRIES: '1', BENCH_OUT: dir }, timeout: 60_000, maxBuffer: 1 << 22 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
      ),
    );
    const files = readdirSync(dir);
    expect(files).not.toContain('latest.md');
    expect(files.filter((f) => /^\d{4}-\d\d-\d\dT\d{4}-.+-subset\.md$/.test(f))).toHaveLength(1);
  });

  it('bench:profile writes a CPU profile of each Node process of one row and lists its functions', async () => {
    const dir = join(out, 'profiles');
    const { stdout } = await new Promise((resolve, reject) =>
      execFile(process.execPath, [profile, 'handshake-psk', 'node:crypto'], { env: { ...process.env, BENCH_QUICK: '1', BENCH_OUT: dir, BENCH_TOP: '5' }, timeout: 60_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
      ),
    );
    expect(stdout).toMatch(/^handshake-psk \/ dtls-kit non-blocking, node:crypto: [\d.]+ handshakes\/s/);
    const profiles = readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.cpuprofile')).map(String);
    expect(profiles.some((f) => f.startsWith('peer-dtlskit-server-'))).toBe(true);
    expect(profiles.some((f) => f.startsWith('peer-dtlskit-client-'))).toBe(true);
    expect(stdout.match(/ms sampled/g)?.length).toBe(profiles.length);
  });

  it('profile summary: self time per function, from the samples and their time deltas', () => {
    const frame = (functionName, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });
    const p = {
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('seal', 'file:///x/packages/core/dist/index.js', 9) },
        { id: 3, callFrame: frame('open', 'file:///x/packages/core/dist/index.js', 19) },
      ],
      samples: [2, 3, 2, 2],
      timeDeltas: [1000, 500, 1000, 500],
    };
    const s = summarizeProfile(p, 1);
    expect(s.totalMs).toBe(3);
    expect(s.functions).toEqual([{ name: 'seal packages/core/dist/index.js:10', selfMs: 2.5, percent: (100 * 2.5) / 3 }]);
  });

  it('targets: each a ratio of two rows of the run (or a bound), met or not, or not measured', () => {
    const t = (id, rows) => ({ id, rows: rows.map(([label, median]) => ({ label, median, runs: 1, byRun: [[1, median]] })) });
    const tables = [
      t('throughput', [['plain node:dgram (no crypto)', 100], ['dtls-kit non-blocking, node:crypto', 50], ['dtls-kit non-blocking, noble', 70], ['dtls-kit non-blocking, sodium-native', 85], ['dtls-kit non-blocking, native-aead', 92]]),
      t('pingpong', [['plain node:dgram (no crypto)', 100], ['dtls-kit non-blocking, node:crypto', 60], ['dtls-kit non-blocking, native-aead', 80], ['OpenSSL 3 (C)', 120]]),
      t('blocking', [['dtls-kit blocking, handshakes in workers, 1 worker', 40], ['dtls-kit blocking, handshakes in workers, 2 workers', 70], ['dtls-kit blocking, default (handshakes on main), 2 workers', 90], ['dtls-kit blocking, default (handshakes on main), 4 workers', 85], ['dtls-kit non-blocking, node:crypto', 100]]),
      t('memory-10000', [['dtls-kit non-blocking, node:crypto', 8000], ['dtls-kit non-blocking, node:crypto, DTLS 1.3', 9000]]),
    ];
    const r = Object.fromEntries(evaluateTargets(tables).map((x) => [x.what, x]));
    expect(r['one-way 1,200-byte records/s, default provider (node:crypto)']).toMatchObject({ value: 0.5, met: false });
    // The fastest dtls-kit row present (native-aead here), never a baseline's (OpenSSL's).
    expect(r['one-way records/s, fastest provider available']).toMatchObject({ value: 0.92, met: true });
    expect(r['ping-pong round trips/s, fastest provider available']).toMatchObject({ value: 0.8, met: false });
    // The default's best and the option's best, each with the row it came from: the option never hides the default.
    expect(r["blocking server handshakes/s, the default (handshakes: 'auto', on main for inline PSK keys; its best worker count) vs the non-blocking server, same clients"]).toMatchObject({ value: 0.9, which: 'dtls-kit blocking, default (handshakes on main), 2 workers', met: true });
    expect(r["blocking server handshakes/s, handshakes: 'worker' (its best worker count) vs the non-blocking server, same clients"]).toMatchObject({ value: 0.7, which: 'dtls-kit blocking, handshakes in workers, 2 workers', met: false });
    expect(r['memory per idle connection, 10,000 connections (heap bytes)']).toMatchObject({ value: 8000, met: true });
    expect(r['memory per idle connection, 10,000 connections, DTLS 1.3 (the default version; heap bytes)']).toMatchObject({ value: 9000, met: false });
    expect(r['ping-pong round trips/s']).toMatchObject({ value: 0.6, met: false });
    const md = renderTargets(evaluateTargets(tables));
    expect(md).toContain('| one-way 1,200-byte records/s, default provider (node:crypto) | plain node:dgram | ×0.50 | ≥ ×0.6 | not yet |');
    expect(md).toContain('| 8,000 B | ≤ 8,192 B | yes |');
    expect(md).toContain('| ×0.70 (dtls-kit blocking, handshakes in workers, 2 workers) | ≥ ×0.8 | not yet |');
    expect(md).toContain('| ping-pong round trips/s, fastest provider available | plain node:dgram | ×0.80 (dtls-kit non-blocking, native-aead) | ≥ ×0.9 | not yet |');
    expect(renderTargets(evaluateTargets(tables.filter((x) => x.id !== 'pingpong')))).toContain('| ping-pong round trips/s | plain node:dgram | not measured | ≥ ×0.9 | – |');
  });

  it('summarizes samples as medians with min, max and ratios', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const m = { id: 'x', title: 'x', unit: 'u/s', rows: [{ label: 'a' }, { label: 'base' }], baselines: ['base'] };
    const runs = (...values) => values.map((value, i) => ({ run: i + 1, value }));
    const t = summarize(m, new Map([['a', runs(10, 30, 20)], ['base', runs(40, 40, 40)]]));
    expect(t.rows[0]).toMatchObject({ median: 20, min: 10, max: 30, runs: 3, ratios: { base: 0.5 } });
    expect(renderTable(t)).toContain('| a | 20.0 | 10.0 | 30.0 | 3 | ×0.50 |');
  });

  it('pairs each ratio run by run: a fast run is never divided by a slow one', () => {
    const m = { id: 'x', title: 'x', unit: 'u/s', rows: [{ label: 'a' }, { label: 'base' }], baselines: ['base'] };
    // `a` made 0.8 of `base` in runs 1 and 2; in run 3 the host slowed down between the two rows.
    // The medians come from different runs (a's from run 2, base's from run 3): 40 ÷ 80 = 0.5.
    // Paired: 0.8, 0.8, 0.375, median 0.8.
    const a = [{ run: 1, value: 80 }, { run: 2, value: 40 }, { run: 3, value: 30 }];
    const base = [{ run: 1, value: 100 }, { run: 2, value: 50 }, { run: 3, value: 80 }];
    const t = summarize(m, new Map([['a', a], ['base', base]]));
    expect(t.rows[0].median / t.rows[1].median).toBe(0.5);
    expect(t.rows[0].ratios.base).toBeCloseTo(0.8, 12);
    // A run in which one of the two failed is left out of the pairs, not matched with another run's.
    const gap = summarize(m, new Map([['a', [{ run: 1, value: 80 }, { run: 3, value: 30 }]], ['base', [{ run: 1, value: 100 }, { run: 2, value: 10 }, { run: 3, value: 50 }]]]));
    expect(pairedRatio(gap.rows[0], gap.rows[1])).toEqual({ median: 0.7, min: 0.6, max: 0.8, runs: 2 });
    expect(pairedRatio({ byRun: [[1, 5]] }, { byRun: [[2, 5]] })).toBeUndefined();
    // A run with a figure that is not a positive finite number on either side is left out.
    expect(pairedRatio({ byRun: [[1, 4], [2, NaN], [3, 3]] }, { byRun: [[1, 8], [2, 8], [3, 0]] })).toEqual({ median: 0.5, min: 0.5, max: 0.5, runs: 1 });
    // Memory tables pair the heap figure of each run.
    const mem = summarize({ id: 'm', title: 'm', unit: 'B', memory: true, rows: [{ label: 'a' }, { label: 'base' }], baselines: ['base'] }, new Map([
      ['a', [{ run: 1, value: { heap: 50, rss: 1, connections: 10 } }, { run: 2, value: { heap: 60, rss: 1, connections: 10 } }]],
      ['base', [{ run: 1, value: { heap: 100, rss: 1, connections: 10 } }, { run: 2, value: { heap: 100, rss: 1, connections: 10 } }]],
    ]));
    expect(mem.rows[0].ratios.base).toBeCloseTo(0.55, 12);
  });

  it('targets: a ratio shows the range of its runs, the best row is chosen by paired ratio', () => {
    const row = (label, ...values) => ({ label, runs: values.length, median: median(values), byRun: values.map((v, i) => [i + 1, v]) });
    const tables = [
      { id: 'throughput', rows: [row('plain node:dgram (no crypto)', 100, 50, 60), row('dtls-kit non-blocking, node:crypto', 40, 30, 30), row('dtls-kit non-blocking, native-aead', 90, 35, 40)] },
      { id: 'blocking', rows: [row('dtls-kit non-blocking, node:crypto', 100, 200, 100), row('dtls-kit blocking, default (handshakes on main), 2 workers', 60, 190, 110), row('dtls-kit blocking, default (handshakes on main), 4 workers', 100, 196, 100)] },
    ];
    const r = Object.fromEntries(evaluateTargets(tables).map((x) => [x.what, x]));
    // Runs: 0.4, 0.6, 0.5 -> median 0.5.
    expect(r['one-way 1,200-byte records/s, default provider (node:crypto)']).toMatchObject({ value: 0.5, met: false, range: { min: 0.4, max: 0.6, runs: 3 } });
    // By the rows' medians 2 workers (110) beat 4 (100); run by run 2 workers made 0.6, 0.95, 1.1 of
    // the non-blocking server (median 0.95) and 4 workers 1.0, 0.98, 1.0 (median 1.0): 4 is the best.
    expect(r["blocking server handshakes/s, the default (handshakes: 'auto', on main for inline PSK keys; its best worker count) vs the non-blocking server, same clients"]).toMatchObject({ value: 1, which: 'dtls-kit blocking, default (handshakes on main), 4 workers', met: true, range: { min: 0.98, max: 1 } });
    const md = renderTargets(evaluateTargets(tables));
    expect(md).toContain('| one-way 1,200-byte records/s, default provider (node:crypto) | plain node:dgram | ×0.50 (3 runs ×0.40–0.60) | ≥ ×0.6 | not yet |');
    expect(md).toContain('| ×1.00 (dtls-kit blocking, default (handshakes on main), 4 workers, 3 runs ×0.98–1.00) | ≥ ×0.8 | yes |');
  });

  it('BENCH_RETRIES: a failed row runs again, at most N more times, and every failure is reported', async () => {
    const heard = [];
    let calls = 0;
    const flaky = async () => {
      calls++;
      if (calls < 3) throw new Error(`port taken ${calls}`);
      return 'measured';
    };
    await expect(withRetries(flaky, 1, (e) => heard.push(e.message))).rejects.toThrow('port taken 2');
    expect(heard).toEqual(['port taken 1']);
    calls = 0;
    heard.length = 0;
    await expect(withRetries(flaky, 2, (e, attempt) => heard.push(`${attempt}: ${e.message}`))).resolves.toBe('measured');
    expect(heard).toEqual(['0: port taken 1', '1: port taken 2']);
    const info = { date: '2026-12-03T13:00:00.000Z', host: 'h', cpu: 'x', cores: 2, os: 'linux', loadStart: [0, 0, 0], node: 'v20', nodeOpenssl: '3', openssl: '3', cc: 'cc', packages: {}, git: 'abc' };
    const md = renderMarkdown({ info, tables: [], runs: 1, quick: true, failures: [], retried: ['pingpong / a (run 1, attempt 1): port taken 1'], seconds: 1 });
    expect(md).toContain('## Failed, then measured on a retry\n\n- pingpong / a (run 1, attempt 1): port taken 1\n');
    expect(md).not.toContain('## Failures');
  });
});
