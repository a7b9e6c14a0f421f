/**
 * DTLS 1.3 resumption (RFC 8446 2.2, 4.6.1; RFC 9147 5.8) in the non-blocking runtime against
 * wolfSSL 5.5.4 built with session tickets (`scripts/peers/build-wolfssl.sh tickets`: its default
 * build has none, and then "Can't do TLS 1.3 resumption; need session tickets!"), from its
 * source root, with an ECDSA P-256 certificate made here (CHAIN.pem/KEY.pem):
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -c CHAIN.pem -k KEY.pem -p PORT -d -e -i
 *     our client (ticketPskLabel: 'tls13': wolfSSL 5.5.4 derives the ticket's PSK with the label
 *     "tls13 resumption" in DTLS 1.3 too, src/tls13.c DeriveResumptionPSK; with RFC 9147's
 *     "dtls13resumption" its server refuses our binder): a full handshake, wolfSSL's
 *     NewSessionTicket (the 'session' event), then
 *     connect({ session }) resumes: isSessionReused(), and through a recording relay the
 *     server's side of the resumed handshake is hundreds of bytes shorter (no Certificate, no
 *     CertificateVerify).
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -h 127.0.0.1 -p PORT -d -x -r
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -K -h 127.0.0.1 -p PORT -d -x -r   (psk_ke)
 *     wolfSSL's client against our server: its second connection offers our ticket (its binder
 *     made with the "tls13 " label, which our server tries after "dtls13"); it prints
 *     "reused session id" and our second socket isSessionReused().
 * A failed wolfSSL build fails these tests (it never skips them).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, createCertificate, x509Client, x509Server } from '@dtls-kit/x509';
import { pskServer } from '@dtls-kit/psk';
import { WOLFSSL_PSK_13, describePeerClient, describePeerServer, runWolfsslClient, startRecordingRelay, startWolfsslServer, wolfsslRoot, type PeerServer } from '@dtls-kit/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { echo, roundTrip, text, until } from './helpers.js';

let dir: string;
let pki: { caPem: string; cert: string; key: string; chainFile: string; keyFile: string };
let peer: PeerServer | undefined;
let server: DtlsServer | undefined;

beforeAll(async () => {
  wolfsslRoot('tickets');
  dir = mkdtempSync(join(tmpdir(), 'dtls13-resume-'));
  const ca = await createCA({ commonName: 'resumption 1.3 CA', keyType: 'ecdsa-p256' });
  const leaf = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server', keyType: 'ecdsa-p256' });
  const chainFile = join(dir, 'chain.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(chainFile, leaf.cert);
  writeFileSync(keyFile, leaf.key);
  pki = { caPem: ca.cert, cert: leaf.cert, key: leaf.key, chainFile, keyFile };
}, 30 * 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await peer?.stop();
  peer = undefined;
  await server?.close();
  server = undefined;
});

describe('DTLS 1.3 resumption with wolfSSL 5.5.4 (session tickets)', () => {
  it("our client: wolfSSL's NewSessionTicket becomes a session, connect({ session }) resumes it without the certificate flight", async () => {
    peer = await startWolfsslServer({ version: '1.3', variant: 'tickets', cipher: 'TLS13-AES128-GCM-SHA256', cert: pki.chainFile, key: pki.keyFile });
    const relay = await startRecordingRelay({ serverPort: peer.port });
    try {
      // wolfSSL 5.5.4 derives the ticket's PSK with "tls13 resumption", not RFC 9147 5.9's "dtls13resumption".
      const options = { host: '127.0.0.1', port: relay.port, x509: x509Client({ ca: pki.caPem }), servername: 'localhost', maxVersion: 'DTLSv1.3', ticketPskLabel: 'tls13' } as const;
      const first = await connect(options);
      const why = (): string => describePeerServer(peer!);
      const sessions: Buffer[] = [];
      first.on('session', (s) => sessions.push(s));
      expect(first.getProtocol(), why()).toBe('DTLSv1.3');
      expect(first.isSessionReused()).toBe(false);
      // wolfSSL sends its ticket after the handshake; our echo round trip lets it arrive.
      expect(await roundTrip(first, 'full handshake'), why()).toBe('full handshake');
      await until(() => sessions.length > 0, 5000, "the 'session' event");
      const session = first.getSession();
      expect(session).toBeDefined();
      await first.close();

      const resumed = await connect({ ...options, session });
      expect(resumed.getProtocol(), why()).toBe('DTLSv1.3');
      expect(resumed.isSessionReused(), why()).toBe(true);
      expect(resumed.authorized).toBe(true);
      expect(await roundTrip(resumed, 'resumed handshake'), why()).toBe('resumed handshake');
      await resumed.close();

      // Everything the server sent to each of our two connections (the same exchange: hellos,
      // its flight, a ticket, an echo of about the same length, ACKs): the resumed one lacks the
      // Certificate (a chain of several hundred bytes) and CertificateVerify.
      const clients = [...new Set(relay.datagrams.map((d) => d.client))];
      expect(clients.length).toBe(2);
      const flightBytes = clients.map((c) => relay.datagrams.filter((d) => d.client === c && d.direction === 'server-to-client').reduce((n, d) => n + d.bytes.length, 0));
      const [full, short] = flightBytes as [number, number];
      expect(short, `server bytes: full ${full}, resumed ${short}`).toBeLessThan(full - 300);
    } finally {
      await relay.stop();
    }
  }, 30_000);

  it("wolfSSL's client (-r) resumes with our server: it prints \"reused session id\", our socket isSessionReused()", async () => {
    const accepted: DtlsSocket[] = [];
    const received: string[] = [];
    server = createServer({ maxVersion: 'DTLSv1.3', x509: x509Server({ key: pki.key, cert: pki.cert }) }, (s) => {
      accepted.push(s);
      s.on('message', (m) => received.push(text(m)));
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runWolfsslClient({ version: '1.3', variant: 'tickets', port, cipher: 'TLS13-AES128-GCM-SHA256', resume: true, timeoutMs: 15_000 });
    const why = describePeerClient(result);
    expect(result.echoed, why).toBe(true);
    expect(result.stdout, why).toContain('reused session id');
    expect(result.stdout, why).toContain('SSL reused session');
    await until(() => received.length >= 2, 5000, 'both messages');
    expect(received).toEqual(['hello wolfssl!', 'resuming wolfssl!']);
    expect(accepted.map((s) => s.isSessionReused())).toEqual([false, true]);
  }, 30_000);

  it("psk_ke (-K: no key share at all): wolfSSL's client resumes with our PSK server on the ticket alone", async () => {
    const accepted: DtlsSocket[] = [];
    server = createServer({ maxVersion: 'DTLSv1.3', psk: pskServer({ keys: { Client_identitySHA256: WOLFSSL_PSK_13 } }) }, (s) => {
      accepted.push(s);
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runWolfsslClient({ version: '1.3', variant: 'tickets', port, psk: true, pskOnly: true, cipher: 'TLS13-AES128-GCM-SHA256', resume: true, timeoutMs: 15_000 });
    const why = describePeerClient(result);
    expect(result.stdout, why).toContain('reused session id');
    await until(() => accepted.length >= 2, 5000, 'both connections');
    expect(accepted.map((s) => s.isSessionReused())).toEqual([false, true]);
  }, 30_000);
});
