/**
 * The key log comment naming a session's connection IDs (see connection-id-keylog.ts): one line
 * per side, naming the same session (client random) with the CIDs mirrored, `-` for an empty CID,
 * nothing without a negotiated connection_id extension.
 */
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/bytes.js';
import { connectionIdKeyLogComment } from '../../src/connection-id-keylog.js';
import { connectionIdKeyLogComment as exported } from '../../src/internal.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { Pair } from './harness.js';

async function established(client: Partial<ClientOptions>, server: Partial<ServerOptions>): Promise<Pair> {
  const p = await new Pair({ client, server }).handshake();
  p.client.send(utf8('ping'));
  await p.run();
  return p;
}

describe('connectionIdKeyLogComment', () => {
  it('names the session and both CIDs, mirrored between the two sides', async () => {
    const p = await established({ connectionId: { length: 6 } }, { connectionId: { length: 4 } });
    const random = toHex(p.client.clientRandom ?? new Uint8Array(0));
    const c = p.client.connectionId;
    const s = p.s.connectionId;
    if (c === undefined || s === undefined) throw new Error('CIDs were not negotiated');
    const clientLine = connectionIdKeyLogComment(p.client);
    const serverLine = connectionIdKeyLogComment(p.s);
    expect(clientLine).toBe(`# CONNECTION_ID ${random} receive=${toHex(c.receive)} send=${toHex(c.send)}`);
    expect(serverLine).toBe(`# CONNECTION_ID ${random} receive=${toHex(s.receive)} send=${toHex(s.send)}`);
    expect(clientLine).toMatch(/^# CONNECTION_ID [0-9a-f]{64} receive=[0-9a-f]{12} send=[0-9a-f]{8}$/);
    // The same session as the CLIENT_RANDOM line names.
    expect(p.client.keyLogLine?.split(' ')[1]).toBe(random);
    expect(exported).toBe(connectionIdKeyLogComment);
  });

  it('writes an empty CID as "-"', async () => {
    const p = await established({ connectionId: { length: 0 } }, { connectionId: { length: 8 } });
    expect(connectionIdKeyLogComment(p.client)).toMatch(/^# CONNECTION_ID [0-9a-f]{64} receive=- send=[0-9a-f]{16}$/);
    expect(connectionIdKeyLogComment(p.s)).toMatch(/^# CONNECTION_ID [0-9a-f]{64} receive=[0-9a-f]{16} send=-$/);
  });

  it('is undefined without a negotiated connection_id extension, or before a client random exists', async () => {
    const p = await established({}, { connectionId: { length: 4 } });
    expect(connectionIdKeyLogComment(p.client)).toBeUndefined();
    expect(connectionIdKeyLogComment(p.s)).toBeUndefined();
    const cid = { receive: new Uint8Array([1]), send: new Uint8Array([2]) };
    expect(connectionIdKeyLogComment({ connectionId: cid, clientRandom: undefined })).toBeUndefined();
    expect(connectionIdKeyLogComment({ connectionId: cid, clientRandom: new Uint8Array(32).fill(0xab) })).toBe(`# CONNECTION_ID ${'ab'.repeat(32)} receive=01 send=02`);
  });
});
