/**
 * Certificate failures against real peers over UDP on 127.0.0.1: each handshake must end in
 * the alert named, on our side (our own check, fromPeer false; or the peer's alert, fromPeer
 * true) and in the peer's log (the alert it received, or the one it sent).
 *
 * A missing peer binary fails these tests: it never skips them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gnutlsPriorityForSuite,
  requireInteropPeers,
  runGnutlsClient,
  runOpensslClient,
  startGnutlsServer,
  startOpensslServer,
  waitUntil,
  type PeerServer,
} from '@dtls-kit/test-kit';
import { AlertDescription } from '@dtls-kit/core';
import { x509Client, x509Server } from '../../src/index.js';
import { connectOurClient, startOurServer, type OurClient } from './our-side.js';
import { makeInteropPki, type InteropPki } from './pki.js';

const SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';

let pki: InteropPki;

beforeAll(async () => {
  requireInteropPeers();
  pki = await makeInteropPki();
}, 60_000);

afterAll(() => pki?.remove());

/** Waits until the peer's output matches (its log line may come a moment after our alert). */
function outputMatches(peer: { output(): string }, pattern: RegExp): Promise<boolean> {
  return waitUntil(() => pattern.test(peer.output()), 3000, 20);
}

/** Our client, trusting the ECDSA root, against a peer server; returns once it failed or connected. */
async function ourClientAgainst(server: PeerServer, servername = 'localhost'): Promise<OurClient> {
  return connectOurClient({ port: server.port, suite: SUITE, servername, x509: x509Client({ ca: pki.ecdsa.caPem }) });
}

function expectLocalAlert(client: OurClient, alert: AlertDescription, why: string): void {
  expect(client.established, why).toBe(false);
  expect(client.closeError?.alert, why).toBe(alert);
  expect(client.closeError?.fromPeer, why).toBe(false);
}

