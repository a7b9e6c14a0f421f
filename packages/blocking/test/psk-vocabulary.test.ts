/**
 * PSK credentials as plain data are @dtls-kit/psk's, with its names: the server's hint is
 * `pskIdentityHint`, keys are checked when the server is created.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { IDENTITY, KEY, fixture, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('blocking PSK credentials speak @dtls-kit/psk', () => {
  it('pskIdentityHint reaches the client, which picks its identity from it', async () => {
    server = createBlockingServer({
      handler: fixture('echo-handler.mjs'),
      credentials: { psk: { keys: { [IDENTITY]: KEY }, pskIdentityHint: 'sensor-fleet' } },
      maxThreads: 1,
      // The hint travels in DTLS 1.2's ServerKeyExchange (RFC 4279 2); DTLS 1.3 has none.
      maxVersion: 'DTLSv1.2',
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port,
      credentials: { module: fixture('hint-credentials.mjs'), args: { key: KEY } },
      args: { messages: ['hinted'] },
    });
    expect(r.replies).toEqual(['hinted']);
    expect(r.identity).toBe(IDENTITY);
  });

  it('a key that is not hex fails at createBlockingServer, not in a worker', () => {
    expect(() => createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: { psk: { keys: { [IDENTITY]: 'not hex' } } } })).toThrow(
      /key for identity "Client_identity"|hex/,
    );
  });
});
