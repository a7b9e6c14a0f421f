/**
 * The engine's limits reach the worker: options are plain data that cross the thread boundary,
 * and a limit the engine enforces must be settable from the blocking runtime too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlertDescription } from '@dtls-kit/core';
import { DtlsError, createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { KEY, fixture, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('blocking server: engine limits given as options', () => {
  it('maxPskIdentityLength: a longer identity gets illegal_parameter, one at the limit connects', async () => {
    const atLimit = 'a'.repeat(128);
    const over = 'b'.repeat(129);
    server = createBlockingServer({
      handler: fixture('echo-handler.mjs'),
      credentials: { psk: { keys: { [atLimit]: KEY, [over]: KEY } } },
      maxPskIdentityLength: 128,
      maxThreads: 2,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const ok = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port,
      credentials: { psk: { identity: atLimit, key: KEY } },
      args: { messages: ['at the limit'] },
    });
    expect(ok.replies).toEqual(['at the limit']);
    const refused = await runBlockingClient({
      handler: fixture('client-roundtrip.mjs'),
      port,
      credentials: { psk: { identity: over, key: KEY } },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(DtlsError);
    expect(refused instanceof DtlsError && refused.alert).toBe(AlertDescription.illegal_parameter);
  });
});
