import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('no worker or handle left behind', () => {
  it('examples/echo.mjs exits on its own after closing its server', () => {
    const script = fileURLToPath(new URL('../examples/echo.mjs', import.meta.url));
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.signal, run.stderr).toBeNull();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('client: got "hello" "over" "DTLS" back');
    expect(run.stdout).toContain('server: client closed');
  });
});
