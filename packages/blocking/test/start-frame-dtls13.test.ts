import { describe, expect, it } from 'vitest';
import { decodeStart, encodeStart } from '../src/start-frame.js';

describe('START frame with the DTLS 1.3 cookie state (RFC 9147 5.1)', () => {
  const base = { messageSeq: 1, recordSeq: 1, body: Uint8Array.of(1, 2, 3), datagram: Uint8Array.of(22, 254, 253) };
  it('carries the suite, asked group, Hash(ClientHello1) and cookie to the worker', () => {
    const hello = { ...base, dtls13: { cipherSuite: 0x1302, selectedGroup: 0x17, clientHello1Hash: new Uint8Array(48).fill(5), cookie: new Uint8Array(69).fill(9) } };
    expect(decodeStart(encodeStart(hello))).toEqual(hello);
    const noGroup = { ...base, dtls13: { cipherSuite: 0x1301, selectedGroup: undefined, clientHello1Hash: new Uint8Array(32).fill(5), cookie: new Uint8Array(53).fill(9) } };
    expect(decodeStart(encodeStart(noGroup))).toEqual(noGroup);
  });
  it('stays a DTLS 1.2 hello without it, and refuses a truncated block', () => {
    expect(decodeStart(encodeStart(base))).toEqual(base);
    const frame = encodeStart({ ...base, dtls13: { cipherSuite: 0x1301, selectedGroup: undefined, clientHello1Hash: new Uint8Array(32), cookie: new Uint8Array(53) } });
    const view = new DataView(frame.buffer);
    view.setUint32(16, 20, true); // the block said shorter than it is
    expect(decodeStart(frame)).toBeUndefined();
  });
});
