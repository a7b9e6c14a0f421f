/**
 * X25519 on the node provider must not hang the process. Node 20's generateKeyPairSync() leaves
 * its generation job for the garbage collector, and the job's destructor takes the mutex of the
 * key it made; exporting that key (`keyObject.export({ format: 'jwk' })`) holds the same mutex
 * while it allocates the result, so a collection at that moment deadlocks the main thread. The
 * provider once generated every handshake's key share that way.
 *
 * Runs the built package (dist/, as `make test` builds it first) in a child process, since a
 * deadlock in the test process itself would hang the run instead of failing it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROUNDS = 10_000;
/** Far above the ~1–3 s the loop takes on a loaded machine: only a hang gets near it. */
const DEADLINE_MS = 60_000;

interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly hung: boolean;
}

function runChild(): Promise<ChildResult> {
  const script = fileURLToPath(new URL('./x25519-under-gc.mjs', import.meta.url));
  const child = spawn(process.execPath, ['--max-semi-space-size=1', script, String(ROUNDS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, DEADLINE_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, hung });
    });
  });
}

describe('node provider X25519 under garbage-collection pressure', () => {
  it(
    `${ROUNDS} key shares generated and used with a 1 MB young generation: the process finishes`,
    async () => {
      const r = await runChild();
      expect(r.hung, `the child was still running after ${DEADLINE_MS} ms (deadlocked); stderr: ${r.stderr}`).toBe(false);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(`done ${ROUNDS}`);
    },
    DEADLINE_MS + 10_000,
  );
});
