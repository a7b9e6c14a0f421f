import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const run = (name: string, ...flags: string[]): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, [fileURLToPath(new URL('../run.mjs', import.meta.url)), name, ...flags], { encoding: 'utf8', timeout: 25_000 });

// As `make dtls_<name>` runs them: the library's default, DTLS 1.3 (both sides offer 1.3 and 1.2).
describe('the seed examples, as `make dtls_<name>` runs them', () => {
  it('PSK, blocking: the loops run in worker threads; three echoes, close', () => {
    const r = run('psk-blocking');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/server: 127\.0\.0\.1:\d+ connected as "Client_identity" with \S+ \(worker thread [1-9]\d*\)/);
    expect(r.stdout).toMatch(/client: connected with DTLSv1\.3 TLS_AES_128_GCM_SHA256 \(worker thread [1-9]\d*\)/);
    expect(r.stdout).toContain('client: sent "dtls-kit", got back "dtls-kit"');
    expect(r.stdout).toContain('server: client closed the connection');
  });

  it('x509, blocking: mutual certificate authentication in workers, three echoes, close', () => {
    const r = run('x509-blocking');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/client: connected with DTLSv1\.3 TLS_AES_128_GCM_SHA256 to "CN=localhost" \(authorized: true\)/);
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
    expect(r.stdout).toMatch(/client: connected with DTLSv1\.3 TLS_AES_128_GCM_SHA256 to "CN=localhost" \(authorized: true\)/);
    expect(r.stdout).toContain('client certificate "CN=example-client"');
    expect(r.stdout).toContain('client: sent "hello", got back "hello"');
  });

  it('DTLS 1.3 only (`run.mjs NAME --dtls1_3`): PSK and x509, blocking and non-blocking, three echoes each', () => {
    for (const name of ['psk-blocking', 'x509-blocking', 'psk-non-blocking', 'x509-non-blocking']) {
      const r = run(name, '--dtls1_3');
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout, name).toMatch(/client: connected with DTLSv1\.3 TLS_AES_128_GCM_SHA256/);
      expect(r.stdout, name).toContain('client: sent "dtls-kit", got back "dtls-kit"');
      expect(r.stdout, name).toContain('server: client closed the connection');
      if (name.startsWith('x509')) expect(r.stdout, name).toMatch(/server: \S+ connected with DTLSv1\.3 TLS_AES_128_GCM_SHA256, client certificate "CN=example-client"/);
    }
  }, 60_000);

  it('DTLS 1.2 (`run.mjs NAME --dtls1_2`, as `make demo` runs them): PSK and x509, blocking and non-blocking, three echoes each', () => {
    for (const name of ['psk-blocking', 'x509-blocking', 'psk-non-blocking', 'x509-non-blocking']) {
      const r = run(name, '--dtls1_2');
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      if (name.startsWith('x509')) {
        expect(r.stdout, name).toMatch(/client: connected with DTLSv1\.2 ECDHE-ECDSA-\S+ to "CN=localhost" \(authorized: true\)/);
        expect(r.stdout, name).toMatch(/server: \S+ connected with DTLSv1\.2 ECDHE-ECDSA-\S+, client certificate "CN=example-client"/);
      } else {
        expect(r.stdout, name).toMatch(/client: connected with DTLSv1\.2 \S+/);
        expect(r.stdout, name).toMatch(/server: 127\.0\.0\.1:\d+ connected as "Client_identity" with \S+-PSK-|server: 127\.0\.0\.1:\d+ connected as "Client_identity" with PSK-/);
      }
      if (name === 'psk-blocking') expect(r.stdout).toMatch(/client: connected with DTLSv1\.2 \S+ \(worker thread [1-9]\d*\)/);
      expect(r.stdout, name).toContain('client: sent "dtls-kit", got back "dtls-kit"');
      expect(r.stdout, name).toContain('server: client closed the connection');
    }
  }, 60_000);

  // DTLS 1.3 (the default: the CID right after a unified header's first byte) and DTLS 1.2
  // (`--dtls1_2`: tls12_cid records); the njs script routes both (lb/dtls-route.js).
  it.each([
    ['DTLSv1.3', [], '4470'],
    ['DTLSv1.2', ['--dtls1_2'], '4480'],
  ])('scale-out (%s): three `dtls-kit server` processes (shared secrets file, server ids, PROXY v2) behind nginx (lb-config): clients spread by hash, a rebinding client stays on its server, a ticket resumes at another', (version, flags, lbPort) => {
    // LB_PORT apart from the seed examples' ports; nginx, libnginx-mod-stream(-js) from `make peers`.
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../scale-out/run.mjs', import.meta.url)), ...flags], {
      encoding: 'utf8',
      timeout: 40_000,
      env: { ...process.env, LB_PORT: lbPort },
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`\\$ dtls-kit server --port ${Number(lbPort) + 1} --psk \\S+ --secrets-file \\S+ --server-id 0 --proxy-protocol 127\\.0\\.0\\.1`));
    const first = /client 0 \(port (\d+)\): served by server ([012]), sent "hello from client 0", got back "hello from client 0"/.exec(r.stdout);
    expect(first).not.toBeNull();
    // --proxy-protocol: the server's line names the client's own port, not nginx's.
    expect(r.stdout).toContain(`server ${first?.[2] ?? 'x'}: connection 127.0.0.1:${first?.[1] ?? 'x'} ${version} `);
    const home = /rebinding client: connected through a NAT, served by server ([012])/.exec(r.stdout)?.[1];
    expect(home).toBeDefined();
    expect(r.stdout.match(new RegExp(`server ${home ?? 'x'}: moved 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:\\d+`, 'g'))?.length).toBeGreaterThanOrEqual(3);
    expect(r.stdout).toContain(`stayed on server ${home ?? 'x'}`);
    // The shared secrets file: a ticket from one server resumes at another.
    expect(r.stdout).toMatch(new RegExp(`resuming client: reconnected to server [012]: resumed \\(${version}, `));
    expect(r.stdout.trimEnd().endsWith('ok')).toBe(true);
  }, 45_000);
});
