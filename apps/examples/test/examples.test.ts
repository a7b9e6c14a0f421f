import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const run = (name: string): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, [fileURLToPath(new URL('../run.mjs', import.meta.url)), name], { encoding: 'utf8', timeout: 25_000 });

describe('the seed examples, as `make dtls_<name>` runs them', () => {
  it('PSK, blocking: the loops run in worker threads; three echoes, close', () => {
    const r = run('psk-blocking');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/server: 127\.0\.0\.1:\d+ connected as "Client_identity" with \S+ \(worker thread [1-9]\d*\)/);
    expect(r.stdout).toMatch(/client: connected with DTLSv1\.2 \S+ \(worker thread [1-9]\d*\)/);
    expect(r.stdout).toContain('client: sent "dtls-kit", got back "dtls-kit"');
    expect(r.stdout).toContain('server: client closed the connection');
  });

  it('x509, blocking: mutual certificate authentication in workers, three echoes, close', () => {
    const r = run('x509-blocking');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/client: connected with DTLSv1\.2 ECDHE-ECDSA-\S+ to "CN=localhost" \(authorized: true\)/);
    expect(r.stdout).toContain('client certificate "CN=example-client"');
    expect(r.stdout).toContain('client: sent "from", got back "from"');
  });

  it('PSK, non-blocking: handshake, three echoes, close', () => {
    const r = run('psk-non-blocking');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/server: 127\.0\.0\.1:\d+ connected as "Client_identity" with /);
    expect(r.stdout).toContain('client: sent "dtls-kit", got back "dtls-kit"');
    expect(r.stdout).toContain('server: client closed the connection');
  });

  it('x509, non-blocking: mutual certificate authentication, three echoes, close', () => {
    const r = run('x509-non-blocking');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/client: connected with DTLSv1\.2 ECDHE-ECDSA-\S+ to "CN=localhost" \(authorized: true\)/);
    expect(r.stdout).toContain('client certificate "CN=example-client"');
    expect(r.stdout).toContain('client: sent "hello", got back "hello"');
  });

  it('scale-out: three servers behind nginx (lb-config), six clients spread by hash, a rebinding client stays on its server', () => {
    // LB_PORT apart from the seed examples' ports; nginx, libnginx-mod-stream(-js) from `make peers`.
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../scale-out/run.mjs', import.meta.url))], {
      encoding: 'utf8',
      timeout: 25_000,
      env: { ...process.env, LB_PORT: '4460' },
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/client 0 \(port \d+\): served by server [012], sent "hello from client 0", got back "hello from client 0"/);
    const home = /rebinding client: connected through a NAT, served by server ([012])/.exec(r.stdout)?.[1];
    expect(home).toBeDefined();
    expect(r.stdout.match(new RegExp(`server ${home ?? 'x'}: connection [0-9a-f]{16} moved from port \\d+ to \\d+`, 'g'))?.length).toBeGreaterThanOrEqual(3);
    expect(r.stdout).toContain(`stayed on server ${home ?? 'x'}`);
    expect(r.stdout.trimEnd().endsWith('ok')).toBe(true);
  });
});
