/**
 * DTLS 1.3 connection IDs (RFC 9147 9) in the blocking runtime's server against wolfSSL 5.5.4's
 * example client, from its source root, through a relay that moves the client to a new source
 * port after each datagram that carries a CID (a NAT rebinding):
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s --cid cl -h 127.0.0.1 -p RELAY_PORT -d -x
 * The main thread routes the 1.3 records by the CID the worker's engine negotiated; the worker's
 * connection follows the client to its new port (remoteAddressChange) and the echo goes there.
 * A failed wolfSSL build fails this test (it never skips it).
 */
import { WOLFSSL_CLIENT_MESSAGE, WOLFSSL_PSK_13, describePeerClient, runWolfsslClient, startRebindingRelay, wolfsslRoot, type RebindingRelay } from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBlockingServer, type BlockingServer, type RemoteAddressInfo } from '../src/index.js';
import { fixture } from './helpers.js';

let server: BlockingServer | undefined;
let relay: RebindingRelay | undefined;
beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

describe('blocking DTLS 1.3 server: connection IDs with wolfSSL 5.5.4', () => {
  it("wolfSSL's client --cid cl rebinding after each CID datagram keeps its connection; the echo follows it", async () => {
    server = createBlockingServer({
      handler: fixture('cid-handler.mjs'),
      credentials: { psk: { keys: { Client_identitySHA256: WOLFSSL_PSK_13 } } },
      maxVersion: 'DTLSv1.3',
      connectionId: { length: 2 },
      maxThreads: 1,
    });
    const moves: [RemoteAddressInfo, RemoteAddressInfo][] = [];
    server.on('remoteAddressChange', (current, previous) => moves.push([current, previous]));
    const { port } = await server.listen(0, '127.0.0.1');
    relay = await startRebindingRelay(port, 1);
    const result = await runWolfsslClient({ version: '1.3', port: relay.port, psk: true, cid: 'cl', cipher: 'TLS13-AES128-GCM-SHA256', timeoutMs: 15_000 });
    const why = describePeerClient(result);
    expect(result.version, why).toBe('DTLSv1.3');
    expect(result.stdout, why).toContain('CID extension was negotiated');
    expect(result.echoed, why).toBe(true);
    expect(relay.rebinds, why).toBeGreaterThan(0);
    // The connection moved to the client's new port (the main thread's view of the worker's engine).
    expect(moves.length, why).toBeGreaterThan(0);
    expect(moves[0]?.[0].port, why).not.toBe(moves[0]?.[1].port);
    expect(result.stdout.split('\n'), why).toContain(WOLFSSL_CLIENT_MESSAGE);
  }, 60_000);
});
