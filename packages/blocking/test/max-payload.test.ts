/**
 * MTU and message size in the blocking runtime (issue 14), as in @dtls-kit/nonblocking: one send()
 * is one record in one datagram of at most `mtu` bytes (RFC 6347 4.1.1); `conn.maxPayload` says the
 * largest message, one byte more is a RangeError naming the limit, and nothing leaves. A relay
 * between client and server sees the datagram sizes.
 */
import { startFaultRelay, CONTENT_TYPE, type FaultRelay } from '@dtls-kit/test-kit';
import { MIN_MTU } from '@dtls-kit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials } from './helpers.js';

let server: BlockingServer | undefined;
let relay: FaultRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

interface MaxPayloadResult {
  max: number;
  echoed: number | null;
  serverMax: number;
  serverError: string | null;
  error?: { name: string; message: string; isRangeError: boolean };
  after: string | null;
}

async function run(mtu: number, cipherSuites: string): Promise<{ r: MaxPayloadResult; toServer: number[]; toClient: number[] }> {
  server = createBlockingServer({ handler: fixture('max-payload-handler.mjs'), credentials: serverCredentials, maxThreads: 1, mtu });
  const { port } = await server.listen(0, '127.0.0.1');
  const sizes = { toServer: [] as number[], toClient: [] as number[] };
  relay = await startFaultRelay({
    target: port,
    seed: 1,
    onDatagram: (direction, records, datagram) => {
      if (records.some((x) => x.contentType === CONTENT_TYPE.applicationData)) sizes[direction].push(datagram.length);
    },
  });
  const r = await runBlockingClient<MaxPayloadResult>({
    handler: fixture('max-payload-client.mjs'),
    port: relay.port,
    credentials: clientCredentials,
    mtu,
    cipherSuites,
  });
  return { r, ...sizes };
}

describe('conn.maxPayload and the RangeError past it (blocking runtime)', () => {
  it('mtu 600 with AES-GCM: 563 bytes whole in one 600-byte datagram each way; one more byte throws on both ends', async () => {
    const { r, toServer, toClient } = await run(600, 'PSK-AES128-GCM-SHA256');
    console.log(`blocking: maxPayload at mtu 600 with AES-128-GCM = ${r.max}; one byte more → ${r.error?.message ?? 'no error'}`);
    expect(r.max).toBe(563);
    expect(r.serverMax).toBe(563);
    expect(r.echoed).toBe(563);
    expect(r.error?.isRangeError).toBe(true);
    expect(r.error?.message).toMatch(
      /^send\(\) of 564 bytes: at most 563 bytes fit one datagram at mtu 600 with TLS_PSK_WITH_AES_128_GCM_SHA256 \(37 bytes of record overhead\)/,
    );
    expect(r.serverError).toMatch(/^RangeError: send\(\) of 564 bytes: at most 563 bytes fit one datagram at mtu 600/);
    // The connection carried on after each RangeError.
    expect(r.after).toBe('after');
    // The two full messages (each way) are exactly the MTU; nothing larger ever left.
    expect(toServer.filter((n) => n === 600)).toHaveLength(1);
    expect(toClient.filter((n) => n === 600)).toHaveLength(1);
    expect(Math.max(...toServer, ...toClient)).toBe(600);
  });

  it(`at core's MIN_MTU (${MIN_MTU}) with AES-CCM-8: ${MIN_MTU - 29} bytes`, async () => {
    const { r, toServer } = await run(MIN_MTU, 'PSK-AES128-CCM8');
    expect(r.max).toBe(MIN_MTU - 29);
    expect(r.echoed).toBe(MIN_MTU - 29);
    expect(Math.max(...toServer)).toBe(MIN_MTU);
    await expect(
      runBlockingClient({ handler: fixture('max-payload-client.mjs'), port: 9, credentials: clientCredentials, mtu: MIN_MTU - 1 }),
    ).rejects.toThrow(`mtu must be an integer >= ${MIN_MTU} (got ${MIN_MTU - 1})`);
  });
});
