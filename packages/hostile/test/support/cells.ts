/**
 * One handshake of a loss-matrix cell, over real sockets through a fault relay, in each of the
 * three pairings: our client and our server (the nonblocking runtime), our client and
 * `openssl s_server`, `openssl s_client` and our server. Each handshake gets its own relay
 * (seeded from the cell seed and its index), so the relay's counts belong to it alone, and
 * then exchanges numbered payloads whose arrival is checked against those counts.
 */
import type { RetransmitOptions } from '@dtls-kit/core';
import { connect, createServer, type DtlsServer, type DtlsSocket } from '@dtls-kit/nonblocking';
import { spawnPeer, startFaultRelay, startOpensslServer, type DirectionStats, type FaultRelay, type PeerProcess, type PeerServer, type RandomFaults } from '@dtls-kit/test-kit';
import { PSK_IDENTITY, PSK_KEY, clientCredentials, serverCredentials, suiteOf, type AuthKind, type Pki } from './credentials.js';
import { KeyLogOpener } from './key-log-opener.js';
import { newTally, payload, tallyLines, tallyMessage, type Tally } from './payloads.js';
import { sleep, waitUntil } from './pool.js';

export type Pairing = 'ours-ours' | 'ours-openssl' | 'openssl-ours';

export interface CellSettings {
  readonly tag: string;
  readonly pairing: Pairing;
  readonly kind: AuthKind;
  readonly pki: Pki;
  readonly seed: number;
  /** Random faults, the same in both directions. */
  readonly faults: RandomFaults;
  /** Payloads sent per handshake. */
  readonly messages: number;
  /** Our side's timer (RFC 6347 4.2.4.1); OpenSSL's is fixed at 1 s initial, doubling, 60 s cap. */
  readonly retransmit: RetransmitOptions;
  readonly handshakeTimeoutMs: number;
}

export interface Outcome {
  readonly index: number;
  readonly established: boolean;
  readonly handshakeMs: number;
  /** Payloads sent by the sending side (K). */
  readonly sent: number;
  /** Exact payloads that arrived at the end of the path. */
  readonly delivered: number;
  /** Application records the relay dropped or corrupted on the path. */
  readonly destroyed: number;
  readonly duplicates: number;
  readonly foreign: number;
  /** delivered = sent - destroyed, hop by hop. */
  readonly accounted: boolean;
  /** Datagrams the relay dropped, duplicated or delayed (both directions). */
  readonly faults: number;
  readonly error: string | undefined;
  /** The version our client negotiated (ours-ours: the default, DTLS 1.3). */
  readonly protocol?: string | undefined;
  /** Per-hop figures, for a failure message. */
  readonly detail?: string;
}

const destroyedIn = (d: DirectionStats): number => d.appDropped + d.appCorrupted;
const faultsOf = (d: DirectionStats): number => d.dropped + d.duplicated + d.delayed;

function failure(index: number, started: number, error: unknown, sent: number): Outcome {
  return {
    index,
    established: false,
    handshakeMs: performance.now() - started,
    sent,
    delivered: 0,
    destroyed: 0,
    duplicates: 0,
    foreign: 0,
    accounted: false,
    faults: 0,
    error: error instanceof Error ? error.message : String(error),
  };
}

/** A server of ours for a whole cell; each established connection goes to the handshake whose relay it came through. */
export interface OurCellServer {
  readonly server: DtlsServer;
  readonly port: number;
  /** Handshakes in progress: their relay (whose upstream ports identify them) and what to do with the connection. */
  readonly handshakes: Set<{ relay: FaultRelay; onConnection: (socket: DtlsSocket) => void }>;
  close(): Promise<void>;
}

