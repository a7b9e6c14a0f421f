/**
 * One handshake between our client (DtlsConnection) and our server (ServerEndpoint, then the
 * connection it accepts), in process: datagrams are handed from one to the other with no
 * loss, on a virtual clock. Resolves with both ends once both are established, either is
 * closed, or the step budget is spent (a stall, reported as such).
 */
import { DtlsConnection, ServerEndpoint, type ClientOptions, type DtlsError, type DtlsEvent, type ServerOptions } from '@dtls-kit/core';

export interface HandshakeResult {
  readonly client: DtlsConnection;
  readonly server: DtlsConnection | undefined;
  /** The error each side closed with, if any. */
  readonly clientError: DtlsError | undefined;
  readonly serverError: DtlsError | undefined;
  /** True when neither finished nor failed within the step budget. */
  readonly stalled: boolean;
}

function closeError(events: readonly DtlsEvent[]): DtlsError | undefined {
  for (const e of events) if (e.type === 'close') return e.error;
  return undefined;
}

function drain(conn: DtlsConnection | undefined, into: DtlsEvent[]): void {
  if (conn === undefined) return;
  for (let e = conn.pollEvent(); e !== undefined; e = conn.pollEvent()) into.push(e);
}

const PEER = '192.0.2.1:5684';
/** Each step moves every pending datagram and advances the clock by this much (ms). */
const STEP_MS = 50;
const MAX_STEPS = 100;

export async function inMemoryHandshake(clientOptions: ClientOptions, serverOptions: ServerOptions): Promise<HandshakeResult> {
  const client = DtlsConnection.client(clientOptions);
  const endpoint = new ServerEndpoint(serverOptions);
  let server: DtlsConnection | undefined;
  const clientEvents: DtlsEvent[] = [];
  const serverEvents: DtlsEvent[] = [];
  const done = (): boolean =>
    client.state === 'closed' || server?.state === 'closed' || (client.state === 'established' && server?.state === 'established');

  client.connect(0);
  let step = 0;
  for (; step < MAX_STEPS && !done(); step++) {
    const now = step * STEP_MS;
    for (const datagram of client.datagramsToSend()) {
      if (server !== undefined) {
        server.receive(datagram, now);
      } else {
        const result = endpoint.handle(datagram, PEER, now);
        if (result.type === 'reply') client.receive(result.datagram, now);
        else if (result.type === 'accept') server = result.connection;
      }
    }
    // Let asynchronous credentials (none of ours are, but the engine allows them) answer.
    await new Promise((resolve) => setImmediate(resolve));
    for (const datagram of server?.datagramsToSend() ?? []) client.receive(datagram, now);
    client.handleTimeout(now);
    server?.handleTimeout(now);
    drain(client, clientEvents);
    drain(server, serverEvents);
  }
  // Deliver what is left (a final alert or Finished) so that both sides see the outcome.
  for (const datagram of client.datagramsToSend()) server?.receive(datagram, step * STEP_MS);
  for (const datagram of server?.datagramsToSend() ?? []) client.receive(datagram, step * STEP_MS);
  drain(client, clientEvents);
  drain(server, serverEvents);
  return {
    client,
    server,
    clientError: closeError(clientEvents),
    serverError: closeError(serverEvents),
    stalled: !done(),
  };
}
