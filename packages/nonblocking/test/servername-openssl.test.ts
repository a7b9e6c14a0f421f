import { startOpensslServer, until, type PeerServer } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';
import { IDENTITY, KEY, clientPsk } from './helpers.js';

// `servername` is what was sent (node:tls): RFC 6066 3 keeps IP addresses out of server_name.
// openssl s_server -tlsextdebug lists the extensions it received, so it shows what went out.
let peer: PeerServer | undefined;
afterEach(async () => {
  await peer?.stop();
  peer = undefined;
});

async function sentExtensions(options: { host: string; servername?: string }): Promise<{ servername: string | undefined; output: string }> {
  peer = await startOpensslServer({ cipher: 'PSK-AES128-GCM-SHA256', psk: KEY, identity: IDENTITY, echo: false, extraArgs: ['-tlsextdebug'] });
  const socket = await connect({ ...options, port: peer.port, psk: clientPsk(), cipherSuites: 'PSK-AES128-GCM-SHA256' });
  const servername = socket.servername;
  await socket.close();
  // s_server's stdout is a pipe, so its lines may come after the handshake: wait for the line of
  // the extension our ClientHello carries last (RFC 5746's renegotiation_info), then every line
  // of that ClientHello is in.
  const p = peer;
  await until(() => p.output().includes('TLS client extension "renegotiation info"'), 5000, "s_server's -tlsextdebug lines");
  return { servername, output: peer.output() };
}

describe('servername against openssl s_server -tlsextdebug', () => {
  it('an IP address as host: no server_name goes out and servername is undefined', async () => {
    const r = await sentExtensions({ host: '127.0.0.1' });
    expect(r.output).toContain('TLS client extension "extended master secret"');
    expect(r.output).not.toContain('"server name"');
    expect(r.servername).toBeUndefined();
  });

  it('an IP address given as servername: the same', async () => {
    const r = await sentExtensions({ host: '127.0.0.1', servername: '127.0.0.1' });
    expect(r.output).not.toContain('"server name"');
    expect(r.servername).toBeUndefined();
  });

  it('a host name: server_name carries it and servername says it', async () => {
    const r = await sentExtensions({ host: '127.0.0.1', servername: 'device.example' });
    expect(r.output).toContain('TLS client extension "server name"');
    expect(r.servername).toBe('device.example');
  });
});
