/**
 * record_size_limit (RFC 8449) and max_fragment_length (RFC 6066 4) against peers we did not
 * write, both roles, proven on the wire: a relay between the two reads every record's length,
 * and with AES-128-GCM a protected record's plaintext is its length less 24 bytes (8-byte
 * explicit nonce, 16-byte tag: RFC 5288 3).
 *
 * - OpenSSL 3.0 has max_fragment_length only (no record_size_limit): s_client -maxfraglen asks
 *   for it, s_server honours a client's request.
 * - GnuTLS 3.7.9 has record_size_limit: --recordsize N advertises N (it accepts no peer limit
 *   below 512, and sends no record above its own N).
 */
import {
  CONTENT_TYPE,
  freeUdpPort,
  gnutlsPriority,
  runGnutlsClient,
  runOpensslClient,
  spawnPeer,
  startFaultRelay,
  startGnutlsServer,
  waitForUdpBind,
  type FaultRelay,
  type PeerProcess,
  type PeerServer,
} from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { IDENTITY, KEY, clientPsk, serverPsk, until } from './helpers.js';

const CIPHER = 'PSK-AES128-GCM-SHA256';
/** AES-128-GCM in DTLS 1.2: 8-byte explicit nonce + 16-byte tag around the plaintext. */
const GCM_EXPANSION = 24;

