/**
 * SNICallback and ALPNCallback (node:tls's options) proven against OpenSSL: `openssl s_client
 * -servername NAME -alpn LIST` to our server gets the certificate for NAME (the subject s_client
 * prints) and the protocol our ALPNCallback chose ("ALPN protocol: ..."); the refusals reach it
 * as the alerts RFC 6066 3 and RFC 7301 3.2 name.
 */
import { createCA, createCertificate, x509Server } from '@dtls-kit/x509';
import { runOpensslClient } from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsError, type DtlsServer, type DtlsSocket, type ServerCredentials } from '../src/index.js';
import { clientPsk, echo, serverPsk, sleep } from './helpers.js';

type Generated = Awaited<ReturnType<typeof createCA>>;
const certificates = new Map<string, Generated>();

beforeAll(async () => {
  const ca = await createCA({ commonName: 'sni test CA' });
  for (const name of ['default.example', 'alpha.example', 'beta.example']) {
    certificates.set(name, await createCertificate({ ca, commonName: name, subjectAltNames: [name], usage: 'server' }));
  }
});

function credentialsFor(name: string): ServerCredentials | undefined {
  const c = certificates.get(name);
  return c === undefined ? undefined : { x509: x509Server({ key: c.key, cert: c.cert }) };
}

let server: DtlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const CIPHER = 'ECDHE-ECDSA-AES128-GCM-SHA256';

interface Seen {
  sni: string[];
  alpn: { servername: string | undefined; protocols: string[] }[];
  sockets: DtlsSocket[];
  errors: DtlsError[];
}

/**
 * Our server: default certificate default.example; SNICallback answers asynchronously (a lookup
 * that takes a few ms) with the certificate of a known name and refuses others; ALPNCallback
 * picks 'coap' for beta.example, else the client's last protocol, and refuses an offer of 'h2' alone.
 */
async function startServer(): Promise<{ port: number; seen: Seen }> {
  const seen: Seen = { sni: [], alpn: [], sockets: [], errors: [] };
  const defaults = credentialsFor('default.example');
  server = createServer(
    {
      x509: defaults?.x509,
      SNICallback: async (servername) => {
        seen.sni.push(servername);
        await new Promise((resolve) => setTimeout(resolve, 5));
        const credentials = credentialsFor(servername);
        if (credentials === undefined) throw new Error(`no certificate for ${servername}`);
        return credentials;
      },
      ALPNCallback: ({ servername, protocols }) => {
        seen.alpn.push({ servername, protocols });
        if (protocols.length === 1 && protocols[0] === 'h2') return undefined;
        return servername === 'beta.example' ? 'coap' : protocols[protocols.length - 1];
      },
    },
    (s) => {
      seen.sockets.push(s);
      echo(s);
    },
  );
  server.on('clientError', (e) => seen.errors.push(e));
  const { port } = await server.listen(0, '127.0.0.1');
  return { port, seen };
}

/** s_client's "subject=CN = NAME" line (OpenSSL 3.0). */
const subject = (stdout: string): string | undefined => /^subject=(.*)$/m.exec(stdout)?.[1]?.trim();
const alpn = (stdout: string): string | undefined => /^ALPN protocol: (.*)$/m.exec(stdout)?.[1]?.trim();

