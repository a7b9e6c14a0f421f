/**
 * The --trace ladder formatter, fed with the datagrams of a real handshake (our client and server
 * in this process, captured on 'dtls-kit:datagram'), then with a retransmission and fragments.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { CHANNELS, type DatagramMessage } from '@dtls-kit/nonblocking';
import { describe, expect, it } from 'vitest';
import type { Io } from '../src/io.js';
import { main } from '../src/main.js';
import { Ladder, type LadderDatagram } from '../src/trace.js';
import { PSK } from './helpers.js';

function quietIo(onStderr: (text: string) => void = () => {}): Io & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    stdout: (t) => void out.push(t),
    stderr: onStderr,
    stdinLines: () => (async function* () {})(),
  };
}

/** Runs `dtls-kit server --once` and `dtls-kit client` in-process; returns the client's datagrams. */
async function captureHandshake(): Promise<LadderDatagram[]> {
  const captured: LadderDatagram[] = [];
  const onDatagram = (m: unknown): void => {
    const d = m as DatagramMessage;
    if (d.role === 'client') captured.push({ ...d, datagram: Uint8Array.from(d.datagram), cipher: d.socket?.getCipher()?.name });
  };
  diagnosticsChannel.subscribe(CHANNELS.datagram, onDatagram);
  try {
    let listening!: (port: number) => void;
    const port = new Promise<number>((resolve) => (listening = resolve));
    const server = main(['server', '--port', '0', '--psk', PSK, '--once', '--cipher', 'PSK-AES128-CCM8', '--psk-hint', 'site-1'], quietIo((t) => {
      const m = /listening on .*:(\d+)/.exec(t);
      if (m) listening(Number(m[1]));
    }));
    const client = quietIo();
    // --dtls1_2: this is the DTLS 1.2 ladder (HelloVerifyRequest, ChangeCipherSpec); trace13.test.ts draws 1.3's.
    const code = await main(['client', '--host', '127.0.0.1', '--port', String(await port), '--psk', PSK, '--message', 'hello', '--dtls1_2'], client);
    expect(code).toBe(0);
    expect(client.out.join('')).toBe('hello\n');
    expect(await server).toBe(0);
  } finally {
    diagnosticsChannel.unsubscribe(CHANNELS.datagram, onDatagram);
  }
  return captured;
}

function render(datagrams: readonly LadderDatagram[]): string[] {
  const lines: string[] = [];
  const ladder = new Ladder((l) => lines.push(l.replace(/\n$/, '')));
  datagrams.forEach((d, i) => ladder.datagram(d, i * 1.5));
  return lines;
}

/** A plaintext (epoch 0) handshake record holding one fragment. */
function handshakeRecord(msgType: number, seq: number, offset: number, fragmentLength: number, length: number): Uint8Array {
  const body = new Uint8Array(12 + fragmentLength);
  const v = new DataView(body.buffer);
  v.setUint8(0, msgType);
  v.setUint8(1, length >> 16);
  v.setUint16(2, length & 0xffff);
  v.setUint16(4, seq);
  v.setUint8(6, offset >> 16);
  v.setUint16(7, offset & 0xffff);
  v.setUint8(9, fragmentLength >> 16);
  v.setUint16(10, fragmentLength & 0xffff);
  const record = new Uint8Array(13 + body.length);
  const r = new DataView(record.buffer);
  r.setUint8(0, 22);
  r.setUint16(1, 0xfefd);
  r.setUint16(11, body.length);
  record.set(body, 13);
  return record;
}

