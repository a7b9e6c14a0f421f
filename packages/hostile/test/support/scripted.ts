/**
 * One scripted handshake through a fault relay, in one of three pairings, with a record of
 * every datagram the relay saw and of the retransmissions our side made (RFC 6347 4.2.4).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { CHANNELS, connect, createServer, type ConnectOptions, type DtlsServerOptions, type DtlsSocket } from '@dtls-kit/nonblocking';
import { runOpensslClient, startFaultRelay, startOpensslServer, type FaultRelay, type FaultRule, type PeerServer, type RelayDirection, type WireRecord } from '@dtls-kit/test-kit';
import { PSK_IDENTITY, PSK_KEY, clientCredentials, serverCredentials, suiteOf, type AuthKind, type Pki } from './credentials.js';

export interface Seen {
  readonly direction: RelayDirection;
  readonly records: readonly WireRecord[];
  readonly bytes: number;
}

export interface ScriptedResult {
  readonly established: boolean;
  /** The echo of one message came back intact. */
  readonly echoed: boolean;
  readonly seen: readonly Seen[];
  readonly ruleHits: readonly number[];
  /** Flights our side sent again, by role (diagnostics channel). */
  readonly retransmissions: { client: number; server: number };
  readonly durationMs: number;
  readonly detail: string;
}

export interface ScriptedOptions {
  readonly pairing: 'ours-ours' | 'ours-openssl' | 'openssl-ours';
  readonly kind: AuthKind;
  readonly pki: Pki;
  readonly rules: readonly FaultRule[];
  /** Our client's engine options (e.g. mtu). */
  readonly client?: Partial<ConnectOptions>;
  /** Our server's engine options (e.g. mtu). */
  readonly server?: Partial<DtlsServerOptions>;
  /** Extra OpenSSL arguments (e.g. -mtu, -servername). */
  readonly opensslArgs?: readonly string[];
  /** Our timer (default RFC 6347 4.2.4.1's 1 s initial). */
  readonly retransmitInitialMs?: number;
  readonly timeoutMs?: number;
}

const MESSAGE = 'scripted fault, exact echo';

export async function scripted(options: ScriptedOptions): Promise<ScriptedResult> {
  const seen: Seen[] = [];
  const retransmissions = { client: 0, server: 0 };
  // Only this run's connections: tests run concurrently in one process and the channel is global.
  // Our client talks to the relay's port; our server sees the relay's upstream port.
  const ours = (role: 'client' | 'server', remotePort: unknown): boolean =>
    relay !== undefined && (role === 'client' ? remotePort === relay.port : relay.upstreamPorts().includes(Number(remotePort)));
  const onRetransmit = (m: unknown): void => {
    if (typeof m !== 'object' || m === null || !('role' in m) || !('remotePort' in m)) return;
    if ((m.role === 'client' || m.role === 'server') && ours(m.role, m.remotePort)) retransmissions[m.role]++;
  };
  diagnosticsChannel.subscribe(CHANNELS.retransmit, onRetransmit);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const retransmit = { initialMs: options.retransmitInitialMs ?? 1000 };
  const started = performance.now();
  let relay: FaultRelay | undefined;
  let peer: PeerServer | undefined;
  let client: DtlsSocket | undefined;
  const startRelay = (target: number): Promise<FaultRelay> =>
    startFaultRelay({
      target,
      seed: 1,
      rules: options.rules,
      onDatagram: (direction, records, datagram) => seen.push({ direction, records, bytes: datagram.length }),
    });
  const result = (established: boolean, echoed: boolean, detail: string): ScriptedResult => ({
    established,
    echoed,
    seen,
    ruleHits: [...(relay?.stats.ruleHits ?? [])],
    retransmissions: { ...retransmissions },
    durationMs: performance.now() - started,
    detail,
  });
  const server =
    options.pairing === 'ours-openssl'
      ? undefined
      : createServer(
          { ...serverCredentials(options.kind, options.pki), cipherSuites: suiteOf(options.kind), retransmit, handshakeTimeoutMs: timeoutMs, ...options.server },
          (s) => s.on('message', (m: Buffer) => s.send(m)),
        );
  try {
    if (options.pairing === 'openssl-ours') {
      if (server === undefined) throw new Error('unreachable: openssl-ours has our server');
      const { port } = await server.listen(0, '127.0.0.1');
      relay = await startRelay(port);
      const out = await runOpensslClient({
        port: relay.port,
        cipher: suiteOf(options.kind),
        ...(options.kind === 'psk' ? { psk: PSK_KEY, identity: PSK_IDENTITY } : { caFile: options.pki.rootFile }),
        messages: [MESSAGE],
        timeoutMs,
        extraArgs: [...(options.kind === 'x509' ? ['-verify_return_error', '-verify_ip', '127.0.0.1'] : []), ...(options.opensslArgs ?? [])],
      });
      const established = new RegExp(`Cipher is ${suiteOf(options.kind)}`).test(out.stdout);
      return result(established, out.echoed, `${out.stdout.slice(-1500)}\n${out.stderr.slice(-1500)}`);
    }
    let port: number;
    if (server !== undefined) {
      port = (await server.listen(0, '127.0.0.1')).port;
    } else {
      peer = await startOpensslServer({
        cipher: suiteOf(options.kind),
        ...(options.kind === 'psk' ? { psk: PSK_KEY, identity: PSK_IDENTITY } : { cert: options.pki.leafFile, key: options.pki.keyFile }),
        extraArgs: [...(options.kind === 'x509' ? ['-cert_chain', options.pki.intermediateFile] : []), ...(options.opensslArgs ?? [])],
        naccept: 1,
        startTimeoutMs: 30_000,
      });
      port = peer.port;
    }
    relay = await startRelay(port);
    try {
      client = await connect({
        host: '127.0.0.1',
        port: relay.port,
        ...clientCredentials(options.kind, options.pki),
        cipherSuites: suiteOf(options.kind),
        retransmit,
        handshakeTimeoutMs: timeoutMs,
        ...options.client,
      });
    } catch (error) {
      return result(false, false, `${error instanceof Error ? error.message : String(error)}\n${peer?.output().slice(-2000) ?? ''}`);
    }
    const reply = once(client, 'message', { signal: AbortSignal.timeout(5000) });
    client.send(MESSAGE);
    let echoed = false;
    try {
      const [m]: unknown[] = await reply;
      echoed = Buffer.isBuffer(m) && m.toString('utf8') === MESSAGE;
    } catch {
      echoed = false;
    }
    return result(true, echoed, peer?.output().slice(-2000) ?? '');
  } finally {
    diagnosticsChannel.unsubscribe(CHANNELS.retransmit, onRetransmit);
    client?.destroy();
    await server?.close();
    await peer?.stop();
    await relay?.close();
  }
}

/** Datagrams seen in a direction that hold a record matching `test`. */
export function count(seen: readonly Seen[], direction: RelayDirection, test: (r: WireRecord) => boolean): number {
  return seen.filter((s) => s.direction === direction && s.records.some(test)).length;
}
