/**
 * Certificate failures through real handshakes between our client and our server (engine +
 * this package's credentials, over UDP on 127.0.0.1): each ends in the alert named, on the side
 * that detects the problem (its own error, fromPeer false) and on the other side, which is told
 * (its close error carries the same alert, fromPeer true). With rejectUnauthorized: false the
 * same handshakes complete, and the connection says why the peer is not authorized.
 */
import { AlertDescription, DtlsError } from '@dtls-kit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA, createCertificate, x509Client, x509Server, type X509ClientOptions, type X509ServerCredentials } from '../src/index.js';
import { connectOurClient, startOurServer, type OurClient, type OurServer, type OurSession } from './interop/our-side.js';
import { makeInteropPki, type InteropPki } from './interop/pki.js';

let pki: InteropPki;
/** A client certificate from a root our servers do not trust. */
let strangerClient: { cert: string; key: string };

beforeAll(async () => {
  pki = await makeInteropPki();
  const strangerRoot = await createCA({ commonName: 'dtls-kit stranger root' });
  strangerClient = await createCertificate({ ca: strangerRoot, commonName: 'stranger', usage: 'client' });
}, 60_000);

afterAll(() => pki?.remove());

const SUITES = { ecdsa: 'ECDHE-ECDSA-AES128-GCM-SHA256', rsa: 'ECDHE-RSA-AES256-GCM-SHA384' } as const;

interface Run {
  client: OurClient;
  ours: OurServer;
  session: OurSession | undefined;
  why: string;
}

/** One handshake of our client against our server; both are closed when `check` returns. */
async function handshake(
  server: X509ServerCredentials,
  client: X509ClientOptions,
  check: (run: Run) => Promise<void> | void,
  options: { servername?: string | null; suite?: string; maxVersion?: 'DTLSv1.2' | 'DTLSv1.3' } = {},
): Promise<void> {
  const suite = options.suite ?? SUITES.ecdsa;
  const ours = await startOurServer({ suite, x509: server });
  try {
    const c = await connectOurClient({
      port: ours.port,
      suite,
      servername: options.servername === null ? undefined : (options.servername ?? 'localhost'),
      x509: x509Client(client),
      ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
    });
    try {
      if (!c.established) await ours.waitForClose();
      const session = ours.sessions[0];
      await check({ client: c, ours, session, why: `client: ${c.describeEvents()}\n${ours.describe()}` });
    } finally {
      await c.close();
    }
  } finally {
    await ours.stop();
  }
}

function expectAlert(error: DtlsError | undefined, alert: AlertDescription, fromPeer: boolean, why: string): void {
  expect(error, why).toBeInstanceOf(DtlsError);
  expect(error?.alertName, why).toBe(new DtlsError(alert, '').alertName);
  expect(error?.fromPeer, why).toBe(fromPeer);
}

/** The client refuses the server's certificate with `alert`; the server hears it. */
function expectClientRefuses(run: Run, alert: AlertDescription): void {
  expect(run.client.established, run.why).toBe(false);
  expectAlert(run.client.closeError, alert, false, run.why);
  expect(run.session?.handshake, run.why).toBe(false);
  expectAlert(run.session?.closeError, alert, true, run.why);
}

/** The server refuses the client with `alert`; the client hears it. */
function expectServerRefuses(run: Run, alert: AlertDescription): void {
  expect(run.client.established, run.why).toBe(false);
  expectAlert(run.client.closeError, alert, true, run.why);
  expect(run.session?.handshake, run.why).toBe(false);
  expectAlert(run.session?.closeError, alert, false, run.why);
}

/**
 * DTLS 1.3: the server refuses the client with `alert` once it has the client's flight; the
 * client, done when it sent its Finished (RFC 8446 4.4.4: its handshake has no later message to
 * wait for), hears the alert after, and closes with it.
 */
async function expectServerRefuses13(run: Run, alert: AlertDescription): Promise<void> {
  expect(run.client.connection.protocol, run.why).toBe('DTLSv1.3');
  await run.client.waitForClose();
  expectAlert(run.client.closeError, alert, true, run.why);
  await run.ours.waitForClose();
  expect(run.ours.sessions[0]?.handshake, run.why).toBe(false);
  expectAlert(run.ours.sessions[0]?.closeError, alert, false, run.why);
}

/** rejectUnauthorized: false: the handshake completes, data flows, and the reason is kept. */
async function expectUnauthorizedButConnected(run: Run, alert: AlertDescription): Promise<void> {
  expect(run.client.established, run.why).toBe(true);
  const { connection } = run.client;
  expect(connection.authorized, run.why).toBe(false);
  expect(connection.authorizationError, run.why).toBeInstanceOf(DtlsError);
  expect((connection.authorizationError as DtlsError).alert, run.why).toBe(alert);
  expect(connection.peerCertificates.length, run.why).toBeGreaterThan(0);
  expect(await run.client.exchange(['still talking']), run.why).toBe('still talking');
}

