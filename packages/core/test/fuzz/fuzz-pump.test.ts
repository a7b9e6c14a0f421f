/**
 * The fuzz harness's own checks can fail: an exception out of the engine, a connection left
 * handshaking without a timer, data nobody sent, each is reported (so a passing fuzz run means
 * something).
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { clientPsk, serverPsk } from '../support/psk.js';
import { applyCidProbe } from './cid-probes.js';
import { FuzzPump, THIRD_ADDRESS } from './fuzz-pump.js';

function pump(): FuzzPump {
  return new FuzzPump({ maxVersion: 'DTLSv1.2', psk: clientPsk() }, { maxVersion: 'DTLSv1.2', psk: serverPsk() }, undefined);
}

describe('FuzzPump reports what the fuzzer looks for', () => {
  it('a clean handshake and exchange: no failure', () => {
    const p = pump();
    p.start();
    p.run();
    p.send('c2s', utf8('hello'));
    p.step();
    p.check();
    expect(p.failures).toEqual([]);
    expect(p.server?.events.some((e) => e.type === 'data')).toBe(true);
  });

  it('an exception escaping the engine', () => {
    const p = pump();
    p.call('receive', () => {
      throw new RangeError('boom');
    });
    expect(p.failures).toEqual(['receive threw: RangeError: boom']);
  });

  it('a handshaking connection without a timer (a hang)', () => {
    const p = pump();
    p.client.conn.nextTimeout = () => undefined;
    p.start();
    p.client.conn.datagramsToSend(); // the ClientHello is lost: nothing moves, and no timer would resend it
    p.run();
    expect(p.failures.some((f) => f.includes('no timer'))).toBe(true);
  });

  it('data delivered that the peer did not send', () => {
    const p = pump();
    p.start();
    p.run();
    p.client.events.push({ type: 'data', data: utf8('forged') });
    p.check();
    expect(p.failures).toContain('client delivered data nobody sent');
  });

  it('CID probes: a clean run routes them and changes nothing', () => {
    const p = new FuzzPump({ maxVersion: 'DTLSv1.2', psk: clientPsk(), connectionId: { length: 4 } }, { maxVersion: 'DTLSv1.2', psk: serverPsk(), connectionId: { length: 6 } }, undefined, (d, n, decoy) => [
      applyCidProbe(d, { kind: 'replay' }, n, decoy),
      applyCidProbe(d, { kind: 'decoy-cid' }, n, decoy),
      applyCidProbe(d, { kind: 'epoch', value: 0 }, n, decoy),
      applyCidProbe(d, { kind: 'unknown-cid', byte: 0, xor: 1 }, n, decoy),
    ]);
    p.start();
    p.run();
    p.send('c2s', utf8('hello'));
    p.send('s2c', utf8('hello back'));
    p.step();
    p.check();
    expect(p.failures).toEqual([]);
    for (const route of ['connection', 'decoy', 'endpoint', 'client']) expect(p.reached.get(`cid probe to ${route}`) ?? 0).toBeGreaterThan(0);
  });

  it('a CID probe that changes the connection it reaches', () => {
    const p = new FuzzPump({ maxVersion: 'DTLSv1.2', psk: clientPsk(), connectionId: { length: 4 } }, { maxVersion: 'DTLSv1.2', psk: serverPsk(), connectionId: { length: 6 } }, undefined, (d) => [d]);
    p.start();
    p.run();
    const server = p.server?.conn;
    if (!server) throw new Error('no server connection');
    // A connection that (wrongly) ends on a replayed record from another address: the pump must say so.
    const receive = server.receive.bind(server);
    server.receive = (d, now, from) => (from?.address === THIRD_ADDRESS.address ? server.close() : receive(d, now, from));
    p.send('c2s', utf8('hello'));
    p.step();
    expect(p.failures.some((f) => f.startsWith(`a CID probe from ${THIRD_ADDRESS.address}:${THIRD_ADDRESS.port} changed the server's state`))).toBe(true);
  });

  it('a record with the server connection’s CID that the table does not route to it', () => {
    const p = new FuzzPump({ maxVersion: 'DTLSv1.2', psk: clientPsk(), connectionId: { length: 4 } }, { maxVersion: 'DTLSv1.2', psk: serverPsk(), connectionId: { length: 6 } }, undefined, (d) => [d]);
    p.start();
    p.run();
    const server = p.server;
    const cid = server?.conn.connectionId?.receive;
    if (!server || !cid) throw new Error('no CID negotiated');
    p.table.unbindConnectionId(cid, server);
    p.send('c2s', utf8('hello'));
    p.step();
    expect(p.failures.some((f) => f.includes("a record with the server's CID from 198.51.100.23:7000 was routed to endpoint"))).toBe(true);
  });
});
