/**
 * DTLS 1.3 connection IDs (RFC 9147 9) in the non-blocking runtime against wolfSSL 5.5.4's
 * examples (their --cid is the CID they receive, raw ASCII, at most 2 bytes: DTLS_CID_MAX_SIZE),
 * from its source root:
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -s --cid sv -p PORT -d -e -i
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s --cid cl -h 127.0.0.1 -p RELAY_PORT -d -x
 * Our client against its server through a recording relay (each record's CID read off the wire);
 * its client against our server through a recording relay, and through a relay that moves the
 * client to a new source port after each datagram that carries a CID (a NAT rebinding): our server
 * routes the records by their CID and answers at the new port (RFC 9146 6, RFC 9147 9).
 * A failed wolfSSL build fails these tests (it never skips them).
 */
import { pskClient, pskServer } from '@dtls-kit/psk';
import {
  WOLFSSL_CLIENT_MESSAGE,
  WOLFSSL_PSK_13,
  WOLFSSL_PSK_IDENTITY,
  describePeerClient,
  describePeerServer,
  runWolfsslClient,
  startRebindingRelay,
  startRecordingRelay,
  startWolfsslServer,
  wolfsslRoot,
  type PeerServer,
  type RecordedDatagram,
} from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { echo, roundTrip, text } from './helpers.js';

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

const ascii = (s: string): number[] => Array.from(Buffer.from(s, 'ascii'));

/** The first byte and the `length` bytes after it of every unified-header datagram (RFC 9147 4) one way. */
function unifiedHeads(datagrams: readonly RecordedDatagram[], direction: RecordedDatagram['direction'], length: number): { first: number; cid: number[] }[] {
  return datagrams
    .filter((d) => d.direction === direction && ((d.bytes[0] ?? 0) & 0xe0) === 0x20)
    .map((d) => ({ first: d.bytes[0] ?? 0, cid: Array.from(d.bytes.subarray(1, 1 + length)) }));
}

/** Every unified-header datagram one way has the C bit and `cid` right after its first byte. */
function expectCidOnWire(datagrams: readonly RecordedDatagram[], direction: RecordedDatagram['direction'], cid: number[]): void {
  const heads = unifiedHeads(datagrams, direction, cid.length);
  expect(heads.length, direction).toBeGreaterThan(1);
  for (const h of heads) {
    expect(h.first & 0x10, `${direction}: C bit`).toBe(0x10);
    expect(h.cid, direction).toEqual(cid);
  }
}

describe('non-blocking DTLS 1.3 connection IDs with wolfSSL 5.5.4', () => {
  it('our client against wolfSSL --cid sv: negotiated both ways, each side\'s CID in the records it receives', async () => {
    peer = await startWolfsslServer({ version: '1.3', psk: true, cid: 'sv', cipher: 'TLS13-AES128-GCM-SHA256' });
    const relay = await startRecordingRelay({ serverPort: peer.port });
    stops.push(() => relay.stop());
    const client = await connect({
      host: '127.0.0.1',
      port: relay.port,
      psk: pskClient({ identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 }),
      maxVersion: 'DTLSv1.3',
      connectionId: { length: 2 },
    });
    const why = describePeerServer(peer);
    expect(client.getProtocol(), why).toBe('DTLSv1.3');
    const cid = client.connectionId;
    expect(cid, why).toBeDefined();
    expect(Array.from(cid?.send ?? []), why).toEqual(ascii('sv'));
    expect(cid?.receive.length).toBe(2);
    expect(await roundTrip(client, 'hello over 1.3 with CIDs'), why).toBe('hello over 1.3 with CIDs');
    await client.close();
    expectCidOnWire(relay.datagrams, 'client-to-server', ascii('sv'));
    expectCidOnWire(relay.datagrams, 'server-to-client', Array.from(cid?.receive ?? []));
  }, 30_000);

  it('wolfSSL\'s client --cid cl against our server (connectionId length 2): its message echoed, CIDs on the wire both ways', async () => {
    const accepted: DtlsSocket[] = [];
    server = createServer({ maxVersion: 'DTLSv1.3', psk: pskServer({ keys: { Client_identitySHA256: WOLFSSL_PSK_13 } }), connectionId: { length: 2 } }, (s) => {
      accepted.push(s);
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const relay = await startRecordingRelay({ serverPort: port });
    stops.push(() => relay.stop());
    const result = await runWolfsslClient({ version: '1.3', port: relay.port, psk: true, cid: 'cl', cipher: 'TLS13-AES128-GCM-SHA256' });
    expect(result.echoed, describePeerClient(result)).toBe(true);
    const ours = accepted[0]?.connectionId;
    expect(Array.from(ours?.send ?? []), describePeerClient(result)).toEqual(ascii('cl'));
    // wolfSSL prints the CID it sends (ours), each byte with printf("%x"): no zero padding.
    const printed = Array.from(ours?.receive ?? [], (b) => b.toString(16)).join('');
    expect(result.stdout, describePeerClient(result)).toContain(`Sending CID is ${printed}\n`);
    expectCidOnWire(relay.datagrams, 'client-to-server', Array.from(ours?.receive ?? []));
    expectCidOnWire(relay.datagrams, 'server-to-client', ascii('cl'));
  }, 30_000);

  it('wolfSSL\'s client moved to a new source port after each CID datagram (NAT rebinding): one connection, the echo reaches it at its new port', async () => {
    const accepted: DtlsSocket[] = [];
    const received: string[] = [];
    const handshakePorts: number[] = [];
    const messagePorts: number[] = [];
    server = createServer({ maxVersion: 'DTLSv1.3', psk: pskServer({ keys: { Client_identitySHA256: WOLFSSL_PSK_13 } }), connectionId: { length: 2 } }, (s) => {
      accepted.push(s);
      handshakePorts.push(s.remotePort);
      s.on('message', (m) => {
        received.push(text(m));
        messagePorts.push(s.remotePort);
      });
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const relay = await startRebindingRelay(port, 1);
    stops.push(() => relay.close());
    const result = await runWolfsslClient({ version: '1.3', port: relay.port, psk: true, cid: 'cl', cipher: 'TLS13-AES128-GCM-SHA256' });
    const why = describePeerClient(result);
    expect(result.echoed, why).toBe(true);
    expect(received, why).toEqual([WOLFSSL_CLIENT_MESSAGE]);
    expect(relay.rebinds, why).toBeGreaterThan(0);
    // One connection, whose peer moved from the handshake's port to the one its message came from.
    expect(accepted.length, why).toBe(1);
    expect(messagePorts[0], why).not.toBe(handshakePorts[0]);
  }, 30_000);
});