describe.concurrent('certificate failures against real peers', () => {
  it('our client -> openssl s_server with a certificate from an unknown CA: unknown_ca', async () => {
    const server = await startOpensslServer({ cipher: SUITE, cert: pki.untrustedServer.leafFile, key: pki.untrustedServer.keyFile });
    try {
      const client = await ourClientAgainst(server);
      await client.close();
      const why = `${client.describeEvents()}\n${server.commandLine}\n${server.output()}`;
      expectLocalAlert(client, AlertDescription.unknown_ca, why);
      expect(await outputMatches(server, /alert unknown ca/i), why).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('our client -> openssl s_server with an expired certificate: certificate_expired', async () => {
    const server = await startOpensslServer({
      cipher: SUITE,
      cert: pki.expiredServer.leafFile,
      key: pki.expiredServer.keyFile,
      extraArgs: ['-cert_chain', pki.expiredServer.intermediatesFile!],
    });
    try {
      const client = await ourClientAgainst(server);
      await client.close();
      const why = `${client.describeEvents()}\n${server.commandLine}\n${server.output()}`;
      expectLocalAlert(client, AlertDescription.certificate_expired, why);
      expect(await outputMatches(server, /alert certificate expired/i), why).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('our client -> gnutls-serv with a certificate from an unknown CA: unknown_ca', async () => {
    const server = await startGnutlsServer({
      priority: gnutlsPriorityForSuite(SUITE),
      cert: pki.untrustedServer.chainFile,
      key: pki.untrustedServer.keyFile,
      extraArgs: ['--disable-client-cert', '-d', '5'],
    });
    try {
      const client = await ourClientAgainst(server);
      await client.close();
      const why = `${client.describeEvents()}\n${server.commandLine}\n${server.output()}`;
      expectLocalAlert(client, AlertDescription.unknown_ca, why);
      expect(await outputMatches(server, /Alert\[2\|48\] - CA is unknown - was received/), why).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('our client -> gnutls-serv, servername not in the certificate: bad_certificate', async () => {
    const server = await startGnutlsServer({
      priority: gnutlsPriorityForSuite(SUITE),
      cert: pki.ecdsa.server.chainFile,
      key: pki.ecdsa.server.keyFile,
      extraArgs: ['--disable-client-cert', '-d', '5'],
    });
    try {
      const client = await ourClientAgainst(server, 'not-localhost.example');
      await client.close();
      const why = `${client.describeEvents()}\n${server.commandLine}\n${server.output()}`;
      expectLocalAlert(client, AlertDescription.bad_certificate, why);
      expect(await outputMatches(server, /Alert\[2\|42\] - Certificate is bad - was received/), why).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('openssl s_client -> our server with a certificate from an unknown CA: the peer sends unknown_ca', async () => {
    const ours = await startOurServer({ suite: SUITE, x509: x509Server({ key: pki.untrustedServer.keyPem, cert: pki.untrustedServer.chainPem }) });
    try {
      const client = await runOpensslClient({ port: ours.port, cipher: SUITE, caFile: pki.ecdsa.caFile, messages: [], expectEcho: false, lingerMs: 0 });
      await ours.waitForClose();
      const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
      expect(client.code, why).not.toBe(0);
      expect(`${client.stdout}${client.stderr}`, why).toMatch(/unable to get local issuer certificate/);
      expect(ours.sessions, why).toHaveLength(1);
      const [session] = ours.sessions;
      expect(session!.handshake, why).toBe(false);
      expect(session!.closeError?.alert, why).toBe(AlertDescription.unknown_ca);
      expect(session!.closeError?.fromPeer, why).toBe(true);
    } finally {
      await ours.stop();
    }
  });

  it('openssl s_client without a certificate -> our server with requestCert: handshake_failure', async () => {
    const ours = await startOurServer({
      suite: SUITE,
      x509: x509Server({ key: pki.ecdsa.server.keyPem, cert: pki.ecdsa.server.chainPem, ca: pki.ecdsa.caPem, requestCert: true }),
    });
    try {
      const client = await runOpensslClient({ port: ours.port, cipher: SUITE, caFile: pki.ecdsa.caFile, messages: [], expectEcho: false, lingerMs: 0 });
      await ours.waitForClose();
      const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
      expect(client.code, why).not.toBe(0);
      expect(`${client.stdout}${client.stderr}`, why).toMatch(/alert handshake failure/i);
      expect(ours.sessions, why).toHaveLength(1);
      const [session] = ours.sessions;
      expect(session!.handshake, why).toBe(false);
      expect(session!.closeError?.alert, why).toBe(AlertDescription.handshake_failure);
      expect(session!.closeError?.fromPeer, why).toBe(false);
    } finally {
      await ours.stop();
    }
  });

  it('gnutls-cli without a certificate -> our server with requestCert: handshake_failure', async () => {
    const ours = await startOurServer({
      suite: SUITE,
      x509: x509Server({ key: pki.ecdsa.server.keyPem, cert: pki.ecdsa.server.chainPem, ca: pki.ecdsa.caPem, requestCert: true }),
    });
    try {
      const client = await runGnutlsClient({
        port: ours.port,
        priority: gnutlsPriorityForSuite(SUITE),
        caFile: pki.ecdsa.caFile,
        verifyHostname: 'localhost',
        messages: [],
        expectEcho: false,
        lingerMs: 0,
      });
      await ours.waitForClose();
      const why = `${ours.describe()}\n${client.stdout}\n${client.stderr}`;
      expect(client.code, why).not.toBe(0);
      expect(`${client.stdout}${client.stderr}`, why).toMatch(/Handshake failed/i);
      const [session] = ours.sessions;
      expect(session?.closeError?.alert, why).toBe(AlertDescription.handshake_failure);
      expect(session?.closeError?.fromPeer, why).toBe(false);
    } finally {
      await ours.stop();
    }
  });
});
