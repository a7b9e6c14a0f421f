/**
 * The socket's node:tls / node:net surface (issue 14): getPeerCertificate()'s object and its
 * issuer links, getPeerX509Certificate(), the established type's non-optional negotiated results,
 * setTimeout(), ref()/unref(), address()/remote*, and 'close' with hadError.
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createCA, createCertificate, x509Client, x509Server } from '@dtls-kit/x509';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertDescription, connect, createServer, type DtlsServer, type EstablishedDtlsSocket } from '../src/index.js';
import { clientPsk, echo, roundTrip, serverPsk, sleep, until } from './helpers.js';

let server: DtlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function pskPair(): Promise<{ client: EstablishedDtlsSocket; peer: EstablishedDtlsSocket }> {
  const accepted: EstablishedDtlsSocket[] = [];
  server = createServer({ psk: serverPsk() }, (s) => {
    accepted.push(s);
    echo(s);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const client = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
  await until(() => accepted.length === 1, 5000, 'the server side');
  const [peer] = accepted;
  if (peer === undefined) throw new Error('no server side');
  return { client, peer };
}

describe('getPeerCertificate (node:tls semantics)', () => {
  type Generated = Awaited<ReturnType<typeof createCA>>;
  let root: Generated;
  let intermediate: Generated;
  let leaf: Generated;
  beforeAll(async () => {
    root = await createCA({ commonName: 'socket-api root' });
    intermediate = await createCA({ commonName: 'socket-api intermediate', issuer: root });
    leaf = await createCertificate({ ca: intermediate, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
  });

  it('links the chain the server sent, leaf -> intermediate -> root, the self-signed root to itself', async () => {
    server = createServer({ x509: x509Server({ key: leaf.key, cert: [leaf.cert, intermediate.cert, root.cert] }) }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, x509: x509Client({ ca: root.cert }) });
    const cert = client.getPeerCertificate(true);
    expect(cert.subject?.CN).toBe('localhost');
    const issuer = cert.issuerCertificate;
    expect(issuer?.subject.CN).toBe('socket-api intermediate');
    const top = issuer?.issuerCertificate;
    expect(top?.subject.CN).toBe('socket-api root');
    expect(top?.issuerCertificate).toBe(top);
    expect(top?.ca).toBe(true);
    // Not detailed: no link at all, as node:tls.
    expect(Object.hasOwn(client.getPeerCertificate(), 'issuerCertificate')).toBe(false);
    expect(cert.raw?.equals(new X509Certificate(leaf.cert).raw)).toBe(true);
    const x509 = client.getPeerX509Certificate();
    expect(x509).toBeInstanceOf(X509Certificate);
    expect(x509?.checkIssued(new X509Certificate(intermediate.cert))).toBe(true);
    expect(client.getPeerCertificateChain()).toHaveLength(3);
    await client.close();
  });
});

describe('the established socket', () => {
  it('has its negotiated results typed non-optional, and node:net addresses', async () => {
    const { client, peer } = await pskPair();
    // These compile under strict TypeScript because connect() and 'connection' give an EstablishedDtlsSocket.
    const name: string = client.getCipher().name;
    const version: string = peer.getProtocol();
    expect(name).toBe(peer.getCipher().name);
    expect(version).toBe('DTLSv1.3'); // the default
    expect(client.getCipher().version).toBe('DTLSv1.3');
    expect(client.address()).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(client.remoteAddress).toBe('127.0.0.1');
    expect(client.remoteFamily).toBe('IPv4');
    expect(peer.remotePort).toBe(client.address()?.port);
    expect(client.remotePort).toBe(server?.address()?.port);
    await client.close();
  });

  it("emits 'close' with hadError false after close_notify, true after a fatal alert", async () => {
    const first = await pskPair();
    const peerClosed = new Promise<boolean>((resolve) => first.peer.once('close', resolve));
    const clientClosed = new Promise<boolean>((resolve) => first.client.once('close', resolve));
    await first.client.close();
    expect(await clientClosed).toBe(false);
    expect(await peerClosed).toBe(false);
    await server?.close();

    const second = await pskPair();
    const hadError = new Promise<boolean>((resolve) => second.client.once('close', resolve));
    second.client.on('error', () => {});
    const peerHadError = new Promise<boolean>((resolve) => second.peer.once('close', resolve));
    second.peer.abort(AlertDescription.internal_error, 'test abort');
    expect(await hadError).toBe(true);
    expect(await peerHadError).toBe(true);
    expect(second.client.error?.alertName).toBe('internal_error');
  });
});

describe('setTimeout (as node:net)', () => {
  it('counts the quiet time from the call, not from the last datagram before it (as node:net)', async () => {
    const { client } = await pskPair();
    // Quiet for 200 ms after the handshake's last datagram, then a 300 ms timeout.
    await sleep(200);
    let firedAfter: number | undefined;
    const called = performance.now();
    client.setTimeout(300, () => (firedAfter = performance.now() - called));
    await until(() => firedAfter !== undefined, 5000, "the 'timeout'");
    expect(firedAfter).toBeGreaterThanOrEqual(290);
  });

  it("emits 'timeout' after the quiet time, calls the callback once, closes nothing, re-arms after activity", async () => {
    const { client } = await pskPair();
    let timeouts = 0;
    let callbacks = 0;
    client.on('timeout', () => timeouts++);
    const started = performance.now();
    expect(client.setTimeout(150, () => callbacks++)).toBe(client);
    await until(() => timeouts === 1, 5000, "the first 'timeout'");
    const waited = performance.now() - started;
    console.log(`setTimeout(150): 'timeout' after ${waited.toFixed(0)} ms`);
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(callbacks).toBe(1);
    // Nothing was closed; and it fires once per quiet spell, not every 150 ms.
    expect(client.state).toBe('established');
    await sleep(400);
    expect(timeouts).toBe(1);
    // Activity (a send and the echo back) re-arms it.
    expect(await roundTrip(client, 'wake')).toBe('wake');
    await until(() => timeouts === 2, 5000, "the second 'timeout'");
    expect(callbacks).toBe(1);

    // Traffic every 50 ms keeps it quiet.
    const before = timeouts;
    for (let i = 0; i < 8; i++) {
      client.send('tick');
      await sleep(50);
    }
    expect(timeouts).toBe(before);
    // 0 turns it off.
    client.setTimeout(0);
    await sleep(400);
    expect(timeouts).toBe(before);
    expect(() => client.setTimeout(-1)).toThrow(RangeError);
    await client.close();
  });
});

describe('ref()/unref() on a client socket', () => {
  const child = fileURLToPath(new URL('./fixtures/unref-client.mjs', import.meta.url));

  /** Runs the fixture against our server; resolves with how it ended, or 'running' after `ms`. */
  function run(port: number, mode: string, ms: number): Promise<string> {
    return new Promise((resolve) => {
      const proc = spawn(process.execPath, [child, String(port), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => {
        proc.kill();
        resolve(`running: ${out.trim()}`);
      }, ms);
      proc.on('exit', (code) => {
        clearTimeout(timer);
        resolve(`exited ${String(code)}: ${out.trim()}`);
      });
    });
  }

  it('an unref()ed open client lets the process exit; ref() (the default) keeps it', async () => {
    server = createServer({ psk: serverPsk() }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    expect(await run(port, 'unref', 15_000)).toBe('exited 0: connected DTLSv1.3');
    // The same client without unref(), and one that unref()s then ref()s: still running when killed.
    expect(await run(port, 'default', 3_000)).toBe('running: connected DTLSv1.3');
    expect(await run(port, 'unref-ref', 3_000)).toBe('running: connected DTLSv1.3');
  }, 40_000);
});
