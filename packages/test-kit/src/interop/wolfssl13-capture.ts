/**
 * DTLS 1.3 wire captures between wolfSSL 5.5.4's example client and server (issue 17): the two
 * programs talk through a recording relay, and every datagram is kept with its direction, plus
 * the TLS 1.3 secrets both wrote to their key logs (build variant 'keylog'). These captures are
 * the fixtures of packages/core/test/fixtures/wolfssl13/: real RFC 9147 bytes (unified headers,
 * encrypted record numbers, ACKs, HelloRetryRequest, connection IDs, KeyUpdate) to hold the 1.3
 * codecs against before our own 1.3 handshake exists.
 *
 * The server handles one connection (no -i) without echo: it reads the client's "hello
 * wolfssl!", answers "I hear you fa shizzle!" and shuts down.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWolfsslClient, startWolfsslServer, wolfsslRoot, type WolfsslClientOptions, type WolfsslServerOptions } from '../peers/wolfssl.js';
import { waitUntil } from '../wait.js';
import { startRecordingRelay, type RecordedDirection } from './recording-relay.js';

/** What both programs of a scenario take, beyond version, port and key log. */
type Side<T> = Omit<T, 'version' | 'port' | 'variant' | 'keylogFile' | 'echo' | 'loop'>;

export interface Wolfssl13Scenario {
  name: string;
  description: string;
  server: Side<WolfsslServerOptions>;
  client: Side<WolfsslClientOptions>;
}

const AES128 = 'TLS13-AES128-GCM-SHA256';
/** wolfSSL's own ECDSA P-256 server certificate (expired in 2025: the clients run with -d). */
const ECDSA = { cert: './certs/server-ecc.pem', key: './certs/ecc-key.pem' } as const;
/** wolfSSL's own RSA-2048 server certificate (expired too). */
const RSA = { cert: './certs/server-cert.pem', key: './certs/server-key.pem' } as const;
/**
 * A CA and client certificate of ours (ECDSA P-256, valid until 2126) beside the fixtures: the
 * server verifies the client's certificate, and wolfSSL's own have expired.
 */
const FIXTURE_CERTS = fileURLToPath(new URL('../../../core/test/fixtures/wolfssl13/certs/', import.meta.url));

/** The captures of the fixture folder, one per RFC 9147 feature. */
export const WOLFSSL13_SCENARIOS: readonly Wolfssl13Scenario[] = [
  {
    name: 'psk-aes128gcm',
    description: 'external PSK with (EC)DHE (psk_dhe_ke, P-256 key share), TLS_AES_128_GCM_SHA256',
    server: { psk: true, cipher: AES128 },
    client: { psk: true, cipher: AES128 },
  },
  {
    name: 'psk-aes256gcm',
    description: 'external PSK with (EC)DHE, TLS_AES_256_GCM_SHA384 (the SHA-384 key schedule)',
    server: { psk: true, cipher: 'TLS13-AES256-GCM-SHA384' },
    client: { psk: true, cipher: 'TLS13-AES256-GCM-SHA384' },
  },
  {
    name: 'psk-chacha20',
    description: 'external PSK with (EC)DHE, TLS_CHACHA20_POLY1305_SHA256 (ChaCha20 record number encryption, RFC 9147 4.2.3)',
    server: { psk: true, cipher: 'TLS13-CHACHA20-POLY1305-SHA256' },
    client: { psk: true, cipher: 'TLS13-CHACHA20-POLY1305-SHA256' },
  },
  {
    name: 'psk-ccm8',
    description: 'external PSK with (EC)DHE, TLS_AES_128_CCM_8_SHA256 (8-byte tags)',
    server: { psk: true, cipher: 'TLS13-AES128-CCM-8-SHA256' },
    client: { psk: true, cipher: 'TLS13-AES128-CCM-8-SHA256' },
  },
  {
    name: 'psk-ke',
    description: 'external PSK without (EC)DHE (psk_ke: -K on both sides), TLS_AES_128_GCM_SHA256',
    server: { psk: true, pskOnly: true, cipher: AES128 },
    client: { psk: true, pskOnly: true, cipher: AES128 },
  },
  {
    name: 'ecdsa',
    description: "ECDSA P-256 certificate (wolfSSL's certs/server-ecc.pem), no client certificate, TLS_AES_128_GCM_SHA256",
    server: { ...ECDSA, cipher: AES128 },
    client: { cipher: AES128 },
  },
  {
    name: 'ecdsa-mtu',
    // The 5.5.4 client hangs with -u300 of its own (its ClientHello does not go out): server only.
    description: "ECDSA certificate, the server's MTU at 300 bytes: its flight fragmented into datagrams of at most 300 bytes (RFC 9147 4.4, 5.3)",
    server: { ...ECDSA, cipher: AES128, mtu: 300 },
    client: { cipher: AES128 },
  },
  {
    name: 'rsa',
    description: "RSA-2048 certificate (wolfSSL's certs/server-cert.pem): an RSA-PSS CertificateVerify (RFC 8446 4.2.3)",
    server: { ...RSA, cipher: AES128 },
    client: { cipher: AES128 },
  },
  {
    name: 'ecdsa-client-auth',
    description: 'ECDSA certificates both ways: CertificateRequest, the client Certificate and CertificateVerify (RFC 8446 4.3.2, 4.4)',
    server: { ...ECDSA, cipher: AES128, verifyClientCa: `${FIXTURE_CERTS}ca.pem` },
    client: { cipher: AES128, cert: `${FIXTURE_CERTS}client.pem`, key: `${FIXTURE_CERTS}client.key` },
  },
  {
    name: 'hrr-key-share',
    // Every capture has a HelloRetryRequest: wolfSSL's DTLS 1.3 server always answers the first
    // ClientHello with one carrying its stateless cookie (RFC 9147 5.1); here it also names a group.
    description: 'HelloRetryRequest for a key share: the client offers none at first (-J), the server asks for one',
    server: { ...ECDSA, cipher: AES128 },
    client: { cipher: AES128, helloRetry: true },
  },
  {
    name: 'cid',
    description: 'connection IDs both ways (RFC 9147 9): the server asks for "sv", the client for "cl" (--cid), PSK',
    server: { psk: true, cipher: AES128, cid: 'sv' },
    client: { psk: true, cipher: AES128, cid: 'cl' },
  },
  {
    name: 'key-update',
    description: 'KeyUpdate (RFC 9147 8) from both sides before their application data (client -I, server -U), with the ACKs, PSK',
    server: { psk: true, cipher: AES128, keyUpdate: true },
    client: { psk: true, cipher: AES128, keyUpdate: true },
  },
];

