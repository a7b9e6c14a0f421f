/**
 * The Piscina task: one connection per task. Runs the engine (handshake included) in this
 * worker, then the user's synchronous handler; the socket stays with the main thread.
 */
import { DtlsConnection, type ClientOptions, type ServerOptions } from '@dtls-kit/core';
import { resolveServerOptions } from '@dtls-kit/core/internal';
import { pskClient, pskServer } from '@dtls-kit/psk';
import { BlockingConnection } from './connection.js';
import { serializeError } from './errors.js';
import type { ProbeResult, ProbeTask, WorkerResult, WorkerTask } from './protocol.js';
import { C, Link } from './ring.js';

const modules = new Map<string, Promise<Record<string, unknown>>>();
const load = (href: string): Promise<Record<string, unknown>> => {
  let m = modules.get(href);
  if (!m) modules.set(href, (m = import(href) as Promise<Record<string, unknown>>));
  return m;
};

type Handler = (conn: BlockingConnection, args: unknown) => unknown;

/** import() of a module the user named, with the name in the error. */
async function loadModule(href: string, what: string): Promise<Record<string, unknown>> {
  try {
    return await load(href);
  } catch (err) {
    // A failed import is not retried from the cache: the file may be fixed and tried again.
    modules.delete(href);
    throw new Error(`${what} ${href} could not be loaded: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function loadHandler(href: string): Promise<Handler> {
  const mod = await loadModule(href, 'handler module');
  const fn = (mod.default ?? mod.handler) as unknown;
  // A CommonJS module imported as ESM nests its export under default.
  const h = typeof fn === 'function' ? fn : (fn as { default?: unknown } | undefined)?.default;
  if (typeof h !== 'function') throw new TypeError(`handler module ${href} has no default export function`);
  return h as Handler;
}

type AnyOptions = Partial<Omit<ServerOptions, 'psk'> & Omit<ClientOptions, 'psk'>> & { psk?: ServerOptions['psk'] | ClientOptions['psk'] };

async function credentialOptions(task: WorkerTask): Promise<AnyOptions> {
  const c = task.credentials;
  if ('module' in c) {
    const mod = await loadModule(c.module, 'credentials module');
    const value = mod[c.export ?? 'default'] as unknown;
    const out = typeof value === 'function' ? await (value as (a: unknown) => unknown)(c.args) : value;
    if (!out || typeof out !== 'object') throw new TypeError(`credentials module ${c.module}: export ${c.export ?? 'default'} gave no options object`);
    return out as AnyOptions;
  }
  // The same credentials as @dtls-kit/psk's, built from plain data on this side of the thread boundary.
  if ('pskServer' in c) return { psk: pskServer({ keys: c.pskServer.keys, pskIdentityHint: c.pskServer.pskIdentityHint }) };
  return { psk: pskClient({ identity: c.pskClient.identity, key: c.pskClient.key }) };
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

export default async function run(task: WorkerTask | ProbeTask): Promise<WorkerResult | ProbeResult> {
  if ('probe' in task) return probe(task);
  const link = new Link(task.sab);
  Atomics.store(link.ctrl, C.STARTED, 1);
  try {
    return await serve(task, link);
  } finally {
    Atomics.store(link.ctrl, C.DONE, 1);
    link.bump(C.OUT_SEQ);
  }
}

async function serve(task: WorkerTask, link: Link): Promise<WorkerResult> {
  let conn: BlockingConnection;
  let handler: Handler;
  try {
    handler = await loadHandler(task.handler);
    const options = { ...task.options, ...(await credentialOptions(task)) };
    let engine: DtlsConnection;
    if (task.role === 'server') {
      if (!task.hello) throw new TypeError('server task without a ClientHello');
      engine = DtlsConnection.acceptVerified(resolveServerOptions(options as ServerOptions), task.hello, performance.now(), {
        address: task.remoteAddress,
        port: task.remotePort,
      });
    } else {
      engine = DtlsConnection.client(options as ClientOptions);
      engine.connect(performance.now());
    }
    conn = new BlockingConnection(engine, link, task.remoteAddress, task.remotePort, task.idleTimeoutMs);
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