const cases = [
  {
    name: 'a server certificate from an unknown CA (ECDSA)',
    alert: AlertDescription.unknown_ca,
    server: () => x509Server({ key: pki.untrustedServer.keyPem, cert: pki.untrustedServer.chainPem }),
    client: () => ({ ca: pki.ecdsa.caPem }),
    options: {},
  },
  {
    name: 'a server certificate from an unknown CA (RSA, made by openssl)',
    alert: AlertDescription.unknown_ca,
    server: () => x509Server({ key: pki.rsa.server.keyPem, cert: pki.rsa.server.chainPem }),
    client: () => ({ ca: pki.ecdsa.caPem }),
    options: { suite: SUITES.rsa },
  },
  {
    name: 'an expired server certificate',
    alert: AlertDescription.certificate_expired,
    server: () => x509Server({ key: pki.expiredServer.keyPem, cert: pki.expiredServer.chainPem }),
    client: () => ({ ca: pki.ecdsa.caPem }),
    options: {},
  },
  {
    name: 'a servername that is not in the certificate',
    alert: AlertDescription.bad_certificate,
    server: () => x509Server({ key: pki.ecdsa.server.keyPem, cert: pki.ecdsa.server.chainPem }),
    client: () => ({ ca: pki.ecdsa.caPem }),
    options: { servername: 'wrong.example' },
  },
  {
    name: "an IP address not in the certificate (x509Client's servername, no server_name sent)",
    alert: AlertDescription.bad_certificate,
    server: () => x509Server({ key: pki.ecdsa.server.keyPem, cert: pki.ecdsa.server.chainPem }),
    client: () => ({ ca: pki.ecdsa.caPem, servername: '127.0.0.2' }),
    options: { servername: null },
  },
] as const;

describe.concurrent('our client refuses the server certificate', () => {
  for (const c of cases) {
    it(`${c.name}: ${new DtlsError(c.alert, '').alertName}`, async () => {
      await handshake(c.server(), c.client(), (run) => expectClientRefuses(run, c.alert), c.options);
    });

    it(`${c.name}, rejectUnauthorized: false: connects, authorized false`, async () => {
      await handshake(c.server(), { ...c.client(), rejectUnauthorized: false }, (run) => expectUnauthorizedButConnected(run, c.alert), c.options);
    });
  }

  it('the right name and CA: authorized (the control case)', async () => {
    await handshake(x509Server({ key: pki.ecdsa.server.keyPem, cert: pki.ecdsa.server.chainPem }), { ca: pki.ecdsa.caPem }, async (run) => {
      expect(run.client.established, run.why).toBe(true);
      expect(run.client.connection.authorized, run.why).toBe(true);
      expect(run.client.connection.authorizationError, run.why).toBeUndefined();
      expect(await run.client.exchange(['ok']), run.why).toBe('ok');
    });
  });
});

describe.concurrent('our server refuses the client', () => {
  const requesting = (rejectUnauthorized?: boolean) =>
    x509Server({ key: pki.ecdsa.server.keyPem, cert: pki.ecdsa.server.chainPem, ca: pki.ecdsa.caPem, requestCert: true, rejectUnauthorized });

  it('requestCert + rejectUnauthorized, a client without a certificate: handshake_failure (DTLS 1.2)', async () => {
    await handshake(requesting(), { ca: pki.ecdsa.caPem }, (run) => expectServerRefuses(run, AlertDescription.handshake_failure), { maxVersion: 'DTLSv1.2' });
  });

  it('requestCert + rejectUnauthorized, a client certificate from an unknown CA: unknown_ca (DTLS 1.2)', async () => {
    await handshake(requesting(), { ca: pki.ecdsa.caPem, key: strangerClient.key, cert: strangerClient.cert }, (run) =>
      expectServerRefuses(run, AlertDescription.unknown_ca), { maxVersion: 'DTLSv1.2' },
    );
  });

  it('requestCert + rejectUnauthorized, a client without a certificate: certificate_required (DTLS 1.3)', async () => {
    // RFC 8446 4.4.2.4: "abort the handshake with a "certificate_required" alert".
    await handshake(requesting(), { ca: pki.ecdsa.caPem }, (run) => expectServerRefuses13(run, AlertDescription.certificate_required));
  });

  it('requestCert + rejectUnauthorized, a client certificate from an unknown CA: unknown_ca (DTLS 1.3)', async () => {
    await handshake(requesting(), { ca: pki.ecdsa.caPem, key: strangerClient.key, cert: strangerClient.cert }, (run) =>
      expectServerRefuses13(run, AlertDescription.unknown_ca),
    );
  });

  it('requestCert, rejectUnauthorized: false, a client without a certificate: connects, authorized false', async () => {
    await handshake(requesting(false), { ca: pki.ecdsa.caPem }, async (run) => {
      expect(run.client.established, run.why).toBe(true);
      expect(await run.client.exchange(['hi']), run.why).toBe('hi');
      expect(run.session?.handshake, run.why).toBe(true);
      expect(run.session?.authorized, run.why).toBe(false);
      expect(run.session?.authorizationError, run.why).toBeInstanceOf(DtlsError);
      expect(run.session?.peerCertificates, run.why).toEqual([]);
    });
  });

  it('requestCert, rejectUnauthorized: false, a client certificate from an unknown CA: connects, authorized false', async () => {
    await handshake(requesting(false), { ca: pki.ecdsa.caPem, key: strangerClient.key, cert: strangerClient.cert }, async (run) => {
      expect(run.client.established, run.why).toBe(true);
      expect(await run.client.exchange(['hi']), run.why).toBe('hi');
      expect(run.session?.authorized, run.why).toBe(false);
      expect((run.session?.authorizationError as DtlsError | undefined)?.alert, run.why).toBe(AlertDescription.unknown_ca);
      expect(run.session?.peerCertificates, run.why).toHaveLength(1);
    });
  });
});
