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
});
