/**
 * DTLS 1.3 (RFC 9147) through a lossy relay with wolfSSL 5.5.4 in both roles: test-kit's
 * startFaultRelay drops 25% of the datagrams each way during the handshake, and duplicates (5%)
 * and delays (10%, 5-40 ms: reordering) some, by seed; our side sends its flights with ACKs and
 * resends only what is unacknowledged (RFC 9147 5.8, 7), wolfSSL does what it does. Once our side
 * is established the relay stops dropping (it keeps duplicating and reordering): application data
 * is never retransmitted by DTLS, and wolfSSL's example programs send their message once, so a
 * lost one would only time the test out. Then an echo both ways. Seeds 1..3 per case. Our client
 * sends its data once wolfSSL has acknowledged its Finished: wolfSSL 5.5.4's server aborts the
 * handshake (SSL_accept error -373, "Out of order message") when epoch-3 data overtakes the
 * Finished, which the relay's reordering does (seed 1 here).
 * From wolfSSL's source root (its 1.3 PSK is hard-coded: 0123456789abcdef x4):
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -p PORT -d -e -i                      (PSK, our client)
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -c CERT.pem -k KEY.pem -p PORT -d -e -i  (ECDSA P-256, our client)
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p RELAY -d -x          (PSK, our server)
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -h 127.0.0.1 -p RELAY -d -x             (ECDSA, our server)
 * A failed wolfSSL build fails these tests (it never skips them).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pskClient, pskServer } from '@dtls-kit/psk';
import { createCA, createCertificate, x509Client, x509Server } from '@dtls-kit/x509';
import {
  WOLFSSL_CLIENT_MESSAGE,
  WOLFSSL_PSK_13,
  WOLFSSL_PSK_IDENTITY,
  describePeerClient,
  describePeerServer,
  runWolfsslClient,
  startFaultRelay,
  startWolfsslServer,
  wolfsslRoot,
  type RandomFaults,
} from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsSocket } from '../src/index.js';
import { echo, roundTrip, text, until } from './helpers.js';

const SEEDS = [1, 2, 3];
const SUITE = 'TLS13-AES128-GCM-SHA256';

let dir: string;
let caPem: string;
let certFile: string;
let keyFile: string;
let serverCredentials: ReturnType<typeof x509Server>;

beforeAll(async () => {
  wolfsslRoot();
  const ca = await createCA({ commonName: 'dtls13 lossy test CA', keyType: 'ecdsa-p256' });
  const leaf = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server', keyType: 'ecdsa-p256' });
  caPem = ca.cert;
  dir = mkdtempSync(join(tmpdir(), 'dtls13-lossy-'));
  certFile = join(dir, 'server.pem');
  keyFile = join(dir, 'server.key');
  writeFileSync(certFile, leaf.cert);
  writeFileSync(keyFile, leaf.key);
  serverCredentials = x509Server({ key: leaf.key, cert: leaf.cert });
}, 30 * 60_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** 25% loss both ways until calm(); duplication and reordering throughout. */
async function lossyRelay(target: number, seed: number): Promise<{ port: number; calm: () => void; dropped: () => number; close: () => Promise<void> }> {
  const toServer: RandomFaults = { loss: 0.25, duplicate: 0.05, reorder: 0.1, delayMs: [5, 40] };
  const toClient: RandomFaults = { loss: 0.25, duplicate: 0.05, reorder: 0.1, delayMs: [5, 40] };
  const relay = await startFaultRelay({ target, seed, toServer, toClient });
  return {
    port: relay.port,
    calm: () => {
      toServer.loss = 0;
      toClient.loss = 0;
    },
    dropped: () => relay.stats.toServer.dropped + relay.stats.toClient.dropped,
    close: () => relay.close(),
  };
}

type Auth = 'PSK' | 'ECDSA';

