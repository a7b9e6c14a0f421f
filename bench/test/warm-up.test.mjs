// The `blocking` measurement's warm-up run (measurements.mjs, `warmSeconds`): before the measured
// clients, the same clients run once against the same server, with no warm-up of their own and
// for warmSeconds, their results discarded. Checked with stand-in processes that log their
// arguments, so the order and the arguments are what is tested, not a benchmark.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRow } from '../src/measurements.mjs';

const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-bench-warm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = join(dir, 'clients.log');

// A server that says it listens and stays until its stdin closes; a client that logs its
// arguments (workload, count, warm-up, seconds) with the time it ran, and reports a result.
const server = [process.execPath, ['-e', "process.stdout.write('READY 1\\n'); process.stdin.resume();"]];
const client = (port, w, n, warm, s) => [
  process.execPath,
  ['-e', `require('node:fs').appendFileSync(${JSON.stringify(log)}, ${JSON.stringify(`${w} ${n} ${warm} ${s}`)} + ' ' + Date.now() + '\\n'); process.stdout.write('RESULT {"handshakes":' + (${JSON.stringify(warm)} === '0' ? 1 : 2) + ',"seconds":1}\\n');`],
];
const measurement = (warmSeconds) => ({ id: 'warm', workload: ['handshake', 50, 7, 2], warmSeconds, unit: 'handshakes/s', rows: [] });
const row = { label: 'stand-in', server, client, clientsCount: 3 };

describe('runMessages: the warm-up run of a measurement with warmSeconds', () => {
  it('runs the row\'s clients once for warmSeconds (no warm-up of their own) before the measured ones, and returns only the measured results', async () => {
    const results = await runRow(measurement(5), row, {});
    // Only the measured clients' results (their warm-up argument is 7: handshakes 2).
    expect(results).toEqual([{ handshakes: 2, seconds: 1 }, { handshakes: 2, seconds: 1 }, { handshakes: 2, seconds: 1 }]);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    expect(lines.map((l) => l.slice(0, 4).join(' '))).toEqual([
      'handshake 50 0 5', 'handshake 50 0 5', 'handshake 50 0 5',
      'handshake 50 7 2', 'handshake 50 7 2', 'handshake 50 7 2',
    ]);
    // Every warm-up client ran before any measured one.
    const ran = lines.map((l) => Number(l[4]));
    expect(Math.max(...ran.slice(0, 3))).toBeLessThanOrEqual(Math.min(...ran.slice(3)));
  });

  it('runs no warm-up clients for a measurement without warmSeconds', async () => {
    rmSync(log, { force: true });
    await runRow(measurement(undefined), row, {});
    expect(readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual(['handshake 50 7 2', 'handshake 50 7 2', 'handshake 50 7 2']);
  });
});