let server: DtlsServer | undefined;
let relay: FaultRelay | undefined;
let peer: PeerServer | undefined;
let proc: PeerProcess | undefined;
afterEach(async () => {
  await proc?.stop();
  proc = undefined;
  await peer?.stop();
  peer = undefined;
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

/** Plaintext lengths of the application data records each way, as the relay saw them. */
interface AppRecords {
  toServer: number[];
  toClient: number[];
}

async function relayTo(target: number): Promise<{ relay: FaultRelay; app: AppRecords }> {
  const app: AppRecords = { toServer: [], toClient: [] };
  const r = await startFaultRelay({
    target,
    seed: 1,
    onDatagram: (direction, records) => {
      for (const rec of records) if (rec.contentType === CONTENT_TYPE.applicationData) app[direction].push(rec.length - GCM_EXPANSION);
    },
  });
  relay = r;
  return { relay: r, app };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Collects the lengths of the messages a socket receives. */
function lengthsOf(socket: DtlsSocket): number[] {
  const lengths: number[] = [];
  socket.on('message', (m: Buffer) => lengths.push(m.length));
  return lengths;
}

describe('max_fragment_length with OpenSSL 3.0', () => {
  it('our client asks 512 of openssl s_server: it sends 512-byte records and refuses a 601-byte write; we refuse 513', async () => {
    // openssl s_server -dtls1_2 -accept 127.0.0.1:PORT -listen -no_ticket -nocert -psk 0001..0f
    //   -psk_identity Client_identity -cipher PSK-AES128-GCM-SHA256 -quiet
    // (no echo: its stdin is written to below; each line is one write, one record)
    const port = await freeUdpPort();
    proc = spawnPeer('openssl', [
      's_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`, '-listen', '-no_ticket', '-nocert',
      '-psk', KEY, '-psk_identity', IDENTITY, '-cipher', CIPHER, '-quiet',
    ]);
    const s = proc;
    expect(await waitForUdpBind(port, { alive: () => s.running() })).toBe(true);
    const { relay: r, app } = await relayTo(port);
    const client = await connect({ host: '127.0.0.1', port: r.port, psk: clientPsk(), cipherSuites: CIPHER, maxFragmentLength: 512 });
    expect(client.recordSizeLimit).toEqual({ extension: 'max_fragment_length', send: 512, receive: 512 });
    expect(client.maxPayload).toBe(512);
    expect(() => client.send(Buffer.alloc(513, 0x61))).toThrow(/at most 512 bytes \(its max_fragment_length, RFC 6066 4\)/);
    const received = lengthsOf(client);
    client.send(Buffer.alloc(512, 0x61));
    await until(() => s.stdout().length >= 512, 5000, 's_server to print our 512 bytes');
    expect(s.stdout()).toBe('a'.repeat(512));
    s.write(`${'b'.repeat(511)}\n`);
    await until(() => received.length >= 1, 5000, 'the 512 bytes of s_server');
    // One byte more than the MFL: OpenSSL refuses the write itself ("exceeds max fragment size").
    s.write(`${'c'.repeat(600)}\n`);
    await until(() => s.output().includes('exceeds max fragment size'), 5000, 's_server to refuse a 601-byte write');
    console.log(`openssl s_server with MFL 512: our record ${app.toServer.join(', ')} bytes; its records ${app.toClient.join(', ')} bytes; a 601-byte write: ${/error:.*exceeds max fragment size/.exec(s.output())?.[0] ?? ''}`);
    expect(app.toServer).toEqual([512]);
    expect(received).toEqual([512]);
    expect(app.toClient).toEqual([512]);
    await client.close();
  });

  it('openssl s_client -maxfraglen 512 to our server: its 512-byte record is read and echoed; it refuses to write 513', async () => {
    const accepted: DtlsSocket[] = [];
    const got: number[] = [];
    server = createServer({ psk: serverPsk() }, (sock) => {
      accepted.push(sock);
      sock.on('message', (m: Buffer) => {
        got.push(m.length);
        sock.send(m);
      });
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const { relay: r, app } = await relayTo(port);
    // openssl s_client -dtls1_2 -connect 127.0.0.1:PORT -no_ticket -nbio -cipher PSK-AES128-GCM-SHA256
    //   -psk 0001..0f -psk_identity Client_identity -no-CAfile -no-CApath -no-CAstore -maxfraglen 512 -no_ign_eof
    const result = await runOpensslClient({
      port: r.port,
      cipher: CIPHER,
      psk: KEY,
      identity: IDENTITY,
      messages: ['d'.repeat(511), 'e'.repeat(512)],
      expectEcho: false,
      lingerMs: 1000,
      extraArgs: ['-maxfraglen', '512'],
    });
    const sock = accepted[0];
    expect(sock?.recordSizeLimit).toEqual({ extension: 'max_fragment_length', send: 512, receive: 512 });
    expect(sock?.maxPayload).toBe(512);
    console.log(`openssl s_client -maxfraglen 512: its records ${app.toServer.join(', ')} bytes; ours ${app.toClient.join(', ')} bytes; a 513-byte line: ${/error:.*exceeds max fragment size/.exec(result.stderr)?.[0] ?? ''}`);
    expect(got).toEqual([512]);
    expect(app.toServer).toEqual([512]);
    expect(app.toClient).toEqual([512]);
    expect(result.stdout).toContain('d'.repeat(511));
    expect(result.stderr).toContain('exceeds max fragment size');
  });
});

describe('record_size_limit with GnuTLS 3.7.9', () => {
  const priority = gnutlsPriority('PSK', 'AES-128-GCM');

  it("our client (limit 512) to gnutls-serv --recordsize 1024: we send up to 1024, its echo comes in records of at most 512; a limit below 512 is left unanswered", async () => {
    // gnutls-serv --udp -p PORT --noticket --priority 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-GCM:-MAC-ALL:+AEAD'
    //   -a --echo --pskpasswd psk.txt --recordsize 1024
    peer = await startGnutlsServer({ priority, psk: KEY, identity: IDENTITY, extraArgs: ['--recordsize', '1024'] });
    const { relay: r, app } = await relayTo(peer.port);
    const client = await connect({ host: '127.0.0.1', port: r.port, psk: clientPsk(), cipherSuites: CIPHER, recordSizeLimit: 512 });
    expect(client.recordSizeLimit).toEqual({ extension: 'record_size_limit', send: 1024, receive: 512 });
    expect(client.maxPayload).toBe(1024);
    expect(() => client.send(Buffer.alloc(1025))).toThrow(/at most 1024 bytes \(its record_size_limit, RFC 8449 4\)/);
    const received = lengthsOf(client);
    client.send(Buffer.alloc(1024, 0x65));
    await until(() => sum(received) >= 1024, 5000, 'the echo of gnutls-serv');
    console.log(`gnutls-serv --recordsize 1024, our limit 512: our record ${app.toServer.join(', ')} bytes; its echo in ${app.toClient.join(', ')} bytes`);
    expect(app.toServer).toEqual([1024]);
    expect(sum(app.toClient)).toBe(1024);
    expect(app.toClient.length).toBeGreaterThan(1);
    expect(Math.max(...app.toClient)).toBeLessThanOrEqual(512);
    await client.close();

    // GnuTLS 3.7.9 leaves a limit below 512 unanswered: nothing is negotiated, nothing bounds either side.
    const small = await connect({ host: '127.0.0.1', port: r.port, psk: clientPsk(), cipherSuites: CIPHER, recordSizeLimit: 200 });
    expect(small.recordSizeLimit).toBeUndefined();
    expect(small.maxPayload).toBe(1200 - 13 - GCM_EXPANSION);
    await small.close();
  });

  it('gnutls-cli --recordsize 4096 to our server (limit 600): it sends a 600-byte record and refuses 601; we may send it 1163', async () => {
    const got: number[] = [];
    const accepted: DtlsSocket[] = [];
    server = createServer({ psk: serverPsk(), recordSizeLimit: 600 }, (sock) => {
      accepted.push(sock);
      sock.on('message', (m: Buffer) => {
        got.push(m.length);
        sock.send(m);
      });
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const { relay: r, app } = await relayTo(port);
    // gnutls-cli --udp -p PORT --priority 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-GCM:-MAC-ALL:+AEAD'
    //   --pskusername Client_identity --pskkey 0001..0f --insecure --recordsize 4096 127.0.0.1
    const result = await runGnutlsClient({
      port: r.port,
      priority,
      psk: KEY,
      identity: IDENTITY,
      messages: ['f'.repeat(599), 'g'.repeat(600)],
      expectEcho: false,
      lingerMs: 1000,
      extraArgs: ['--recordsize', '4096'],
    });
    const sock = accepted[0];
    expect(sock?.recordSizeLimit).toEqual({ extension: 'record_size_limit', send: 4096, receive: 600 });
    // Its 4096 is above what the MTU leaves (1200 - 37): the MTU is the bound of what we send.
    expect(sock?.maxPayload).toBe(1200 - 13 - GCM_EXPANSION);
    console.log(`gnutls-cli --recordsize 4096 to our limit 600: its records ${app.toServer.join(', ')} bytes; a 601-byte line: ${/\*\*\* .*too large.*/.exec(result.stdout + result.stderr)?.[0] ?? ''}`);
    expect(got).toEqual([600]);
    expect(app.toServer).toEqual([600]);
    expect(app.toClient).toEqual([600]);
    expect(result.stdout).toContain('f'.repeat(599));
    expect(result.stdout + result.stderr).toMatch(/The transmitted packet is too large/);
  });
});
