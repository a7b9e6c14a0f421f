/**
 * Our automatic DTLS 1.3 KeyUpdate (RFC 9147 4.5.3, 8), with the threshold lowered by the
 * `keyUpdate.afterRecords` option, against wolfSSL 5.5.4's examples, from its source root:
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -p PORT -d -e -i          (echo server)
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p RELAY_PORT -d -x -B 4000,200
 *     (-B: 20 writes of 200 bytes, each read back from our echo and compared)
 * through a recording relay: our records' epoch bits (the low two bits of the unified header's
 * first byte, RFC 9147 4) move on from epoch 3 (bits 3) to 4 (bits 0), 5 (bits 1)... while the data
 * keeps flowing both ways, so wolfSSL acknowledged each of our KeyUpdates (we switch only then)
 * and read our records under each new key.
 * A failed wolfSSL build fails these tests (it never skips them).
 */
import { pskClient, pskServer } from '@dtls-kit/psk';
import {
  WOLFSSL_PSK_13,
  WOLFSSL_PSK_IDENTITY,
  describePeerClient,
  describePeerServer,
  runWolfsslClient,
  startRecordingRelay,
  startWolfsslServer,
  wolfsslRoot,
  type PeerServer,
  type RecordedDatagram,
} from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer } from '../src/index.js';
import { echo, roundTrip, sleep } from './helpers.js';

let peer: PeerServer | undefined;
let server: DtlsServer | undefined;
const stops: (() => Promise<void>)[] = [];
beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await peer?.stop();
  peer = undefined;
  await server?.close();
  server = undefined;
});

/** The epoch bits of each unified-header datagram one way, in order, runs collapsed: e.g. [3, 0, 1, 2, 3, 0]. */
function epochBitRuns(datagrams: readonly RecordedDatagram[], direction: RecordedDatagram['direction']): number[] {
  const runs: number[] = [];
  for (const d of datagrams) {
    const first = d.bytes[0] ?? 0;
    if (d.direction !== direction || (first & 0xe0) !== 0x20) continue;
    const bits = first & 0x03;
    if (runs.at(-1) !== bits) runs.push(bits);
  }
  return runs;
}

describe('automatic DTLS 1.3 KeyUpdate against wolfSSL 5.5.4', () => {
  it('our client (keyUpdate.afterRecords 5) with its echo server: epochs 4, 5, 6... in use, every message echoed', async () => {
    peer = await startWolfsslServer({ version: '1.3', psk: true, cipher: 'TLS13-AES128-GCM-SHA256' });
    const relay = await startRecordingRelay({ serverPort: peer.port });
    stops.push(() => relay.stop());
    const client = await connect({
      host: '127.0.0.1',
      port: relay.port,
      psk: pskClient({ identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 }),
      maxVersion: 'DTLSv1.3',
      keyUpdate: { afterRecords: 5 },
    });
    const why = (): string => describePeerServer(peer!);
    for (let i = 0; i < 24; i++) {
      expect(await roundTrip(client, `message ${i}`), why()).toBe(`message ${i}`);
      // wolfSSL 5.5.4 sends its ACK of our KeyUpdate right after an echo; once it has it installed
      // the next epoch's keys it no longer reads a record of ours in the old one (epoch 4 on), so a
      // message sent in the instant between the echo and the ACK would be dropped by it: give the
      // ACK the time to arrive, as an application that is not racing would.
      await sleep(20);
    }
    await client.close();
    // Epoch 2 (bits 2, our Finished), then 3, then one more epoch per KeyUpdate.
    const runs = epochBitRuns(relay.datagrams, 'client-to-server');
    expect(runs.slice(0, 5), why()).toEqual([2, 3, 0, 1, 2]);
    // wolfSSL did not update its own keys: its records stay in epoch 3 after the handshake.
    expect(epochBitRuns(relay.datagrams, 'server-to-client'), why()).toEqual([2, 3]);
  }, 60_000);

  it('our server (keyUpdate.afterRecords 12) with its client -B 4000,200: 20 echoes compared by wolfSSL across our KeyUpdate', async () => {
    server = createServer({ maxVersion: 'DTLSv1.3', psk: pskServer({ keys: { Client_identitySHA256: WOLFSSL_PSK_13 } }), keyUpdate: { afterRecords: 12 } }, (s) => echo(s));
    const { port } = await server.listen(0, '127.0.0.1');
    const relay = await startRecordingRelay({ serverPort: port });
    stops.push(() => relay.stop());
    const result = await runWolfsslClient({ version: '1.3', port: relay.port, psk: true, cipher: 'TLS13-AES128-GCM-SHA256', extraArgs: ['-B', '4000,200'], timeoutMs: 30_000 });
    const why = describePeerClient(result);
    expect(result.code, why).toBe(0);
    // It compares every echo with what it sent (err_sys, exit code 1, on a mismatch) and prints the totals.
    expect(result.stdout, why).toMatch(/Benchmark 4000 bytes[\s\S]*RX\s+[\d.]+ ms/);
    const runs = epochBitRuns(relay.datagrams, 'server-to-client');
    // Ours (datagrams that start with a unified header; our epoch-2 flight rides behind the
    // ServerHello): epoch 3 (the ACK of its Finished, 11 echoes), our KeyUpdate, then epoch 4
    // for the other 9 echoes. One update only: wolfSSL's client writes its next block before it
    // reads our KeyUpdate, and from epoch 4 on it drops our old-epoch records still in flight once
    // it has the new keys (see the client test): a second update would lose an echo it waits for.
    expect(runs, why).toEqual([3, 0]);
    expect(epochBitRuns(relay.datagrams, 'client-to-server'), why).toEqual([2, 3]);
  }, 60_000);
});