describe('openssl s_client -servername -alpn to our server (SNICallback, ALPNCallback)', () => {
  it.each([
    ['alpha.example', 'foo,bar', 'bar'],
    ['beta.example', 'coap,mqtt', 'coap'],
  ])('-servername %s -alpn %s: that certificate, and protocol %s', async (name, offer, chosen) => {
    const { port, seen } = await startServer();
    const r = await runOpensslClient({ port, cipher: CIPHER, messages: ['hello'], extraArgs: ['-servername', name, '-alpn', offer, '-tlsextdebug'] });
    expect(r.echoed, r.stdout + r.stderr).toBe(true);
    expect(subject(r.stdout)).toBe(`CN = ${name}`);
    // RFC 6066 3: the name chose the certificate, so the ServerHello carries an empty server_name.
    expect(r.stdout).toMatch(/TLS server extension "server name" \(id=0\), len=0/);
    expect(alpn(r.stdout)).toBe(chosen);
    expect(seen.sni).toEqual([name]);
    expect(seen.alpn).toEqual([{ servername: name, protocols: offer.split(',') }]);
    expect(seen.sockets[0]?.servername).toBe(name);
    expect(seen.sockets[0]?.alpnProtocol).toBe(chosen);
  });

  it('-noservername: SNICallback is not asked, the default certificate serves', async () => {
    const { port, seen } = await startServer();
    const r = await runOpensslClient({ port, cipher: CIPHER, messages: ['hello'], extraArgs: ['-noservername', '-alpn', 'x', '-tlsextdebug'] });
    expect(r.echoed, r.stdout + r.stderr).toBe(true);
    expect(r.stdout).toMatch(/TLS server extension "application layer protocol negotiation"/);
    expect(r.stdout).not.toMatch(/TLS server extension "server name"/);
    expect(subject(r.stdout)).toBe('CN = default.example');
    expect(alpn(r.stdout)).toBe('x');
    expect(seen.sni).toEqual([]);
    expect(seen.alpn).toEqual([{ servername: undefined, protocols: ['x'] }]);
  });

  it('an unknown name: SNICallback refuses, s_client gets a fatal unrecognized_name alert (RFC 6066 3)', async () => {
    const { port, seen } = await startServer();
    const r = await runOpensslClient({ port, cipher: CIPHER, messages: ['hello'], extraArgs: ['-servername', 'nobody.example'] });
    expect(r.echoed).toBe(false);
    expect(r.stdout + r.stderr).toMatch(/alert unrecognized name|alert number 112/);
    expect(seen.sockets).toEqual([]);
    expect(seen.errors[0]?.alertName).toBe('unrecognized_name');
    expect(seen.errors[0]?.message).toMatch(/no certificate for nobody\.example/);
  });

  it('ALPNCallback refuses: s_client gets a fatal no_application_protocol alert (RFC 7301 3.2)', async () => {
    const { port, seen } = await startServer();
    const r = await runOpensslClient({ port, cipher: CIPHER, messages: ['hello'], extraArgs: ['-servername', 'alpha.example', '-alpn', 'h2'] });
    expect(r.echoed).toBe(false);
    expect(r.stdout + r.stderr).toMatch(/no application protocol|alert number 120/);
    expect(seen.errors[0]?.alertName).toBe('no_application_protocol');
  });
});

describe('a slow SNICallback is the server waiting on itself, not a stalled peer', () => {
  it('with every handshake place taken, a handshake in wait_sni past the first retransmission timeout is not evicted', async () => {
    // maxHandshakes 1: B arrives while A waits 1.5 s for its credentials, past the 1 s after which
    // a handshake waiting on a silent peer gives way (handshake-slots.ts). A must not give way:
    // B is refused until A is done, and gets in with its own retransmission.
    const asked: string[] = [];
    server = createServer({
      maxHandshakes: 1,
      SNICallback: async (servername) => {
        asked.push(servername);
        await sleep(1_500);
        return { psk: serverPsk() };
      },
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const a = connect({ host: '127.0.0.1', port, servername: 'a.example', psk: clientPsk() });
    await sleep(1_200);
    const b = connect({ host: '127.0.0.1', port, servername: 'b.example', psk: clientPsk() });
    const [sa, sb] = await Promise.all([a, b]);
    expect(sa.servername).toBe('a.example');
    expect(sb.servername).toBe('b.example');
    expect(server.stats.evicted).toBe(0);
    // A's client retransmitted its ClientHello during the wait (at 1 s): one lookup per handshake.
    expect(asked).toEqual(['a.example', 'b.example']);
    await Promise.all([sa.close(), sb.close()]);
  });
});
