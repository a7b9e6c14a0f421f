import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('no handles left open', () => {
  it('a process that closes its client and server exits on its own (examples/echo.mjs)', () => {
    const script = fileURLToPath(new URL('../examples/echo.mjs', import.meta.url));
    // No process.exit() in the example: if a socket or timer were left open, node would not exit
    // and the 20 s kill would fail the test.
    const run = spawnSync(process.execPath, [script, 'PSK-AES128-CCM8'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.signal, run.stderr).toBeNull();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('client: got "DTLS" back');
    expect(run.stdout).toContain('server: client closed');
  });
});
