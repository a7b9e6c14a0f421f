/**
 * The Piscina tasks: a client's connection (one task), or a server's long-lived worker loop that
 * serves one connection after another from its link. Runs the engine (handshake included) in this
 * worker, then the user's synchronous handler; the socket stays with the main thread.
 */
import { DtlsConnection, type ClientOptions, type ServerOptions } from '@dtls-kit/core';
import { resolveServerOptions, type ResolvedServerOptions } from '@dtls-kit/core/internal';
import { pskServer } from '@dtls-kit/psk';
import { credentialOptions, loadModule } from './credential-options.js';
import { decodeHandover } from './handover-frame.js';
import { BlockingConnection } from './connection.js';
import { serializeError } from './errors.js';
import type { LoopTask, ProbeResult, ProbeTask, ServerResult, WorkerResult, WorkerTask } from './protocol.js';
import { C, decodeRemote, Frame, Link, SLOT_ASSIGNED, SLOT_EXIT, SLOT_IDLE, SLOT_RETIRED } from './ring.js';
import { decodeStart } from './start-frame.js';
import { Doorbell } from './doorbell.js';
import { TicketKeyBoard } from './ticket-key-board.js';

type Handler = (conn: BlockingConnection, args: unknown) => unknown;

async function loadHandler(href: string): Promise<Handler> {
  const mod = await loadModule(href, 'handler module');
  const fn = (mod.default ?? mod.handler) as unknown;
  // A CommonJS module imported as ESM nests its export under default.
  const h = typeof fn === 'function' ? fn : (fn as { default?: unknown } | undefined)?.default;
  if (typeof h !== 'function') throw new TypeError(`handler module ${href} has no default export function`);
  return h as Handler;
}

