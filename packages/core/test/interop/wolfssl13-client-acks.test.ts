/**
 * Our DTLS 1.3 client's ACKs (RFC 9147 7) and flights (5.8) against wolfSSL 5.5.4's example
 * server, through a UDP relay in this test that sees every record (from the wolfSSL source root,
 * see /work/shared/peers/wolfssl.md; its 1.3 PSK is hard-coded: 0123456789abcdef four times,
 * identity Client_identity):
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -c CHAIN.pem -k KEY.pem -p PORT -d -e -i   (ECDSA P-256)
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -p PORT -d -e -i                        (PSK)
 * - wolfSSL acknowledges our last flight (Finished) with an ACK that our client reads and counts:
 *   the flight is then let go (5.8.1), nothing of it resent.
 * - The relay drops ONE record of wolfSSL's encrypted flight (the second record under the
 *   handshake keys: the Certificate, or with PSK the Finished) the first time it passes. Our client
 *   sees the gap, ACKs at once what it has (7.1), and wolfSSL resends only what is missing: the
 *   unified-header bytes it sends after our ACK (read off the relay) are those of the dropped
 *   record alone, not its whole flight again.
 * A missing wolfSSL build fails this file (wolfsslRoot builds it), it never skips.
 */
import type { Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WOLFSSL_PSK_13, WOLFSSL_PSK_IDENTITY, bindLoopback, closeSocket, describePeerServer, driveOverUdp, startWolfsslServer, waitUntil, wolfsslRoot } from '@dtls-kit/test-kit';
import { fromHex, utf8 } from '../../src/bytes.js';
import { DtlsConnection } from '../../src/connection.js';
import { clientPsk } from '../support/psk.js';
import { clientX509, testPki } from '../support/test-certificates.js';

let dir: string;
let chainFile: string;
let keyFile: string;

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