describe('DTLS 1.3 through 25% loss with reordering, wolfSSL 5.5.4 in both roles', () => {
  for (const auth of ['PSK', 'ECDSA'] as const satisfies readonly Auth[]) {
    it(`our client, wolfSSL's server, ${auth}: every seed completes in DTLS 1.3 and echoes`, async () => {
      const outcomes: string[] = [];
      let drops = 0;
      for (const seed of SEEDS) {
        const server = await startWolfsslServer(auth === 'PSK' ? { version: '1.3', psk: true, cipher: SUITE } : { version: '1.3', cipher: SUITE, cert: certFile, key: keyFile });
        const relay = await lossyRelay(server.port, seed);
        try {
          const credentials = auth === 'PSK' ? { psk: pskClient({ identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 }) } : { x509: x509Client({ ca: caPem }), servername: 'localhost' };
          const client = await connect({ host: '127.0.0.1', port: relay.port, ...credentials, maxVersion: 'DTLSv1.3', handshakeTimeoutMs: 60_000 });
          drops += relay.dropped();
          relay.calm();
          // wolfSSL 5.5.4's server ends the handshake (SSL_accept -373, "Out of order message") when
          // our epoch-3 data overtakes our Finished, which the relay may delay: so the data waits
          // until wolfSSL acknowledged the Finished (RFC 9147 5.8.1: then our last flight is done).
          await until(() => client.stats.acksReceived > 0, 30_000);
          const message = `seed ${seed} ${auth} over DTLS 1.3`;
          const echoed = await roundTrip(client, message);
          outcomes.push(`seed ${seed}: ${client.getProtocol()} ${echoed === message ? 'echoed' : `echo "${echoed}"`} (${relay.dropped()} dropped)`);
          await client.close();
        } catch (error) {
          outcomes.push(`seed ${seed}: ${String(error)} (${relay.dropped()} dropped)\n${describePeerServer(server)}`);
        } finally {
          await relay.close();
          await server.stop();
        }
      }
      expect(outcomes.filter((o) => !o.includes('DTLSv1.3 echoed')), outcomes.join('\n')).toEqual([]);
      // The loss really bit during the handshakes.
      expect(drops, outcomes.join('\n')).toBeGreaterThan(0);
    }, 300_000);

    it(`wolfSSL's client, our server, ${auth}: every seed completes in DTLS 1.3 and its message comes back`, async () => {
      const outcomes: string[] = [];
      let drops = 0;
      for (const seed of SEEDS) {
        const accepted: DtlsSocket[] = [];
        const received: string[] = [];
        const credentials = auth === 'PSK' ? { psk: pskServer({ keys: { Client_identitySHA256: WOLFSSL_PSK_13 } }) } : { x509: serverCredentials };
        let relay: Awaited<ReturnType<typeof lossyRelay>> | undefined;
        const server = createServer({ maxVersion: 'DTLSv1.3', ...credentials, handshakeTimeoutMs: 60_000 }, (s) => {
          accepted.push(s);
          // Our side has the client's Finished: the rest of the test is the echo, without loss.
          if (relay !== undefined) drops += relay.dropped();
          relay?.calm();
          s.on('message', (m) => received.push(text(m)));
          echo(s);
        });
        const { port } = await server.listen(0, '127.0.0.1');
        relay = await lossyRelay(port, seed);
        try {
          const result = await runWolfsslClient({ version: '1.3', port: relay.port, cipher: SUITE, ...(auth === 'PSK' ? { psk: true } : {}), timeoutMs: 60_000 });
          const ok = result.echoed && result.version === 'DTLSv1.3' && received.includes(WOLFSSL_CLIENT_MESSAGE) && accepted[0]?.getProtocol() === 'DTLSv1.3';
          outcomes.push(`seed ${seed}: ${ok ? 'DTLSv1.3 echoed' : `failed\n${describePeerClient(result)}`} (${relay.dropped()} dropped)`);
        } finally {
          await relay.close();
          await server.close();
        }
      }
      expect(outcomes.filter((o) => !o.includes('DTLSv1.3 echoed')), outcomes.join('\n')).toEqual([]);
      expect(drops, outcomes.join('\n')).toBeGreaterThan(0);
    }, 300_000);
  }
});
