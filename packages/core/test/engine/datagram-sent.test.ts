/**
 * DtlsConnection.datagramSent (issue 15): a runtime that says an application-data datagram has
 * left gets its memory sealed into again by the next record, instead of a new slab every few
 * dozen records; nothing else is ever taken back, and the peer reads every record.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import type { DtlsEvent } from '../../src/connection.js';
import { Pair } from './harness.js';

const VERSIONS = [
  { name: 'DTLS 1.2', client: { maxVersion: 'DTLSv1.2' }, server: { maxVersion: 'DTLSv1.2' } },
  { name: 'DTLS 1.3', client: { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' }, server: { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } },
] as const;

function texts(events: readonly DtlsEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'data' ? [new TextDecoder().decode(e.data)] : []));
}

function only(datagrams: Uint8Array[]): Uint8Array {
  expect(datagrams.length).toBe(1);
  const [d] = datagrams;
  if (d === undefined) throw new Error('no datagram');
  return d;
}

describe('datagramSent', () => {
  it.each(VERSIONS)('$name: the next record is sealed into the memory of the application-data datagram said to have left; the peer reads both', async ({ client, server }) => {
    const p = await new Pair({ client, server }).handshake();
    const s = p.server;
    if (s === undefined) throw new Error('no server connection');
    p.client.send(utf8('first record'));
    const first = only(p.client.datagramsToSend());
    s.receive(first, p.now);
    p.client.datagramSent(first);
    // Zeroed: nothing of the record stays behind where the next one is sealed.
    expect(first.every((b) => b === 0)).toBe(true);
    p.client.send(utf8('second record'));
    const second = only(p.client.datagramsToSend());
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset);
    s.receive(second, p.now);
    p.drainEvents();
    expect(texts(p.serverEvents)).toEqual(['first record', 'second record']);
  });

  it('leaves a datagram alone that was not said to have left: the next record takes new bytes', async () => {
    const p = await new Pair().handshake();
    p.client.send(utf8('kept'));
    const kept = only(p.client.datagramsToSend());
    const copy = kept.slice();
    p.client.send(utf8('next'));
    const next = only(p.client.datagramsToSend());
    expect(next.buffer !== kept.buffer || next.byteOffset >= kept.byteOffset + kept.byteLength).toBe(true);
    expect(kept).toEqual(copy);
  });

  it('takes back no datagram but the application-data record sealed last: not one sealed before it, not an alert', async () => {
    const p = await new Pair().handshake();
    p.client.send(utf8('older'));
    const older = only(p.client.datagramsToSend());
    p.client.send(utf8('newer'));
    const newer = only(p.client.datagramsToSend());
    const olderCopy = older.slice();
    p.client.datagramSent(older);
    expect(older).toEqual(olderCopy);
    p.client.close();
    const alert = only(p.client.datagramsToSend());
    const alertCopy = alert.slice();
    // The alert was sealed after `newer`: `newer` is no longer the last record, and the alert is no application data.
    p.client.datagramSent(newer);
    p.client.datagramSent(alert);
    expect(alert).toEqual(alertCopy);
    expect(newer.some((b) => b !== 0)).toBe(true);
  });
});