export interface KeyLogLine {
  label: string;
  clientRandom: string;
  secret: string;
}

export interface Wolfssl13Capture {
  scenario: string;
  description: string;
  /** The command lines, run from the wolfSSL source root (ports as PORT, the relay's as RELAY_PORT). */
  commands: { server: string; client: string };
  client: { code: number | null; version: string | undefined; cipher: string | undefined; stdout: string };
  server: { stdout: string };
  /**
   * The connection IDs in the records, hex ('' = none): each side's --cid is the CID it asks to
   * receive (RFC 9147 9), so the server's travels client to server.
   */
  connectionIds: { clientToServer: string; serverToClient: string };
  /** The client's key log (the server's must be the same: checked). */
  keylog: KeyLogLine[];
  datagrams: Array<{ direction: RecordedDirection; atMs: number; hex: string }>;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function parseKeylog(text: string): KeyLogLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [label = '', clientRandom = '', secret = ''] = line.trim().split(/\s+/);
      return { label, clientRandom, secret };
    });
}

/**
 * The command line as a reader runs it from the source root: the root as ".", ports as names, the
 * fixture folder as FIXTURES.
 */
function portable(commandLine: string, root: string, ports: Record<string, number>): string {
  let out = commandLine.replace(/^stdbuf -oL -eL /, '').replaceAll(`${root}/`, './').replaceAll(FIXTURE_CERTS, 'FIXTURES/certs/');
  for (const [name, port] of Object.entries(ports)) out = out.replace(new RegExp(`(-p )${port}\\b`), `$1${name}`);
  return out;
}

/**
 * Runs one scenario: wolfSSL's server on a free port, the recording relay in front of it, its
 * client through the relay; resolves with everything recorded once both have exited.
 */
export async function captureWolfssl13(scenario: Wolfssl13Scenario, timeoutMs = 15_000): Promise<Wolfssl13Capture> {
  const root = wolfsslRoot('keylog');
  const dir = await mkdtemp(join(tmpdir(), 'dtls-kit-wolfssl13-'));
  try {
    const serverKeys = join(dir, 'server.keys');
    const clientKeys = join(dir, 'client.keys');
    const server = await startWolfsslServer({ ...scenario.server, version: '1.3', variant: 'keylog', keylogFile: serverKeys, echo: false, loop: false });
    const relay = await startRecordingRelay({ serverPort: server.port });
    try {
      const client = await runWolfsslClient({ ...scenario.client, version: '1.3', variant: 'keylog', keylogFile: clientKeys, port: relay.port, timeoutMs });
      // The server exits after its one connection; what it sends last (close_notify) is recorded.
      let serverDone = false;
      void server.exited.then(() => {
        serverDone = true;
      });
      await waitUntil(() => serverDone, 3000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const keylog = parseKeylog(await readFile(clientKeys, 'utf8').catch(() => ''));
      const serverKeylog = parseKeylog(await readFile(serverKeys, 'utf8').catch(() => ''));
      const sameKeys = JSON.stringify([...keylog].sort((a, b) => a.label.localeCompare(b.label))) === JSON.stringify([...serverKeylog].sort((a, b) => a.label.localeCompare(b.label)));
      if (!sameKeys) throw new Error(`${scenario.name}: the two key logs differ:\n${JSON.stringify({ keylog, serverKeylog })}`);
      if (relay.truncated) throw new Error(`${scenario.name}: more datagrams than the relay records`);
      return {
        scenario: scenario.name,
        description: scenario.description,
        commands: {
          server: portable(server.commandLine, root, { PORT: server.port }),
          client: portable(client.commandLine, root, { RELAY_PORT: relay.port }),
        },
        client: { code: client.code, version: client.version, cipher: client.cipher, stdout: client.stdout },
        server: { stdout: server.stdout() },
        connectionIds: {
          clientToServer: Buffer.from(scenario.server.cid ?? '', 'ascii').toString('hex'),
          serverToClient: Buffer.from(scenario.client.cid ?? '', 'ascii').toString('hex'),
        },
        keylog,
        datagrams: relay.datagrams.map((d) => ({ direction: d.direction, atMs: d.atMs, hex: hex(d.bytes) })),
      };
    } finally {
      await relay.stop();
      await server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
