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

  it('DTLS 1.3 (`run.mjs NAME --dtls1_3`, as `make demo` runs them): PSK and x509, blocking and non-blocking, three echoes each', () => {
    for (const name of ['psk-blocking', 'x509-blocking', 'psk-non-blocking', 'x509-non-blocking']) {
      const r = spawnSync(process.execPath, [fileURLToPath(new URL('../run.mjs', import.meta.url)), name, '--dtls1_3'], { encoding: 'utf8', timeout: 25_000 });
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout, name).toMatch(/client: connected with DTLSv1\.3 TLS_AES_128_GCM_SHA256/);
      expect(r.stdout, name).toContain('client: sent "dtls-kit", got back "dtls-kit"');
      expect(r.stdout, name).toContain('server: client closed the connection');
      if (name.startsWith('x509')) expect(r.stdout, name).toMatch(/server: \S+ connected with DTLSv1\.3 TLS_AES_128_GCM_SHA256, client certificate "CN=example-client"/);
    }
  }, 60_000);

  it('scale-out: three `dtls-kit server` processes (shared secrets file, server ids, PROXY v2) behind nginx (lb-config): clients spread by hash, a rebinding client stays on its server, a ticket resumes at another', () => {
    // LB_PORT apart from the seed examples' ports; nginx, libnginx-mod-stream(-js) from `make peers`.
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../scale-out/run.mjs', import.meta.url))], {
      encoding: 'utf8',
      timeout: 40_000,
      env: { ...process.env, LB_PORT: '4460' },
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\$ dtls-kit server --port 4461 --psk \S+ --secrets-file \S+ --server-id 0 --proxy-protocol 127\.0\.0\.1/);
    const first = /client 0 \(port (\d+)\): served by server ([012]), sent "hello from client 0", got back "hello from client 0"/.exec(r.stdout);
    expect(first).not.toBeNull();
    // --proxy-protocol: the server's line names the client's own port, not nginx's.
    expect(r.stdout).toContain(`server ${first?.[2] ?? 'x'}: connection 127.0.0.1:${first?.[1] ?? 'x'} DTLSv1.2 `);
    const home = /rebinding client: connected through a NAT, served by server ([012])/.exec(r.stdout)?.[1];
    expect(home).toBeDefined();
    expect(r.stdout.match(new RegExp(`server ${home ?? 'x'}: moved 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:\\d+`, 'g'))?.length).toBeGreaterThanOrEqual(3);
    expect(r.stdout).toContain(`stayed on server ${home ?? 'x'}`);
    // The shared secrets file: a ticket from one server resumes at another.
    expect(r.stdout).toMatch(/resuming client: reconnected to server [012]: resumed \(abbreviated handshake\)/);
    expect(r.stdout.trimEnd().endsWith('ok')).toBe(true);
  }, 45_000);
});
