/**
 * SNICallback and ALPNCallback in the blocking runtime: functions cannot cross into a worker, so
 * they come from the credentials module and run in the worker, where the engine runs. Proven
 * against `openssl s_client -servername NAME -alpn LIST`: the certificate for NAME (the subject
 * s_client prints) and the protocol ALPNCallback chose ("ALPN protocol: ...").
 */
import { createCA, createCertificate } from '@dtls-kit/x509';
import { runOpensslClient } from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBlockingServer, type BlockingServer } from '../src/index.js';
import { fixture } from './helpers.js';

type Generated = Awaited<ReturnType<typeof createCA>>;
const sites: Record<string, { key: string; cert: string }> = {};
let fallback: Generated;

beforeAll(async () => {
  const ca = await createCA({ commonName: 'blocking sni test CA' });
  for (const name of ['alpha.example', 'beta.example']) {
    const c = await createCertificate({ ca, commonName: name, subjectAltNames: [name], usage: 'server' });
    sites[name] = { key: c.key, cert: c.cert };
  }
  fallback = await createCertificate({ ca, commonName: 'default.example', subjectAltNames: ['default.example'], usage: 'server' });
});

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(delayMs = 20, maxQueue?: number): Promise<number> {
  server = createBlockingServer({
    handler: fixture('echo-handler.mjs'),
    credentials: {
      module: fixture('sni-credentials.mjs'),
      export: 'server',
      args: { sites, fallback: { key: fallback.key, cert: fallback.cert }, delayMs },
    },
    maxThreads: 1,
    maxQueue,
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return port;
}

const CIPHER = 'ECDHE-ECDSA-AES128-GCM-SHA256';
const subject = (stdout: string): string | undefined => /^subject=(.*)$/m.exec(stdout)?.[1]?.trim();
const alpn = (stdout: string): string | undefined => /^ALPN protocol: (.*)$/m.exec(stdout)?.[1]?.trim();

describe('SNICallback and ALPNCallback from a credentials module (blocking runtime)', () => {
  it.each([
    ['alpha.example', 'foo,bar', 'bar'],
    ['beta.example', 'mqtt,coap', 'coap'],
  ])('openssl s_client -servername %s -alpn %s: that certificate, protocol %s', async (name, offer, chosen) => {
    const port = await start();
    const r = await runOpensslClient({ port, cipher: CIPHER, messages: ['hello'], extraArgs: ['-servername', name, '-alpn', offer] });
    expect(r.echoed, r.stdout + r.stderr).toBe(true);
    expect(subject(r.stdout)).toBe(`CN = ${name}`);
    expect(alpn(r.stdout)).toBe(chosen);
  });

  it('no server_name: the default certificate; an unknown one: a fatal unrecognized_name alert (RFC 6066 3)', async () => {
    const port = await start();
    const plain = await runOpensslClient({ port, cipher: CIPHER, messages: ['hello'], extraArgs: ['-noservername'] });
    expect(plain.echoed, plain.stdout + plain.stderr).toBe(true);
    expect(subject(plain.stdout)).toBe('CN = default.example');
    const refused = await runOpensslClient({ port, cipher: CIPHER, messages: ['hello'], extraArgs: ['-servername', 'nobody.example'] });
    expect(refused.echoed).toBe(false);
    expect(refused.stdout + refused.stderr).toMatch(/alert unrecognized name|alert number 112/);
  });
});

describe('a slow SNICallback is the worker waiting on itself, not a stalled peer', () => {
  it('with the only place taken, a handshake in wait_sni past the first retransmission timeout is not evicted', async () => {
    // One worker, no queue. A's SNICallback takes 3 s; B arrives 2.2 s after A (a worker starts
    // in well under 1.2 s), so A has waited in wait_sni past the 1 s after which a handshake
    // waiting on a silent peer gives way. A keeps its worker; B is refused (a full pool's answer),
    // where a stalled A would have been evicted for it.
    const port = await start(3_000, 0);
    const a = runOpensslClient({ port, cipher: CIPHER, messages: ['from a'], extraArgs: ['-servername', 'alpha.example'], timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    const b = runOpensslClient({ port, cipher: CIPHER, messages: ['from b'], extraArgs: ['-servername', 'beta.example'], timeoutMs: 15_000 });
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.echoed, ra.stdout + ra.stderr).toBe(true);
    expect(rb.echoed).toBe(false);
    expect(server?.stats.evicted).toBe(0);
    expect(server?.stats.refused).toBeGreaterThanOrEqual(1);
  });
});

describe('SNICallback and ALPNCallback outside the credentials module', () => {
  it.each(['SNICallback', 'ALPNCallback'])('%s: a TypeError that says where it belongs', (name) => {
    const base = { handler: fixture('echo-handler.mjs'), credentials: { module: fixture('sni-credentials.mjs') } };
    const callback = (): undefined => undefined;
    expect(() => createBlockingServer({ ...base, [name]: callback })).toThrow(/cannot cross into a worker: return it from the credentials module/);
  });
});
