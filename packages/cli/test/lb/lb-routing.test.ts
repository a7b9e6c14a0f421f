/**
 * `dtls-kit lb-config` and its njs script in Debian's nginx (1.22, njs 0.7; `make peers` installs
 * nginx libnginx-mod-stream libnginx-mod-stream-js), with plain UDP sockets as backends so that
 * every byte nginx forwards is seen. nginx runs as:
 *   nginx -p PREFIX -c PREFIX/nginx.conf -e stderr -g 'daemon off;'
 * with the configuration printed by
 *   dtls-kit lb-config --backends 127.0.0.1:A,127.0.0.1:B,127.0.0.1:C --listen 127.0.0.1:P
 * Checked: a session's first datagram that is a tls12_cid record goes to the backend its CID's
 * first byte names; everything else (no CID, an id naming no backend, truncated or random bytes)
 * goes by the consistent hash and never makes the script throw; each datagram to a backend starts
 * with a PROXY v2 header giving the client's address and port.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { parseProxyV2 } from '@dtls-kit/nonblocking';
import { createRng, startNginx, until, type NginxProcess } from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { lbConfigOutput } from './cluster.js';

interface Seen {
  backend: number;
  clientPort: number | undefined;
  payload: Buffer;
}

const BACKENDS = 3;
let nginx: NginxProcess | undefined;
let listenPort = 0;
let config = '';
const backends: dgram.Socket[] = [];
const seen: Seen[] = [];

beforeAll(async () => {
  for (let i = 0; i < BACKENDS; i++) {
    const s = dgram.createSocket('udp4');
    s.on('message', (msg) => {
      const header = parseProxyV2(Uint8Array.from(msg));
      const clientPort = header.type === 'proxy' ? header.source.port : undefined;
      const payload = header.type === 'error' ? msg : msg.subarray(header.length);
      seen.push({ backend: i, clientPort, payload: Buffer.from(payload) });
    });
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    backends.push(s);
  }
  const probe = dgram.createSocket('udp4');
  probe.bind(0, '127.0.0.1');
  await once(probe, 'listening');
  listenPort = probe.address().port;
  probe.close();
  config = await lbConfigOutput([
    '--backends',
    backends.map((b) => `127.0.0.1:${b.address().port}`).join(','),
    '--listen',
    `127.0.0.1:${listenPort}`,
  ]);
  nginx = await startNginx(config);
});

afterAll(async () => {
  await nginx?.stop();
  for (const b of backends) b.close();
});

/**
 * What the backends saw from client `port` since `seen` held `start` entries. The kernel hands out
 * ephemeral ports again once a socket is closed, so an earlier test's datagram from the same port
 * must not be taken for this one.
 */
function seenFrom(port: number, start: number): Seen[] {
  return seen.slice(start).filter((x) => x.clientPort === port);
}

/** Sends `datagram` to nginx from a new socket (a new session); resolves with what the backends saw of it. */
async function sendFromNewPort(datagram: Uint8Array): Promise<{ port: number; got: Seen }> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  const port = s.address().port;
  const start = seen.length;
  s.send(datagram, listenPort, '127.0.0.1');
  await until(() => seenFrom(port, start).length > 0, 5000);
  s.close();
  const got = seenFrom(port, start)[0];
  if (got === undefined) throw new Error('nothing reached a backend');
  return { port, got };
}

/** RFC 9146 4: a tls12_cid record: type 25, {254, 253}, epoch 1, sequence 7, CID, length, bytes. */
function cidRecord(cid: readonly number[]): Uint8Array {
  return Uint8Array.from([25, 254, 253, 0, 1, 0, 0, 0, 0, 0, 7, ...cid, 0, 3, 0xaa, 0xbb, 0xcc]);
}