export async function startOurCellServer(settings: CellSettings): Promise<OurCellServer> {
  const handshakes: OurCellServer['handshakes'] = new Set();
  const server = createServer(
    {
      ...serverCredentials(settings.kind, settings.pki),
      cipherSuites: suiteOf(settings.kind),
      retransmit: settings.retransmit,
      handshakeTimeoutMs: settings.handshakeTimeoutMs,
      // One socket takes every handshake of the cell: a kernel drop for want of buffer while the
      // machine is saturated would be a loss the relay cannot count (4 MiB is rmem_max here).
      recvBufferSize: 4 << 20,
    },
    (socket) => {
      // The relay has sent from its upstream socket by now, so its port is known.
      for (const h of handshakes) {
        if (h.relay.upstreamPorts().includes(socket.remotePort)) {
          h.onConnection(socket);
          return;
        }
      }
      socket.destroy();
    },
  );
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, handshakes, close: () => server.close() };
}

/** Waits for the relay to have seen `expected` application records and every one to be accounted for at the far end. */
async function settle(relay: FaultRelay, complete: () => boolean): Promise<void> {
  // Generous: at the start of a matrix the machine is saturated by process starts and signatures.
  await waitUntil(complete, 15_000);
  await relay.settled(2000);
  // Late duplicates (delayed copies) get a moment to show up and be counted as such.
  await sleep(60);
}

/** Our client, our server: the client sends K payloads, the server echoes each. */
export async function oursWithOurs(settings: CellSettings, server: OurCellServer, index: number): Promise<Outcome> {
  const K = settings.messages;
  const started = performance.now();
  // DTLS 1.3 hides the content type of its records (RFC 9147 4): the relay counts application
  // records by opening them with the client's key log.
  const opener = new KeyLogOpener();
  const relay = await startFaultRelay({
    target: server.port,
    seed: settings.seed * 100_003 + index,
    toServer: settings.faults,
    toClient: settings.faults,
    revealContentType: opener.reveal,
  });
  const atServer = newTally();
  let serverSocket: DtlsSocket | undefined;
  let client: DtlsSocket | undefined;
  let cleanup = (): boolean => true;
  try {
    const entry = {
      relay,
      onConnection: (socket: DtlsSocket): void => {
        serverSocket = socket;
        socket.on('message', (m: Buffer) => {
          tallyMessage(atServer, settings.tag, index, m.toString('utf8'), K);
          socket.send(m);
        });
      },
    };
    server.handshakes.add(entry);
    cleanup = () => server.handshakes.delete(entry);
    const connected = await connect({
      host: '127.0.0.1',
      port: relay.port,
      ...clientCredentials(settings.kind, settings.pki),
      cipherSuites: suiteOf(settings.kind),
      retransmit: settings.retransmit,
      handshakeTimeoutMs: settings.handshakeTimeoutMs,
      keylog: opener.onLine,
    });
    client = connected;
    const protocol = connected.getProtocol();
    opener.established(connected.getCipher().standardName);
    const handshakeMs = performance.now() - started;
    const atClient = newTally();
    client.on('message', (m: Buffer) => tallyMessage(atClient, settings.tag, index, m.toString('utf8'), K));
    for (let j = 0; j < K; j++) client.send(`${payload(settings.tag, index, j)}\n`);
    const s = relay.stats;
    await settle(
      relay,
      () =>
        s.toServer.appRecords === K &&
        atServer.delivered.size + atServer.foreign + destroyedIn(s.toServer) >= K &&
        s.toClient.appRecords >= atServer.delivered.size &&
        atClient.delivered.size + atClient.foreign + destroyedIn(s.toClient) >= s.toClient.appRecords,
    );
    const accounted =
      serverSocket !== undefined &&
      s.toServer.appRecords === K &&
      atServer.delivered.size === K - destroyedIn(s.toServer) &&
      s.toClient.appRecords === atServer.delivered.size &&
      atClient.delivered.size === atServer.delivered.size - destroyedIn(s.toClient);
    return {
      index,
      established: true,
      handshakeMs,
      sent: K,
      delivered: atClient.delivered.size,
      destroyed: destroyedIn(s.toServer) + destroyedIn(s.toClient),
      duplicates: atServer.duplicates + atClient.duplicates,
      foreign: atServer.foreign + atClient.foreign,
      accounted,
      faults: faultsOf(s.toServer) + faultsOf(s.toClient),
      error: undefined,
      protocol,
      // DTLS 1.3: our client is done at its Finished (RFC 8446 4.4.4), the server only once that
      // Finished arrives, possibly retransmitted: say whether it did.
      detail: `server ${serverSocket === undefined ? 'NOT established' : 'established'}, got ${atServer.delivered.size} (dup ${atServer.duplicates}), relay toServer ${JSON.stringify(s.toServer)}, toClient ${JSON.stringify(s.toClient)}, client got ${atClient.delivered.size}`,
    };
  } catch (error) {
    return failure(index, started, error, K);
  } finally {
    client?.destroy();
    const sock: DtlsSocket | undefined = serverSocket;
    sock?.destroy();
    cleanup();
    await relay.close();
  }
}