beforeAll(() => {
  wolfsslRoot();
  const pki = testPki().ecdsa;
  dir = mkdtempSync(join(tmpdir(), 'dtls13-acks-'));
  chainFile = join(dir, 'chain.pem');
  keyFile = join(dir, 'key.pem');
  // The leaf and the intermediate (the root is the client's trust anchor).
  writeFileSync(chainFile, pki.serverChain.slice(0, 2).map((c) => pem('CERTIFICATE', c)).join(''));
  writeFileSync(keyFile, pki.serverKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}, 30 * 60_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface ServerRecord {
  readonly bytes: number;
  /** RFC 9147 4: a unified header (encrypted, epoch 2 on); otherwise DTLSPlaintext (epoch 0). */
  readonly unified: boolean;
  /**
   * 'flight': before our client's first protected datagram (its ACK, here); 'answer': after it,
   * before our next one (our Finished): what wolfSSL sent in answer to our ACK; 'after': the rest.
   */
  readonly phase: 'flight' | 'answer' | 'after';
}

/** The records of one datagram as [start, end) offsets: DTLSPlaintext or unified header (RFC 9147 4, no CID here). */
function recordBounds(d: Uint8Array): Array<{ start: number; end: number; unified: boolean }> {
  const out: Array<{ start: number; end: number; unified: boolean }> = [];
  let at = 0;
  while (at < d.length) {
    const first = d[at] ?? 0;
    if ((first & 0xe0) === 0x20) {
      const seqLength = (first & 0x08) !== 0 ? 2 : 1;
      const hasLength = (first & 0x04) !== 0;
      const header = 1 + seqLength + (hasLength ? 2 : 0);
      const length = hasLength ? ((d[at + 1 + seqLength] ?? 0) << 8) | (d[at + 2 + seqLength] ?? 0) : d.length - at - header;
      out.push({ start: at, end: at + header + length, unified: true });
      at += header + length;
    } else {
      const length = ((d[at + 11] ?? 0) << 8) | (d[at + 12] ?? 0);
      out.push({ start: at, end: at + 13 + length, unified: false });
      at += 13 + length;
    }
  }
  return out;
}

/**
 * client <-> relay <-> wolfSSL: drops the `dropIndex`-th unified-header record the server sends
 * (counting from 1, its first transmission), and logs every server record.
 */
async function startRelay(serverPort: number, dropIndex: number): Promise<{ port: number; records: ServerRecord[]; dropped: number[]; close: () => Promise<void> }> {
  const front: Socket = await bindLoopback();
  const back: Socket = await bindLoopback();
  const records: ServerRecord[] = [];
  const dropped: number[] = [];
  let client: { port: number; address: string } | undefined;
  let unifiedSeen = 0;
  let clientProtected = 0;
  front.on('message', (m, rinfo) => {
    client = { port: rinfo.port, address: rinfo.address };
    // The client's first unified-header record: before its Finished, only an ACK can be one.
    if (recordBounds(new Uint8Array(m)).some((r) => r.unified)) clientProtected++;
    back.send(m, serverPort, '127.0.0.1');
  });
  back.on('message', (m) => {
    const d = new Uint8Array(m);
    const kept: Uint8Array[] = [];
    for (const r of recordBounds(d)) {
      const bytes = d.subarray(r.start, r.end);
      records.push({ bytes: bytes.length, unified: r.unified, phase: clientProtected === 0 ? 'flight' : clientProtected === 1 ? 'answer' : 'after' });
      if (r.unified && ++unifiedSeen === dropIndex) {
        dropped.push(bytes.length);
        continue;
      }
      kept.push(bytes);
    }
    const to = client;
    if (to !== undefined && kept.length > 0) front.send(Buffer.concat(kept), to.port, to.address);
  });
  const address = front.address();
  return {
    port: address.port,
    records,
    dropped,
    close: async () => {
      await closeSocket(front);
      await closeSocket(back);
    },
  };
}

/** Our client through the relay: handshake, one echo, close_notify. */
async function run(connection: DtlsConnection, port: number): Promise<{ echoed: string }> {
  const socket = await bindLoopback();
  const got: string[] = [];
  const driver = driveOverUdp(connection, socket, { address: '127.0.0.1', port });
  const drain = (): void => {
    for (let e = connection.pollEvent(); e !== undefined; e = connection.pollEvent()) if (e.type === 'data') got.push(Buffer.from(e.data).toString());
  };
  try {
    connection.connect(performance.now());
    driver.pump();
    await waitUntil(() => {
      drain();
      return connection.state !== 'handshaking' && connection.state !== 'new';
    }, 8000);
    if (connection.state !== 'established') throw new Error(`handshake: ${connection.state} ${connection.error?.message ?? ''}`);
    connection.send(utf8('hello wolfssl over DTLS 1.3 with ACKs'));
    driver.pump();
    await waitUntil(() => {
      drain();
      return got.length > 0;
    }, 5000);
    // Its ACK of our Finished may trail the echo a little.
    await waitUntil(() => connection.stats.acksReceived > 0, 3000).catch(() => undefined);
    return { echoed: got.join('') };
  } finally {
    connection.close();
    driver.pump();
    await new Promise((r) => setTimeout(r, 20));
    driver.stop();
    await closeSocket(socket);
  }
}

const CASES = [
  {
    name: 'ECDSA P-256',
    server: () => ({ version: '1.3', cipher: 'TLS13-AES128-GCM-SHA256', cert: chainFile, key: keyFile }) as const,
    client: () => DtlsConnection.client({ psk: undefined, x509: clientX509(), servername: 'localhost', minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3', cipherSuites: ['TLS_AES_128_GCM_SHA256'] }),
  },
  {
    name: 'PSK',
    server: () => ({ version: '1.3', cipher: 'TLS13-AES128-GCM-SHA256', psk: true }) as const,
    client: () =>
      DtlsConnection.client({
        psk: clientPsk(fromHex(WOLFSSL_PSK_13), utf8(WOLFSSL_PSK_IDENTITY)),
        minVersion: 'DTLSv1.3',
        maxVersion: 'DTLSv1.3',
        cipherSuites: ['TLS_AES_128_GCM_SHA256'],
      }),
  },
];

describe('our DTLS 1.3 client with ACKs (RFC 9147 7) against wolfSSL 5.5.4', () => {
  for (const c of CASES) {
    it(`${c.name}: wolfSSL's ACK of our Finished is read; a dropped record of its flight gets our ACK at once, and wolfSSL resends only that record`, async () => {
      const server = await startWolfsslServer(c.server());
      const relay = await startRelay(server.port, 2);
      try {
        const connection = c.client();
        const why = (): string => `${describePeerServer(server)}\nrecords ${JSON.stringify(relay.records)}\nstats ${JSON.stringify(connection.stats)}`;
        const { echoed } = await run(connection, relay.port).catch((err: unknown) => {
          throw new Error(`${String(err)}\n${why()}`);
        });
        expect(echoed, why()).toBe('hello wolfssl over DTLS 1.3 with ACKs');
        expect(connection.protocol, why()).toBe('DTLSv1.3');
        // 7.1: the gap made our client acknowledge what it had, at once.
        expect(connection.stats.acksSent, why()).toBeGreaterThanOrEqual(1);
        // 5.8.1: wolfSSL acknowledged our last flight; we read its ACK(s).
        expect(connection.stats.acksReceived, why()).toBeGreaterThanOrEqual(1);
        expect(relay.dropped.length, why()).toBe(1);
        const droppedBytes = relay.dropped[0] ?? 0;
        const flight = relay.records.filter((r) => r.unified && r.phase === 'flight');
        const answer = relay.records.filter((r) => r.unified && r.phase === 'answer');
        const flightBytes = flight.reduce((n, r) => n + r.bytes, 0);
        const answerBytes = answer.reduce((n, r) => n + r.bytes, 0);
        // wolfSSL's answer to our ACK: the dropped record again (same plaintext; its header may
        // take a byte more or less), and whatever our ACK could not name yet (records still on
        // their way when the gap made us ACK); never the records our ACK named.
        expect(answer.some((r) => Math.abs(r.bytes - droppedBytes) <= 2), why()).toBe(true);
        expect(answer.length, why()).toBeLessThan(flight.length);
        expect(answerBytes, why()).toBeLessThan(flightBytes);
        // At most our Finished once more: wolfSSL's resend of a record we had (its Finished, sent
        // again because our ACK came before it) reads as a retransmission (RFC 9147 5.8.1).
        expect(connection.stats.retransmittedDatagrams, why()).toBeLessThanOrEqual(1);
        console.log(
          `${c.name}: wolfSSL's flight ${flight.length} protected records (${flight.map((r) => r.bytes).join(', ')} bytes); the relay dropped one of ${droppedBytes} bytes; in answer to our ACK it sent ${answer.length} records (${answer.map((r) => r.bytes).join(', ')} bytes); ACKs: ours ${connection.stats.acksSent}, wolfSSL's ${connection.stats.acksReceived}`,
        );
      } finally {
        await relay.close();
        await server.stop();
      }
    }, 60_000);
  }
});