describe('--trace ladder', () => {
  it('draws a real PSK handshake, message by message, with arrows and flights', async () => {
    const datagrams = await captureHandshake();
    const lines = render(datagrams);
    const text = lines.join('\n');
    // Header, then each message on its own line, with the arrow in its direction.
    expect(lines[0]).toMatch(/^trace\s+ms\s+client\s+server$/);
    const messages = lines
      .filter((l) => /[▶◀]/.test(l))
      .map((l) => {
        const m = /^trace\s+([\d.]+)\s+(.*)$/.exec(l);
        expect(m, l).not.toBeNull();
        const body = (m as RegExpExecArray)[2] as string;
        return body.endsWith('▶') ? `${body.replace(/\s*─+▶$/, '')} →` : `← ${body.replace(/^◀─+\s*/, '')}`;
      });
    expect(messages).toEqual([
      'ClientHello →',
      '← HelloVerifyRequest',
      'ClientHello (with cookie) →',
      '← ServerHello',
      '← ServerKeyExchange',
      '← ServerHelloDone',
      'ClientKeyExchange →',
      'ChangeCipherSpec →',
      'Finished (encrypted) →',
      // RFC 5077 3.3: the ticket the client asked for (session tickets are on by default).
      '← NewSessionTicket',
      '← ChangeCipherSpec',
      '← Finished (encrypted)',
      'ApplicationData (5 bytes) →',
      '← ApplicationData (5 bytes)',
      'Alert (encrypted) →',
      ...(messages.length > 15 ? ['← Alert (encrypted)'] : []),
    ]);
    // Flights: CH | HVR | CH | SH SKE SHD | CKE CCS Fin | NST CCS Fin.
    expect(text.match(/┄┄ flight \d+ ┄┄/g)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `┄┄ flight ${n} ┄┄`));
    expect(text).not.toContain('retransmit');
    // Times in ms, increasing.
    expect(lines[2]).toMatch(/^trace\s+0\.0\s+ClientHello ─+▶$/);
  });

  it('marks retransmissions and names fragments', () => {
    const base = { role: 'client' as const, remoteAddress: '127.0.0.1', remotePort: 4433 };
    const hello = handshakeRecord(1, 0, 0, 40, 40);
    const lines = render([
      { ...base, direction: 'out', datagram: hello },
      { ...base, direction: 'out', datagram: hello },
      { ...base, direction: 'in', datagram: handshakeRecord(2, 1, 0, 200, 512) },
      { ...base, direction: 'in', datagram: handshakeRecord(2, 1, 200, 312, 512) },
      { ...base, direction: 'in', datagram: handshakeRecord(2, 1, 0, 200, 512) },
    ]);
    expect(lines.some((l) => /ClientHello \(retransmit\) ─+▶$/.test(l))).toBe(true);
    expect(lines.some((l) => /◀─+ ServerHello \[0\.\.200\/512\]$/.test(l))).toBe(true);
    expect(lines.some((l) => /◀─+ ServerHello \[200\.\.512\/512\]$/.test(l))).toBe(true);
    expect(lines.some((l) => /◀─+ ServerHello \[0\.\.200\/512\] \(retransmit\)$/.test(l))).toBe(true);
    // A retransmitted flight keeps its number.
    expect(lines.filter((l) => l.includes('┄┄'))).toEqual([
      'trace            ┄┄ flight 1 ┄┄',
      'trace            ┄┄ flight 1 (retransmitted) ┄┄',
      'trace            ┄┄ flight 2 ┄┄',
      'trace            ┄┄ flight 2 (retransmitted) ┄┄',
    ]);
  });

  it('names plaintext alerts and notes drops', () => {
    const lines: string[] = [];
    const ladder = new Ladder((l) => lines.push(l));
    const alert = new Uint8Array([21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 3, 0, 2, 2, 40]);
    ladder.datagram({ role: 'server', direction: 'out', remoteAddress: '127.0.0.1', remotePort: 5000, datagram: alert }, 3);
    ladder.note('server', '✗ ClientHello dropped: maxHandshakes reached', 4, '127.0.0.1:5001');
    expect(lines.join('')).toMatch(/◀─+ Alert fatal handshake_failure  127\.0\.0\.1:5000\n/);
    expect(lines.join('')).toMatch(/✗ ClientHello dropped: maxHandshakes reached  127\.0\.0\.1:5001\n/);
  });
});
