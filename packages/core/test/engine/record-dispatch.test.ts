/**
 * The connection keeps application data and hands every other record to the version's handshake
 * module in one call (HandshakeEngine.onRecord), which decides what a ChangeCipherSpec, a
 * handshake record or an alert means — during the handshake and after it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AlertDescription, AlertLevel } from '../../src/alert.js';
import { utf8 } from '../../src/bytes.js';
import { HandshakeEngine } from '../../src/handshake/common/handshake-engine.js';
import { ContentType } from '../../src/record/content-type.js';
import type { ReadRecord } from '../../src/record/record-layer.js';
import { Pair, plainRecord } from './harness.js';
import { closeEvent } from '../support/event-log.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function spyOnRecords(): { types: number[]; calls: ReadRecord[] } {
  const calls: ReadRecord[] = [];
  const original = HandshakeEngine.prototype.onRecord;
  vi.spyOn(HandshakeEngine.prototype, 'onRecord').mockImplementation(function (this: HandshakeEngine, record: ReadRecord): void {
    calls.push(record);
    original.call(this, record);
  });
  return {
    calls,
    get types(): number[] {
      return [...new Set(calls.map((r) => r.type))].sort();
    },
  };
}

describe('record dispatch: everything but application data goes to the handshake', () => {
  it('handshake and ChangeCipherSpec records reach handshake.onRecord; application data never does', async () => {
    const seen = spyOnRecords();
    const p = await new Pair({ client: { cipherSuites: 'PSK-AES128-GCM-SHA256' } }).handshake();
    expect(seen.types).toEqual([ContentType.change_cipher_spec, ContentType.handshake]);
    const before = seen.calls.length;
    p.client.send(utf8('hello'));
    p.s.send(utf8('back'));
    await p.run();
    expect(p.serverEvents.some((e) => e.type === 'data')).toBe(true);
    expect(p.clientEvents.some((e) => e.type === 'data')).toBe(true);
    expect(seen.calls.length).toBe(before);
  });

  it('an alert after the handshake goes through the handshake and still ends the connection (close_notify)', async () => {
    const seen = spyOnRecords();
    const p = await new Pair({ client: { cipherSuites: 'PSK-AES128-GCM-SHA256' } }).handshake();
    p.client.close();
    await p.run();
    expect(seen.calls.some((r) => r.type === ContentType.alert && r.epoch === 1)).toBe(true);
    expect(p.s.state).toBe('closed');
    expect(closeEvent(p.serverEvents)?.error).toBeUndefined();
  });

  it('an alert during the handshake goes through the handshake: a fatal one ends it', async () => {
    const seen = spyOnRecords();
    const p = new Pair({ client: { cipherSuites: 'PSK-AES128-GCM-SHA256' } }).start();
    p.client.datagramsToSend();
    p.client.receive(plainRecord(ContentType.alert, Uint8Array.of(AlertLevel.fatal, AlertDescription.handshake_failure), 0), 0);
    p.drainEvents();
    expect(seen.calls.map((r) => [r.type, r.epoch])).toEqual([[ContentType.alert, 0]]);
    expect(p.client.state).toBe('closed');
    expect(p.client.error?.alert).toBe(AlertDescription.handshake_failure);
    expect(p.client.error?.fromPeer).toBe(true);
  });
});
