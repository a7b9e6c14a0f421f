/**
 * The engine options a server's or client's `credentials` stand for, built on this side of a
 * thread boundary: the workers build them for each connection, and with the server's
 * `handshakes: 'main'` the main thread builds them too (once, at listen()).
 */
import type { ClientOptions, ServerOptions } from '@dtls-kit/core';
import { pskClient, pskServer } from '@dtls-kit/psk';
import type { WorkerTask } from './protocol.js';

const modules = new Map<string, Promise<Record<string, unknown>>>();
const load = (href: string): Promise<Record<string, unknown>> => {
  let m = modules.get(href);
  if (!m) modules.set(href, (m = import(href) as Promise<Record<string, unknown>>));
  return m;
};

/** import() of a module the user named, with the name in the error. */
export async function loadModule(href: string, what: string): Promise<Record<string, unknown>> {
  try {
    return await load(href);
  } catch (err) {
    // A failed import is not retried from the cache: the file may be fixed and tried again.
    modules.delete(href);
    throw new Error(`${what} ${href} could not be loaded: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export type AnyOptions = Partial<Omit<ServerOptions, 'psk'> & Omit<ClientOptions, 'psk'>> & { psk?: ServerOptions['psk'] | ClientOptions['psk'] };

/** The options `credentials` stand for: the module's export (called with its args when a function), or @dtls-kit/psk's from plain data. */
export async function credentialOptions(credentials: WorkerTask['credentials']): Promise<AnyOptions> {
  const c = credentials;
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