describe('nginx with the configuration of dtls-kit lb-config', () => {
  it('prints a configuration for nginx with the script by absolute path, a hashed upstream and one per server id', async () => {
    const text = await lbConfigOutput(['--backends', '127.0.0.1:5001,127.0.0.1:5002', '--listen', ':4433']);
    expect(text).toMatch(/js_import dtls from \/.*\/lb\/dtls-route\.js;/);
    expect(text).toContain('upstream dtls_backend_0 { server 127.0.0.1:5001; }');
    expect(text).toContain('upstream dtls_backend_1 { server 127.0.0.1:5002; }');
    expect(text).toContain('hash $remote_addr:$remote_port consistent;');
    expect(text).toContain('listen 4433 udp reuseport;');
    expect(text).toContain('js_filter dtls.proxyHeader;');
    expect(await lbConfigOutput(['--backends', '127.0.0.1:5001', '--no-proxy-protocol'])).not.toContain('js_filter');
    // Usage errors: exit code 2 and one line on stderr.
    for (const bad of [[], ['--backends', 'nowhere'], ['--backends', '127.0.0.1:5001', '--listen', '4433'], ['--backends', '127.0.0.1:99999'], ['--bogus'], ['--backends', '127.0.0.1:5001', '--down', '1'], ['--backends', '127.0.0.1:5001', '--down', '0'], ['--backends', '127.0.0.1:5001,127.0.0.1:5002', '--down', 'x']]) {
      let err = '';
      const code = await main(['lb-config', ...bad], { stdout: () => {}, stderr: (t) => void (err += t), stdinLines: () => (async function* () {})() });
      expect({ bad, code }).toEqual({ bad, code: 2 });
      expect(err).toMatch(/^dtls-kit: /);
    }
  });

  it('a tls12_cid record goes to the backend whose server id is the CID\'s first byte', async () => {
    for (let round = 0; round < 3; round++) {
      for (let id = 0; id < BACKENDS; id++) {
        const { got } = await sendFromNewPort(cidRecord([id, 1, 2, 3, 4, 5, 6, 7]));
        expect(got.backend).toBe(id);
        expect(got.payload[0]).toBe(25);
      }
    }
  });

  it('everything else goes by a consistent hash of the client address: spread, stable, and never an exception', async () => {
    const rng = createRng(9146);
    const firstDatagrams: Uint8Array[] = [
      // A ClientHello's record header (handshake, DTLS 1.0 version as ClientHellos use), truncated.
      Uint8Array.from([22, 254, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10]),
      cidRecord([BACKENDS, 0, 0, 0, 0]), // a server id naming no backend
      cidRecord([255, 1, 2, 3]),
      Uint8Array.from([25, 254, 253, 0, 1]), // a tls12_cid header cut before its CID
      Uint8Array.from([25]),
      Uint8Array.from([25, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1]), // type 25 with another version
      Uint8Array.from([0x30]), // a DTLS 1.3 unified header with the C bit and nothing after it
    ];
    for (let i = 0; i < 24; i++) firstDatagrams.push(Uint8Array.from({ length: 1 + rng.int(40) }, () => rng.int(256)));
    const byBackend = new Map<number, number>();
    for (const d of firstDatagrams) {
      const { got } = await sendFromNewPort(d);
      expect(Buffer.compare(got.payload, Buffer.from(d))).toBe(0);
      byBackend.set(got.backend, (byBackend.get(got.backend) ?? 0) + 1);
    }
    // 31 client ports over 3 backends: each gets some (the chance that a consistent hash leaves
    // one out is about 3 * (2/3)^31, 1e-5).
    expect([...byBackend.keys()].sort()).toEqual([0, 1, 2]);
    expect(nginx?.log() ?? '').not.toMatch(/js exception|js error/i);
  });

  it('the same client address hashes to the same backend in a new nginx session (after the first one timed out)', async () => {
    // One socket, two sessions: restart nginx in between with the same configuration file.
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    const port = s.address().port;
    const start = seen.length;
    s.send(Uint8Array.from([22, 254, 255, 1]), listenPort, '127.0.0.1');
    await until(() => seenFrom(port, start).length > 0, 5000);
    const first = seenFrom(port, start)[0]?.backend;
    await nginx?.stop();
    nginx = await startNginx(config);
    s.send(Uint8Array.from([22, 254, 255, 2]), listenPort, '127.0.0.1');
    await until(() => seenFrom(port, start).length === 2, 5000);
    const second = seenFrom(port, start)[1]?.backend;
    expect(second).toBe(first);
    s.close();
  });

  it('an IPv6 client: the header is \\x22 (UDP over IPv6) with its address and port', async () => {
    const backend = dgram.createSocket('udp4');
    const got: Array<ReturnType<typeof parseProxyV2>> = [];
    backend.on('message', (msg) => got.push(parseProxyV2(Uint8Array.from(msg))));
    backend.bind(0, '127.0.0.1');
    await once(backend, 'listening');
    const client = dgram.createSocket('udp6');
    client.bind(0, '::1');
    await once(client, 'listening');
    // A port for nginx on ::1: a udp6 socket's, freed just before.
    const probe = dgram.createSocket('udp6');
    probe.bind(0, '::1');
    await once(probe, 'listening');
    const v6Port = probe.address().port;
    probe.close();
    const v6 = await startNginx(await lbConfigOutput(['--backends', `127.0.0.1:${backend.address().port}`, '--listen', `[::1]:${v6Port}`]));
    try {
      client.send(Uint8Array.from([22, 254, 255, 0]), v6Port, '::1');
      await until(() => got.length === 1, 5000);
      const header = got[0];
      expect(header?.type).toBe('proxy');
      if (header?.type === 'proxy') {
        expect(header.source).toEqual({ address: '::1', port: client.address().port });
        expect(header.destination).toEqual({ address: '::1', port: v6Port });
      }
      expect(v6.log()).not.toMatch(/js exception/);
    } finally {
      await v6.stop();
      client.close();
      backend.close();
    }
  });

  it('every datagram of a session reaches the backend with a PROXY v2 header naming the client', async () => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    const port = s.address().port;
    const start = seen.length;
    for (let i = 0; i < 20; i++) s.send(Uint8Array.from([23, 254, 253, 0, 1, i]), listenPort, '127.0.0.1');
    await until(() => seenFrom(port, start).length === 20, 5000);
    const mine = seenFrom(port, start);
    // One session, one backend; datagram boundaries kept; each payload as sent.
    expect(new Set(mine.map((x) => x.backend)).size).toBe(1);
    expect(mine.map((x) => x.payload[5]).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(mine.every((x) => x.payload.length === 6)).toBe(true);
    s.close();
  });
});
