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

/**
 * The datagrams that carry application data, by direction. DTLS 1.2: records with content type
 * application_data. DTLS 1.3 hides the content type (RFC 9147 4: every protected record has the
 * unified header, first bits 001); after our small PSK handshake flights only application data
 * fills a datagram to the MTU, so every protected datagram is counted.
 */
function isApplicationDatagram(version: Version, records: readonly { contentType: number }[], datagram: Uint8Array): boolean {
  if (version === 'DTLSv1.2') return records.some((x) => x.contentType === CONTENT_TYPE.applicationData);
  return ((datagram[0] ?? 0) & 0xe0) === 0x20;
}

type Version = 'DTLSv1.2' | 'DTLSv1.3';

async function run(version: Version, mtu: number, cipherSuites: string): Promise<{ r: MaxPayloadResult; toServer: number[]; toClient: number[] }> {
  server = createBlockingServer({ handler: fixture('max-payload-handler.mjs'), credentials: serverCredentials, maxThreads: 1, mtu, cipherSuites, maxVersion: version });
  const { port } = await server.listen(0, '127.0.0.1');
  const sizes = { toServer: [] as number[], toClient: [] as number[] };
  relay = await startFaultRelay({
    target: port,
    seed: 1,
    onDatagram: (direction, records, datagram) => {
      if (isApplicationDatagram(version, records, datagram)) sizes[direction].push(datagram.length);
    },
  });
  const r = await runBlockingClient<MaxPayloadResult>({
    handler: fixture('max-payload-client.mjs'),
    port: relay.port,
    credentials: clientCredentials,
    mtu,
    cipherSuites,
    maxVersion: version,
  });
  return { r, ...sizes };
}

/**
 * Record overhead per version and suite. DTLS 1.2 (RFC 6347 4.1, RFC 5288 3, RFC 6655 3): a
 * 13-byte header, an 8-byte explicit nonce, the tag (16 for GCM, 8 for CCM-8). DTLS 1.3 (RFC 9147
 * 4, RFC 8446 5.2): our unified header of 5 bytes (flags, a 16-bit sequence number, a length; no
 * CID), no explicit nonce, one byte of inner content type, the tag.
 */
const CASES = [
  { version: 'DTLSv1.2', gcm: 'PSK-AES128-GCM-SHA256', gcmName: 'TLS_PSK_WITH_AES_128_GCM_SHA256', gcmOverhead: 13 + 8 + 16, ccm8: 'PSK-AES128-CCM8', ccm8Overhead: 13 + 8 + 8 },
  { version: 'DTLSv1.3', gcm: 'TLS_AES_128_GCM_SHA256', gcmName: 'TLS_AES_128_GCM_SHA256', gcmOverhead: 5 + 1 + 16, ccm8: 'TLS_AES_128_CCM_8_SHA256', ccm8Overhead: 5 + 1 + 8 },
] as const;

describe.each(CASES)('conn.maxPayload and the RangeError past it (blocking runtime, $version)', ({ version, gcm, gcmName, gcmOverhead, ccm8, ccm8Overhead }) => {
  const max = 600 - gcmOverhead;
  it(`mtu 600 with AES-GCM: ${max} bytes whole in one 600-byte datagram each way; one more byte throws on both ends`, async () => {
    const { r, toServer, toClient } = await run(version, 600, gcm);
    console.log(`blocking ${version}: maxPayload at mtu 600 with AES-128-GCM = ${r.max}; one byte more → ${r.error?.message ?? 'no error'}`);
    expect(r.max).toBe(max);
    expect(r.serverMax).toBe(max);
    expect(r.echoed).toBe(max);
    expect(r.error?.isRangeError).toBe(true);
    expect(r.error?.message).toMatch(
      new RegExp(`^send\\(\\) of ${max + 1} bytes: at most ${max} bytes fit one datagram at mtu 600 with ${gcmName} \\(${gcmOverhead} bytes of record overhead\\)`),
    );
    expect(r.serverError).toMatch(new RegExp(`^RangeError: send\\(\\) of ${max + 1} bytes: at most ${max} bytes fit one datagram at mtu 600`));
    // The connection carried on after each RangeError.
    expect(r.after).toBe('after');
    // The two full messages (each way) are exactly the MTU; nothing larger ever left.
    expect(toServer.filter((n) => n === 600)).toHaveLength(1);
    expect(toClient.filter((n) => n === 600)).toHaveLength(1);
    expect(Math.max(...toServer, ...toClient)).toBe(600);
  });

  it(`at core's MIN_MTU (${MIN_MTU}) with AES-CCM-8: ${MIN_MTU - ccm8Overhead} bytes`, async () => {
    const { r, toServer } = await run(version, MIN_MTU, ccm8);
    expect(r.max).toBe(MIN_MTU - ccm8Overhead);
    expect(r.echoed).toBe(MIN_MTU - ccm8Overhead);
    expect(Math.max(...toServer)).toBe(MIN_MTU);
    await expect(
      runBlockingClient({ handler: fixture('max-payload-client.mjs'), port: 9, credentials: clientCredentials, mtu: MIN_MTU - 1 }),
    ).rejects.toThrow(`mtu must be an integer >= ${MIN_MTU} (got ${MIN_MTU - 1})`);
  });
});
