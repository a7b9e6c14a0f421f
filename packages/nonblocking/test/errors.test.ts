import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertDescription, DtlsError, HandshakeTimeoutError, NoReplyError, connect, createServer, type DtlsServer } from '../src/index.js';
import { clientPsk, serverPsk, sleep } from './helpers.js';

let server: DtlsServer | undefined;
const silent: dgram.Socket[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const s of silent.splice(0)) s.close();
});

/** A UDP port where nobody answers. */
async function blackHole(): Promise<number> {
  const s = dgram.createSocket('udp4');
  silent.push(s);
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s.address().port;
}

describe('failed handshakes', () => {
  it('rejects connect() with the alert: an unknown PSK identity is unknown_psk_identity', async () => {
    server = createServer({ psk: serverPsk() });
    const clientErrors: DtlsError[] = [];
    server.on('clientError', (e) => clientErrors.push(e));
    const { port } = await server.listen(0, '127.0.0.1');
    const error = await connect({ host: '127.0.0.1', port, psk: clientPsk('nobody') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DtlsError);
    expect((error as DtlsError).alert).toBe(AlertDescription.unknown_psk_identity);
    expect((error as DtlsError).alertName).toBe('unknown_psk_identity');
    expect((error as DtlsError).fromPeer).toBe(true);
    expect(clientErrors).toHaveLength(1);
    expect(clientErrors[0]?.alert).toBe(AlertDescription.unknown_psk_identity);
    expect(server.stats).toMatchObject({ connections: 0, handshakes: 0, established: 0 });
  });

  it('rejects with a DtlsError when the keys differ', async () => {
    server = createServer({ psk: serverPsk() });
    const { port } = await server.listen(0, '127.0.0.1');
    const { pskClient } = await import('@dtls-kit/psk');
    const error = (await connect({
      host: '127.0.0.1',
      port,
      psk: pskClient({ identity: 'Client_identity', key: 'ffffffffffffffffffffffffffffffff' }),
    }).catch((e: unknown) => e)) as DtlsError;
    expect(error).toBeInstanceOf(DtlsError);
    // The server cannot open the client's encrypted Finished (the engine decides which alert).
    expect(['bad_record_mac', 'decrypt_error']).toContain(error.alertName);
  });

  // Silence is not a failed handshake: NoReplyError (ETIMEDOUT), the engine's HandshakeTimeoutError as its cause.
  it('rejects with NoReplyError when nobody answers within handshakeTimeoutMs', async () => {
    const port = await blackHole();
    const started = performance.now();
    const error = await connect({ host: '127.0.0.1', port, psk: clientPsk(), handshakeTimeoutMs: 300, retransmit: { initialMs: 100 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoReplyError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', message: `no reply from 127.0.0.1:${port} within 300 ms` });
    expect((error as NoReplyError).cause).toBeInstanceOf(HandshakeTimeoutError);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('throws at once for options the engine refuses', async () => {
    await expect(connect({ host: '127.0.0.1', port: 9, cipherSuites: 'PSK-AES128-CCM8' })).rejects.toThrow(/no credentials/);
    expect(() => createServer({ psk: serverPsk(), maxConnections: 0 })).toThrow(RangeError);
  });
});

describe('AbortSignal', () => {
  it('cancels a pending connect', async () => {
    const port = await blackHole();
    const controller = new AbortController();
    const pending = connect({ host: '127.0.0.1', port, psk: clientPsk(), signal: controller.signal });
    await sleep(50);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects at once with an aborted signal, and with its reason', async () => {
    await expect(connect({ host: '127.0.0.1', port: 9, psk: clientPsk(), signal: AbortSignal.abort(new Error('nope')) })).rejects.toThrow('nope');
    const port = await blackHole();
    await expect(connect({ host: '127.0.0.1', port, psk: clientPsk(), signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('does nothing once connected', async () => {
    server = createServer({ psk: serverPsk() });
    const { port } = await server.listen(0, '127.0.0.1');
    const controller = new AbortController();
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), signal: controller.signal });
    controller.abort();
    expect(client.state).toBe('established');
    await client.close();
  });
});