/** listen()'s check: both modules load, the handler is a function, the credentials export exists. */
async function probe(task: ProbeTask): Promise<ProbeResult> {
  try {
    await loadHandler(task.handler);
    const c = task.credentials;
    if ('module' in c) {
      const name = c.export ?? 'default';
      const value = (await loadModule(c.module, 'credentials module'))[name];
      if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) {
        throw new TypeError(`credentials module ${c.module} has no export ${JSON.stringify(name)} (an options object or a function returning one)`);
      }
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}

export default async function run(task: WorkerTask | ProbeTask | LoopTask): Promise<WorkerResult | ProbeResult | void> {
  if ('probe' in task) return probe(task);
  if ('loop' in task) return loop(task);
  const link = new Link(task.sab);
  Atomics.store(link.ctrl, C.STARTED, 1);
  try {
    return await serve(task, link);
  } finally {
    Atomics.store(link.ctrl, C.DONE, 1);
    link.wake(C.OUT_SEQ);
  }
}

/**
 * A server's worker: waits (Atomics.wait, no task message) for the main thread to give it a
 * connection on its link, serves it, answers with a RESULT frame, and waits for the next; leaves
 * after workerIdleTimeoutMs without one (unless the main thread gave it one in that instant: the
 * slot word is changed by compare-and-exchange on both sides) or when the server closes.
 */
async function loop(task: LoopTask): Promise<void> {
  const link = new Link(task.sab);
  // The main thread watches one doorbell for all of its workers' links, not this link's OUT_SEQ.
  link.doorbell = new Doorbell(task.doorbell);
  const { ctrl } = link;
  // Plain PSK data builds the same options for every connection: resolved once per worker.
  let resolved: ResolvedServerOptions | undefined;
  if ('pskServer' in task.credentials) {
    try {
      const psk = pskServer({ keys: task.credentials.pskServer.keys, pskIdentityHint: task.credentials.pskServer.pskIdentityHint });
      // sessionStore: false: tickets only, under the keys the main thread gave every worker (session-tickets.ts).
      resolved = resolveServerOptions({ ...task.options, psk, sessionStore: false } as ServerOptions);
    } catch {
      // Each connection then tries again in serve(), and fails at its setup with this error.
      resolved = undefined;
    }
  }
  // Ticket keys replaced at run time (setTicketKeys(), a rotated secrets file) reach this worker
  // through the board: read before each connection when its version moved.
  const board = task.ticketKeyBoard === undefined ? undefined : new TicketKeyBoard(task.ticketKeyBoard);
  let boardVersion = 0;
  let options = task.options;
  let handoverOptions: ResolvedServerOptions | undefined;
  for (;;) {
    // Idle: only C.SLOT and the sequence word are touched until the main thread assigns a connection.
    const idleUntil = performance.now() + task.workerIdleTimeoutMs;
    for (;;) {
      const seen = Atomics.load(ctrl, C.IN_SEQ);
      const state = Atomics.load(ctrl, C.SLOT);
      if (state === SLOT_ASSIGNED) break;
      if (state === SLOT_EXIT) return;
      const left = idleUntil - performance.now();
      if (left <= 0) {
        if (Atomics.compareExchange(ctrl, C.SLOT, SLOT_IDLE, SLOT_RETIRED) === SLOT_IDLE) return;
        continue;
      }
      link.sleep(C.IN_SEQ, seen, left);
    }
    // The main thread reset the link, then queues the peer's address and the START frame.
    let remote: { address: string; port: number } | undefined;
    let client: { address: string; port: number } | undefined;
    let hello: WorkerTask['hello'];
    let snapshot: WorkerTask['snapshot'];
    for (let started = false; !started; ) {
      const seen = Atomics.load(ctrl, C.IN_SEQ);
      const frame = link.inbound.pop();
      if (frame === undefined) {
        if (Atomics.load(ctrl, C.SLOT) === SLOT_EXIT) return;
        link.sleep(C.IN_SEQ, seen);
      } else if (link.inbound.lastKind === Frame.SOURCE) remote = decodeRemote(frame);
      else if (link.inbound.lastKind === Frame.CLIENT) client = decodeRemote(frame);
      else if (link.inbound.lastKind === Frame.START) {
        // A START that does not decode is a setup error of this connection (serve() says so).
        hello = decodeStart(frame);
        started = true;
      } else if (link.inbound.lastKind === Frame.HANDOVER) {
        // Handshook on the main thread (handshakes: 'main'); one that does not decode leaves neither
        // a snapshot nor a hello, which serve() fails as this connection's setup error.
        snapshot = decodeHandover(frame);
        started = true;
      }
    }
    Atomics.store(ctrl, C.STARTED, 1);
    link.forgetWritten();
    if (board !== undefined && board.version() !== boardVersion) {
      const published = board.read();
      if (published !== undefined) {
        boardVersion = published.version;
        options = { ...options, ticketKeys: published.keys };
        resolved?.ticketKeys?.setKeys(published.keys);
      }
    }
    const connection: WorkerTask = {
      role: 'server',
      sab: task.sab,
      handler: task.handler,
      credentials: task.credentials,
      options,
      args: task.args,
      remoteAddress: remote?.address ?? '',
      remotePort: remote?.port ?? 0,
      ...(client === undefined ? {} : { client }),
      idleTimeoutMs: task.idleTimeoutMs,
      hello,
      ...(snapshot === undefined ? {} : { snapshot }),
    };
    // A hand-over needs the engine's options only (provider, MTU, replay window, limits): those of a
    // credentials module are built once per worker for it, not once per connection.
    if (snapshot !== undefined && resolved === undefined) {
      try {
        handoverOptions ??= resolveServerOptions({ ...options, sessionStore: false, ...(await credentialOptions(task.credentials)) } as ServerOptions);
      } catch {
        // serve() builds them again and fails this connection's setup with the error.
        handoverOptions = undefined;
      }
    }
    const result = await serve(connection, link, resolved ?? handoverOptions);
    // Back to idle before the RESULT frame: once the main thread reads it, it may assign the next.
    Atomics.store(ctrl, C.SLOT, SLOT_IDLE);
    const frame = resultFrame(result.ok ? { ok: true } : result, link.outbound.capacity);
    // The RESULT frame must go, and last: wait for room while the main thread sends what is queued.
    while (!link.outbound.push(frame, Frame.RESULT)) {
      link.wake(C.OUT_SEQ);
      Atomics.wait(ctrl, C.SLOT, SLOT_IDLE, 1);
    }
    link.wake(C.OUT_SEQ);
  }
}

const encoder = new TextEncoder();

/** A ServerResult as a RESULT frame's bytes; a long error loses its stack, then its message's tail, to fit the ring. */
function resultFrame(result: ServerResult, capacity: number): Uint8Array {
  const limit = Math.min(capacity / 4, 8192);
  let bytes = encoder.encode(JSON.stringify(result));
  if (bytes.length <= limit || result.ok) return bytes;
  const error = { ...result.error, stack: undefined };
  bytes = encoder.encode(JSON.stringify({ ...result, error }));
  if (bytes.length <= limit) return bytes;
  return encoder.encode(JSON.stringify({ ...result, error: { ...error, message: `${error.message.slice(0, limit / 8)}...` } }));
}

async function serve(task: WorkerTask, link: Link, resolved?: ResolvedServerOptions): Promise<WorkerResult> {
  let conn: BlockingConnection;
  let handler: Handler;
  try {
    handler = await loadHandler(task.handler);
    let engine: DtlsConnection;
    if (task.role === 'server') {
      const serverOptions = resolved ?? resolveServerOptions({ ...task.options, sessionStore: false, ...(await credentialOptions(task.credentials)) } as ServerOptions);
      if (task.snapshot !== undefined) {
        // Handshook on the main thread: taken up where it left off, its last flight kept for a
        // retransmitted final flight of the peer's (RFC 6347 4.2.4).
        engine = DtlsConnection.importEstablished(task.snapshot, serverOptions, performance.now());
      } else if (task.hello !== undefined) {
        // Tickets only unless the credentials module gives a store the workers share (session-tickets.ts).
        // Sessions are dated by the wall clock (Date.now()): a ticket outlives this worker and process.
        engine = DtlsConnection.acceptVerified(serverOptions, task.hello, performance.now(), { address: task.remoteAddress, port: task.remotePort }, Date.now());
      } else throw new TypeError('server task without a ClientHello or an established connection');
    } else {
      const options = { ...task.options, ...(await credentialOptions(task.credentials)) };
      engine = DtlsConnection.client(options as ClientOptions);
      engine.connect(performance.now(), Date.now());
    }
    conn = new BlockingConnection(engine, link, task.remoteAddress, task.remotePort, task.idleTimeoutMs, task.client);
  } catch (err) {
    return { ok: false, stage: 'setup', error: serializeError(err) };
  }
  try {
    await conn.handshake();
  } catch (err) {
    conn.close();
    return { ok: false, stage: 'handshake', error: serializeError(err) };
  }
  try {
    let value = handler(conn, task.args);
    if (value instanceof Promise) value = await value;
    conn.close();
    return { ok: true, value };
  } catch (err) {
    conn.abort(`handler failed: ${err instanceof Error ? err.message : String(err)}`);
    return { ok: false, stage: 'handler', error: serializeError(err) };
  }
}