/** Our client, `openssl s_server` (one per handshake: -listen serves one client at a time). */
export async function oursWithOpenssl(settings: CellSettings, index: number): Promise<Outcome> {
  const K = settings.messages;
  const started = performance.now();
  let peer: PeerServer | undefined;
  let relay: FaultRelay | undefined;
  let client: DtlsSocket | undefined;
  try {
    peer = await startOpensslServer({
      cipher: suiteOf(settings.kind),
      ...(settings.kind === 'psk' ? { psk: PSK_KEY, identity: PSK_IDENTITY } : { cert: settings.pki.leafFile, key: settings.pki.keyFile }),
      // -quiet without echo: its stdout is exactly the application data it received.
      echo: false,
      extraArgs: settings.kind === 'psk' ? ['-quiet'] : ['-cert_chain', settings.pki.intermediateFile, '-quiet'],
      naccept: 1,
      // A saturated 2-core machine can take seconds to start a process.
      startTimeoutMs: 30_000,
      maxLifetimeMs: settings.handshakeTimeoutMs + 60_000,
    });
    relay = await startFaultRelay({ target: peer.port, seed: settings.seed * 100_003 + index, toServer: settings.faults, toClient: settings.faults });
    client = await connect({
      host: '127.0.0.1',
      port: relay.port,
      ...clientCredentials(settings.kind, settings.pki),
      cipherSuites: suiteOf(settings.kind),
      retransmit: settings.retransmit,
      handshakeTimeoutMs: settings.handshakeTimeoutMs,
    });
    const handshakeMs = performance.now() - started;
    for (let j = 0; j < K; j++) client.send(`${payload(settings.tag, index, j)}\n`);
    const s = relay.stats;
    const p = peer;
    let tally: Tally = newTally();
    await settle(relay, () => {
      tally = tallyLines(settings.tag, index, p.stdout(), K);
      return s.toServer.appRecords === K && tally.delivered.size + tally.foreign + destroyedIn(s.toServer) >= K;
    });
    tally = tallyLines(settings.tag, index, p.stdout(), K);
    return {
      index,
      established: true,
      handshakeMs,
      sent: K,
      delivered: tally.delivered.size,
      destroyed: destroyedIn(s.toServer),
      duplicates: tally.duplicates,
      foreign: tally.foreign,
      accounted: s.toServer.appRecords === K && tally.delivered.size === K - destroyedIn(s.toServer),
      faults: faultsOf(s.toServer) + faultsOf(s.toClient),
      error: undefined,
    };
  } catch (error) {
    const detail = peer === undefined ? '' : `\n${peer.output().slice(-2000)}`;
    return failure(index, started, `${error instanceof Error ? error.message : String(error)}${detail}`, K);
  } finally {
    client?.destroy();
    await peer?.stop();
    await relay?.close();
  }
}

