/**
 * A session keeps its record protection (RFC 7366): one made with encrypt-then-MAC is resumed only
 * by a ClientHello that negotiates encrypt-then-MAC again, and one made without it only by one that
 * does not; otherwise the server falls back to a full handshake. The resumed keys are keyed for the
 * session's EtM state (data flows both ways after resuming).
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { serverPsk } from '../support/psk.js';
import { Pair } from './harness.js';

const CBC = 'PSK-AES128-CBC-SHA256';

async function exchange(p: Pair): Promise<void> {
  p.client.send(utf8('ping'));
  p.s.send(utf8('pong'));
  await p.run();
  expect(p.serverEvents.some((e) => e.type === 'data' && new TextDecoder().decode(e.data) === 'ping')).toBe(true);
  expect(p.clientEvents.some((e) => e.type === 'data' && new TextDecoder().decode(e.data) === 'pong')).toBe(true);
}

async function resumeWith(firstEtm: boolean, secondEtm: boolean): Promise<Pair> {
  const endpoint = new ServerEndpoint({ psk: serverPsk(), cipherSuites: CBC });
  const first = await new Pair({ endpoint, client: { cipherSuites: CBC, encryptThenMac: firstEtm } }).handshake();
  expect(first.client.encryptThenMac).toBe(firstEtm);
  const session = first.client.getSession();
  expect(session).toBeDefined();
  const second = await new Pair({ endpoint, client: { cipherSuites: CBC, encryptThenMac: secondEtm, session } }).handshake();
  expect(second.client.encryptThenMac).toBe(secondEtm);
  expect(second.s.encryptThenMac).toBe(secondEtm);
  await exchange(second);
  return second;
}

describe('session resumption keeps encrypt-then-MAC (RFC 7366)', () => {
  it('a session made with EtM resumes with EtM, and its records flow', async () => {
    const p = await resumeWith(true, true);
    expect(p.client.isSessionReused()).toBe(true);
    expect(p.s.isSessionReused()).toBe(true);
  });

  it('a session made without EtM resumes without it', async () => {
    const p = await resumeWith(false, false);
    expect(p.client.isSessionReused()).toBe(true);
  });

  it('a session made with EtM offered again without it: a full handshake', async () => {
    const p = await resumeWith(true, false);
    expect(p.client.isSessionReused()).toBe(false);
    expect(p.s.isSessionReused()).toBe(false);
  });

  it('a session made without EtM offered again with it: a full handshake', async () => {
    const p = await resumeWith(false, true);
    expect(p.client.isSessionReused()).toBe(false);
  });
});
