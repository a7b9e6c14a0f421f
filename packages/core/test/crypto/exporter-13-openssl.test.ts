/**
 * The TLS 1.3 exporter (RFC 8446 7.5) against OpenSSL 3.0, over TLS 1.3 on TCP loopback (the
 * exporter is the same in DTLS 1.3 but for the label prefix, RFC 9147 5.9; OpenSSL has no DTLS
 * 1.3). Both OpenSSL programs print the keying material they export, and s_client's key log gives
 * the exporter_master_secret (EXPORTER_SECRET); ours must turn that secret into the same bytes:
 *   openssl s_server -tls1_3 -accept 127.0.0.1:PORT -cert c.pem -key k.pem -ciphersuites SUITE -naccept 1 \
 *     -keymatexport 'EXPERIMENTAL dtls-kit' -keymatexportlen 42
 *   openssl s_client -connect 127.0.0.1:PORT -tls1_3 -ciphersuites SUITE -keylogfile keys.txt \
 *     -keymatexport 'EXPERIMENTAL dtls-kit' -keymatexportlen 42
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { exportKeyingMaterial13 } from '../../src/crypto/exporter-13.js';
import { TLS13_LABEL_PREFIX } from '../../src/crypto/hkdf-label.js';
import type { HashAlgorithm } from '../../src/crypto/provider.js';
import { PROVIDERS } from './providers.js';

const LABEL = 'EXPERIMENTAL dtls-kit';
const LENGTH = 42;
const TIMEOUT_MS = 20_000;

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-kit-exporter-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-nodes', '-subj', '/CN=localhost'], { stdio: 'ignore' });
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves with the process's stdout once it matches `pattern` (rejects on exit or after the timeout). */
function waitFor(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${out}`)), TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      out += d.toString('latin1');
      const m = out.match(pattern);
      if (m !== null) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}: ${out}`));
    });
  });
}

async function opensslExport(suite: string): Promise<{ secret: Uint8Array; client: string; server: string }> {
  const port = await freeTcpPort();
  const keylog = join(dir, `keys-${suite}.txt`);
  const exportArgs = ['-keymatexport', LABEL, '-keymatexportlen', String(LENGTH)];
  const server = spawn('openssl', ['s_server', '-tls1_3', '-accept', `127.0.0.1:${port}`, '-cert', join(dir, 'c.pem'), '-key', join(dir, 'k.pem'), '-ciphersuites', suite, '-naccept', '1', ...exportArgs]);
  const processes: ChildProcessWithoutNullStreams[] = [server];
  try {
    const material = /Keying material: ([0-9A-F]+)/;
    const serverMaterial = waitFor(server, material);
    // Awaited below; the handler only keeps an early failure from being reported as unhandled.
    serverMaterial.catch(() => undefined);
    await waitFor(server, /ACCEPT/);
    const client = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_3', '-ciphersuites', suite, '-keylogfile', keylog, ...exportArgs]);
    processes.push(client);
    const clientMaterial = (await waitFor(client, material))[1] ?? '';
    const line = readFileSync(keylog, 'latin1')
      .split('\n')
      .find((l) => l.startsWith('EXPORTER_SECRET '));
    if (line === undefined) throw new Error('no EXPORTER_SECRET in the key log');
    return { secret: fromHex(line.split(' ')[2] ?? ''), client: clientMaterial.toLowerCase(), server: ((await serverMaterial)[1] ?? '').toLowerCase() };
  } finally {
    for (const p of processes) {
      p.stdin.end();
      p.kill();
    }
  }
}

const SUITES: readonly { suite: string; hash: HashAlgorithm }[] = [
  { suite: 'TLS_AES_128_GCM_SHA256', hash: 'sha256' },
  { suite: 'TLS_AES_256_GCM_SHA384', hash: 'sha384' },
];

describe('TLS 1.3 exporter against OpenSSL 3.0', () => {
  it.each(SUITES)('$suite: TLS-Exporter(label, no context, 42) from the logged EXPORTER_SECRET', async ({ suite, hash }) => {
    const got = await opensslExport(suite);
    expect(got.secret).toHaveLength(hash === 'sha256' ? 32 : 48);
    expect(got.client).toBe(got.server);
    for (const { provider } of PROVIDERS) {
      const ours = exportKeyingMaterial13({ provider, hash, labelPrefix: TLS13_LABEL_PREFIX }, got.secret, LABEL, undefined, LENGTH);
      expect(toHex(ours)).toBe(got.client);
      // RFC 8446 7.5: no context and an empty context are the same.
      expect(toHex(exportKeyingMaterial13({ provider, hash, labelPrefix: TLS13_LABEL_PREFIX }, got.secret, LABEL, new Uint8Array(0), LENGTH))).toBe(got.client);
    }
  }, 60_000);
});
