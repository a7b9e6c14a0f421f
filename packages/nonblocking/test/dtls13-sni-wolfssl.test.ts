/**
 * SNICallback on our DTLS 1.3 server (RFC 6066 3 in TLS 1.3's EncryptedExtensions, RFC 8446 4.3.1)
 * with the default versions, against wolfSSL 5.5.4's example client built with --enable-sni
 * (variant 'sni': Debian's configuration has no SNI), which sends server_name and verifies the
 * chain it gets against a CA file, from its source root:
 *   ./examples/client/client -u -v 4 -h 127.0.0.1 -p PORT -A CA.pem -x -S beta.example
 * The callback sees wolfSSL's name and answers with that site's certificate; wolfSSL verifies it
 * against the site's own CA, which signed no other certificate here (the other site's CA differs),
 * so the echo shows that the certificate sent was the callback's.
 */
import { createCA, createCertificate, x509Server } from '@dtls-kit/x509';
import { describePeerClient, runWolfsslClient, wolfsslRoot } from '@dtls-kit/test-kit';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type DtlsServer } from '../src/index.js';
import { echo } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-sni13-'));
let server: DtlsServer | undefined;
beforeAll(() => {
  wolfsslRoot('sni');
}, 30 * 60_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SNICallback in DTLS 1.3, wolfSSL 5.5.4 (--enable-sni) as the client', () => {
  it("the callback gets wolfSSL's server_name and its certificate is the one wolfSSL verifies", async () => {
    const sites: Record<string, ReturnType<typeof x509Server>> = {};
    for (const name of ['alpha.example', 'beta.example']) {
      const ca = await createCA({ commonName: `${name} CA` });
      const leaf = await createCertificate({ ca, commonName: name, subjectAltNames: [name], usage: 'server' });
      sites[name] = x509Server({ key: leaf.key, cert: leaf.cert });
      writeFileSync(join(dir, `${name}-ca.pem`), ca.cert);
    }
    const asked: string[] = [];
    server = createServer(
      {
        x509: sites['alpha.example'],
        SNICallback: async (name) => {
          asked.push(name);
          return { x509: sites[name] };
        },
      },
      (s) => echo(s),
    );
    const { port } = await server.listen(0, '127.0.0.1');
    const beta = await runWolfsslClient({ version: '1.3', variant: 'sni', port, caFile: join(dir, 'beta.example-ca.pem'), extraArgs: ['-S', 'beta.example'] });
    expect(beta.echoed, describePeerClient(beta)).toBe(true);
    expect(beta.version).toBe('DTLSv1.3');
    expect(asked).toEqual(['beta.example']);
    // The same client trusting only beta's CA but asking for alpha gets alpha's certificate: refused.
    const alpha = await runWolfsslClient({ version: '1.3', variant: 'sni', port, caFile: join(dir, 'beta.example-ca.pem'), extraArgs: ['-S', 'alpha.example'] });
    expect(alpha.echoed, describePeerClient(alpha)).toBe(false);
    expect(asked).toEqual(['beta.example', 'alpha.example']);
  }, 60_000);
});