/** `openssl s_client -dtls1_2 -nbio`, kept running until we close its stdin. */
function spawnOpensslClient(settings: CellSettings, port: number): PeerProcess {
  const args = ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${port}`, '-no_ticket', '-nbio', '-cipher', suiteOf(settings.kind)];
  if (settings.kind === 'psk') {
    args.push('-psk', PSK_KEY, '-psk_identity', PSK_IDENTITY, '-no-CAfile', '-no-CApath', '-no-CAstore');
  } else {
    // The client verifies the chain to our root and the address in the certificate.
    args.push('-CAfile', settings.pki.rootFile, '-no-CApath', '-no-CAstore', '-verify_return_error', '-verify_ip', '127.0.0.1');
  }
  args.push('-no_ign_eof');
  return spawnPeer('openssl', args, { maxLifetimeMs: settings.handshakeTimeoutMs + 60_000 });
}

/** `openssl s_client`, our server: once established, the server sends K payloads; s_client prints them. */
export async function opensslWithOurs(settings: CellSettings, server: OurCellServer, index: number): Promise<Outcome> {
  const K = settings.messages;
  const started = performance.now();
  const relay = await startFaultRelay({ target: server.port, seed: settings.seed * 100_003 + index, toServer: settings.faults, toClient: settings.faults });
  let proc: PeerProcess | undefined;
  let serverSocket: DtlsSocket | undefined;
  let establishedAt: number | undefined;
  const entry = {
    relay,
    onConnection: (socket: DtlsSocket): void => {
      serverSocket = socket;
      establishedAt = performance.now();
    },
  };
  server.handshakes.add(entry);
  try {
    proc = spawnOpensslClient(settings, relay.port);
    const p = proc;
    // Established on both sides: our server says so, and s_client printed its session summary.
    const cipherLine = new RegExp(`Cipher is ${suiteOf(settings.kind)}`);
    const ok = await waitUntil(() => (establishedAt !== undefined && cipherLine.test(p.stdout())) || !p.running(), settings.handshakeTimeoutMs);
    if (!ok || establishedAt === undefined || !cipherLine.test(p.stdout())) {
      throw new Error(`s_client did not complete (running: ${p.running()}, server established: ${establishedAt !== undefined})\n${p.output().slice(-2000)}`);
    }
    const handshakeMs = performance.now() - started;
    // Sent only once s_client reports the handshake done. Sent from our 'connection' handler,
    // under loss some payloads never reached s_client's stdout although the relay forwarded
    // them: when our final flight is lost, our epoch-1 records reach s_client before it has
    // finished its handshake (it resends flight 5 and we answer later), and s_client does not
    // show them. Without loss they all arrive (each payload is its own datagram).
    const sock: DtlsSocket | undefined = serverSocket;
    for (let j = 0; j < K; j++) sock?.send(`${payload(settings.tag, index, j)}\n`);
    const s = relay.stats;
    let tally: Tally = newTally();
    await settle(relay, () => {
      tally = tallyLines(settings.tag, index, p.stdout(), K);
      return s.toClient.appRecords >= K && tally.delivered.size + tally.foreign + destroyedIn(s.toClient) >= K;
    });
    tally = tallyLines(settings.tag, index, p.stdout(), K);
    return {
      index,
      established: serverSocket !== undefined,
      handshakeMs,
      sent: K,
      delivered: tally.delivered.size,
      destroyed: destroyedIn(s.toClient),
      duplicates: tally.duplicates,
      foreign: tally.foreign,
      // The server's close_notify or a late handshake retransmission may also cross later: count application records only.
      accounted: s.toClient.appRecords === K && tally.delivered.size === K - destroyedIn(s.toClient),
      faults: faultsOf(s.toServer) + faultsOf(s.toClient),
      error: undefined,
    };
  } catch (error) {
    return failure(index, started, error, K);
  } finally {
    server.handshakes.delete(entry);
    if (proc !== undefined) {
      // EOF on stdin: s_client sends close_notify and exits; stop() bounds the wait.
      proc.endInput();
      const exited = await Promise.race([proc.exited.then(() => true), sleep(1500).then(() => false)]);
      if (!exited) await proc.stop(500);
    }
    const sock: DtlsSocket | undefined = serverSocket;
    sock?.destroy();
    await relay.close();
  }
}
