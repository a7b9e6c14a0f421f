/**
 * The fuzz harness's own checks can fail: an exception out of the engine, a connection left
 * handshaking without a timer, data nobody sent, each is reported (so a passing fuzz run means
 * something).
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { clientPsk, serverPsk } from '../engine/harness.js';
import { FuzzPump } from './fuzz-pump.js';

function pump(): FuzzPump {
  return new FuzzPump({ psk: clientPsk() }, { psk: serverPsk() }, undefined);
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
});
