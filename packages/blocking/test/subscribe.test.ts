import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { createBlockingServer, runBlockingClient, subscribe, SERVER_STATS_CHANNEL, type BlockingServer, type BlockingStatsMessage } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials, until, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
const stops: Array<() => void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await server?.close();
  server = undefined;
});

describe('subscribe(): dtls-kit:stats typed (as @dtls-kit/nonblocking)', () => {
  it('gives BlockingStatsMessage, this server and its stats, and unsubscribes', async () => {
    const messages: BlockingStatsMessage[] = [];
    stops.push(
      subscribe('dtls-kit:stats', (m) => {
        expectTypeOf(m).toEqualTypeOf<BlockingStatsMessage>();
        messages.push(m);
      }),
    );
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    await runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, args: { messages: ['hi'] } });
    const s = server;
    await until(() => messages.some((m) => m.change === 'established'), 5000, 'the established message');
    const established = messages.find((m) => m.change === 'established');
    expect(established?.server).toBe(s);
    expect(established?.stats.established).toBe(1);

    for (const stop of stops.splice(0)) stop();
    expect(diagnosticsChannel.hasSubscribers(SERVER_STATS_CHANNEL)).toBe(false);
  });

  it('does not pass on a message of another shape on the channel', () => {
    const got: unknown[] = [];
    stops.push(subscribe('dtls-kit:stats', (m) => got.push(m)));
    diagnosticsChannel.channel(SERVER_STATS_CHANNEL).publish({ server: {}, change: 'established', stats: {} });
    diagnosticsChannel.channel(SERVER_STATS_CHANNEL).publish(null);
    expect(got).toEqual([]);
  });
});
