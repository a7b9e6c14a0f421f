/**
 * The CID generator (RFC 9146 3: the receiver chooses its CID). By default a server's CID is its
 * `serverId` prefix (for a load balancer to route by) followed by random bytes; a custom
 * `generate(length)` replaces it. Bad options are refused up front; a generator that returns a
 * CID of the wrong length ends that handshake with internal_error, it never crashes the caller.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { fromHex, toHex, utf8 } from '../../src/bytes.js';
import { DtlsConnection } from '../../src/connection.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { defaultConnectionIdGenerator } from '../../src/handshake/common/connection-id.js';
import { resolveServerOptions } from '../../src/options.js';
import * as core from '../../src/index.js';
import { expectLocalFailure, Pair } from './harness.js';
import { closeEvent } from '../support/event-log.js';
import { clientPsk, serverPsk } from '../support/psk.js';

const SERVER_ID = fromHex('5e7e');

async function serverCid(serverOptions: ConstructorParameters<typeof Pair>[0]): Promise<Uint8Array> {
  const p = await new Pair(serverOptions).handshake();
  p.client.send(utf8('ping'));
  await p.run();
  expect(p.serverEvents.some((e) => e.type === 'data')).toBe(true);
  const cid = p.s.connectionId?.receive;
  if (cid === undefined) throw new Error('no CID negotiated');
  // The client puts exactly that CID in the records it sends.
  expect(toHex(p.client.connectionId?.send ?? new Uint8Array(0))).toBe(toHex(cid));
  return cid;
}

describe('connection ID generator (RFC 9146 3)', () => {
  it('default: the serverId prefix, then random bytes that differ from connection to connection', async () => {
    const options = { client: { connectionId: { length: 0 } }, server: { connectionId: { length: 8, serverId: SERVER_ID } } };
    const cids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const cid = await serverCid(options);
      expect(cid.length).toBe(8);
      expect(toHex(cid.subarray(0, 2))).toBe('5e7e');
      cids.push(toHex(cid.subarray(2)));
    }
    expect(new Set(cids).size).toBe(cids.length);
  });

  it('no serverId: the whole CID is random', async () => {
    const a = await serverCid({ client: { connectionId: { length: 0 } }, server: { connectionId: { length: 6 } } });
    const b = await serverCid({ client: { connectionId: { length: 0 } }, server: { connectionId: { length: 6 } } });
    expect(a.length).toBe(6);
    expect(toHex(a)).not.toBe(toHex(b));
  });

  it('a custom generator makes the CID, on both sides', async () => {
    const asked: number[] = [];
    let n = 0;
    const generate = (length: number): Uint8Array => {
      asked.push(length);
      const cid = new Uint8Array(length).fill(0xab);
      cid[length - 1] = ++n;
      return cid;
    };
    const p = await new Pair({ client: { connectionId: { length: 3, generate } }, server: { connectionId: { length: 5, generate } } }).handshake();
    expect(asked.sort()).toEqual([3, 5]);
    expect(toHex(p.client.connectionId?.receive ?? new Uint8Array(0))).toMatch(/^abab0[12]$/);
    expect(toHex(p.s.connectionId?.receive ?? new Uint8Array(0))).toMatch(/^abababab0[12]$/);
    p.client.send(utf8('over the custom CID'));
    await p.run();
    expect(p.serverEvents.some((e) => e.type === 'data')).toBe(true);
  });

  it('a server whose client offers no CID does not call the generator', async () => {
    let calls = 0;
    const p = await new Pair({ server: { connectionId: { length: 5, generate: (l) => (calls++, new Uint8Array(l)) } } }).handshake();
    expect(p.s.connectionId).toBeUndefined();
    expect(calls).toBe(0);
  });

  it('the default generator is exported and usable on its own', () => {
    expect(core.defaultConnectionIdGenerator).toBe(defaultConnectionIdGenerator);
    const g = core.defaultConnectionIdGenerator({ serverId: Uint8Array.of(1, 2, 3) });
    const a = g(9);
    const b = g(9);
    expect(a.length).toBe(9);
    expect(Array.from(a.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(() => g(2)).toThrow(RangeError);
  });

  it('bad options throw RangeError (or TypeError) when the options are resolved', () => {
    const psk = { psk: serverPsk() };
    // serverId longer than the CID.
    expect(() => resolveServerOptions({ ...psk, connectionId: { length: 4, serverId: new Uint8Array(5) } })).toThrow(RangeError);
    expect(() => new ServerEndpoint({ ...psk, connectionId: { length: 4, serverId: new Uint8Array(5) } })).toThrow(/longer than connectionId.length/);
    // Fewer than 4 random bytes after a non-empty serverId: guessable, linkable (RFC 9146 7, 8).
    expect(() => resolveServerOptions({ ...psk, connectionId: { length: 5, serverId: new Uint8Array(2) } })).toThrow(RangeError);
    expect(() => resolveServerOptions({ ...psk, connectionId: { length: 5, serverId: new Uint8Array(2) } })).toThrow(/at least 4 .*RFC 9146/);
    expect(() => DtlsConnection.client({ psk: clientPsk(), connectionId: { length: 4, serverId: new Uint8Array(4) } })).toThrow(RangeError);
    // The boundary: exactly 4 random bytes is fine, and so is a short CID without a serverId.
    expect(resolveServerOptions({ ...psk, connectionId: { length: 6, serverId: new Uint8Array(2) } }).connectionIdLength).toBe(6);
    expect(resolveServerOptions({ ...psk, connectionId: { length: 2 } }).connectionIdLength).toBe(2);
    expect(resolveServerOptions({ ...psk, connectionId: { length: 0, serverId: new Uint8Array(0) } }).connectionIdLength).toBe(0);
    // Length out of range, as before.
    expect(() => resolveServerOptions({ ...psk, connectionId: { length: 256 } })).toThrow(RangeError);
    // Both a serverId and a generator: ambiguous.
    expect(() => resolveServerOptions({ ...psk, connectionId: { length: 8, serverId: new Uint8Array(2), generate: (l) => new Uint8Array(l) } })).toThrow(TypeError);
  });

  it('a server generator returning the wrong length ends that handshake with internal_error; the client is told', async () => {
    const p = new Pair({ client: { connectionId: { length: 0 } }, server: { connectionId: { length: 8, generate: () => new Uint8Array(7) } } });
    p.start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.internal_error);
    expect(p.s.error?.message).toMatch(/connectionId.generate returned 7 bytes; connectionId.length is 8/);
    expect(p.client.state).toBe('closed');
    expect(closeEvent(p.clientEvents)?.error?.alert).toBe(AlertDescription.internal_error);
  });

  it('a client generator returning the wrong thing fails connect() with internal_error, never a throw', () => {
    const client = DtlsConnection.client({ psk: clientPsk(), connectionId: { length: 4, generate: () => new Uint8Array(9) } });
    expect(() => client.connect(0)).not.toThrow();
    expect(client.state).toBe('closed');
    expect(client.error?.alert).toBe(AlertDescription.internal_error);
    expect(client.error?.message).toMatch(/returned 9 bytes/);
    expect(client.datagramsToSend().length).toBeLessThanOrEqual(1); // at most its alert, never a ClientHello with a bad CID
    const throwing = DtlsConnection.client({ psk: clientPsk(), connectionId: { length: 4, generate: () => { throw new Error('no entropy'); } } });
    throwing.connect(0);
    expect(throwing.error?.alert).toBe(AlertDescription.internal_error);
    expect(throwing.error?.message).toMatch(/no entropy/);
  });
});
