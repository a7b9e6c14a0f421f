/**
 * The PROXY protocol v2 header reader, against the layout of haproxy's proxy-protocol.txt 2.2
 * (the spec gives the struct, not hex vectors: each vector below is written out field by field
 * from it), and nginx's own `proxy_protocol on` line for UDP, which is version 1 and refused.
 */
import { createRng } from '@dtls-kit/test-kit';
import { describe, expect, it } from 'vitest';
import { parseProxyV2 } from '../src/proxy-protocol.js';

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
/** 2.2: "\x0D \x0A \x0D \x0A \x00 \x0D \x0A \x51 \x55 \x49 \x54 \x0A". */
const SIG = '0d0a0d0a000d0a515549540a';

describe('PROXY protocol v2 header (haproxy proxy-protocol.txt 2.2)', () => {
  it('\\x21 PROXY, \\x12 UDP over IPv4: 12 address bytes, then the datagram', () => {
    // src 192.0.2.10:56324, dst 198.51.100.1:4433, then a 3-byte payload.
    const d = hex(`${SIG} 21 12 000c  c000020a c6336401 dc04 1151  170102`);
    const h = parseProxyV2(d);
    expect(h).toEqual({
      type: 'proxy',
      source: { address: '192.0.2.10', port: 56324 },
      destination: { address: '198.51.100.1', port: 4433 },
      length: 28,
    });
    expect(Buffer.from(d.subarray(28)).toString('hex')).toBe('170102');
  });

  it('\\x11 TCP over IPv4 is read the same way (the addresses do not depend on the transport)', () => {
    const h = parseProxyV2(hex(`${SIG} 21 11 000c 7f000001 7f000001 1f90 0050`));
    expect(h).toMatchObject({ type: 'proxy', source: { address: '127.0.0.1', port: 8080 }, destination: { port: 80 } });
  });

  it('\\x22 UDP over IPv6: 36 address bytes; addresses written as node:dgram writes them', () => {
    const src = '20010db8000000000000000000000001';
    const dst = '20010db8000000010000000000000000';
    const h = parseProxyV2(hex(`${SIG} 21 22 0024 ${src} ${dst} 1234 1151`));
    expect(h).toEqual({
      type: 'proxy',
      source: { address: '2001:db8::1', port: 0x1234 },
      destination: { address: '2001:db8:0:1::', port: 4433 },
      length: 52,
    });
    const mapped = parseProxyV2(hex(`${SIG} 21 22 0024 00000000000000000000ffff7f000001 00000000000000000000000000000001 0001 0002`));
    expect(mapped).toMatchObject({ source: { address: '::ffff:127.0.0.1', port: 1 }, destination: { address: '::1', port: 2 } });
  });

  it('TLVs after the addresses are inside the length: the payload starts after them', () => {
    // 2.2.x: type PP2_TYPE_NOOP (0x04), length 4, value: 12 + 7 address bytes.
    const d = hex(`${SIG} 21 12 0013 c000020a c6336401 dc04 1151 04 0004 00000000  aa`);
    const h = parseProxyV2(d);
    expect(h).toMatchObject({ type: 'proxy', length: 35 });
    expect(d[35]).toBe(0xaa);
  });

  it('\\x20 LOCAL: no address to take (the datagram\'s own source is the peer); its length still counts', () => {
    expect(parseProxyV2(hex(`${SIG} 20 00 0000 ff`))).toEqual({ type: 'local', length: 16 });
    // "The receiver must always consider this field to skip the appropriate number of bytes and must
    // not assume zero for LOCAL connections."
    expect(parseProxyV2(hex(`${SIG} 20 12 000c c000020a c6336401 dc04 1151 ff`))).toEqual({ type: 'local', length: 28 });
    // \x00 UNSPEC with PROXY: "the receiver ... may accept ... and use the real endpoints".
    expect(parseProxyV2(hex(`${SIG} 21 00 0000`))).toEqual({ type: 'local', length: 16 });
  });

  it('refuses what the spec says receivers must refuse, and what does not fit', () => {
    expect(parseProxyV2(hex(`${SIG} 21 12 00`))).toEqual({ type: 'error', error: 'short' });
    expect(parseProxyV2(hex(`0d0a0d0a000d0a515549540b 21 12 000c c000020a c6336401 dc04 1151`))).toEqual({ type: 'error', error: 'signature' });
    // "it must always be sent as \x2 and the receiver must only accept this value"
    expect(parseProxyV2(hex(`${SIG} 11 12 000c c000020a c6336401 dc04 1151`))).toEqual({ type: 'error', error: 'version' });
    // commands other than LOCAL and PROXY "must not be emitted ... receivers must drop"
    expect(parseProxyV2(hex(`${SIG} 22 12 000c c000020a c6336401 dc04 1151`))).toEqual({ type: 'error', error: 'command' });
    expect(parseProxyV2(hex(`${SIG} 21 42 000c c000020a c6336401 dc04 1151`))).toEqual({ type: 'error', error: 'family' });
    expect(parseProxyV2(hex(`${SIG} 21 13 000c c000020a c6336401 dc04 1151`))).toEqual({ type: 'error', error: 'family' });
    // The length says more than the datagram holds; or too few bytes for the family's addresses.
    expect(parseProxyV2(hex(`${SIG} 21 12 000d c000020a c6336401 dc04 1151`))).toEqual({ type: 'error', error: 'length' });
    expect(parseProxyV2(hex(`${SIG} 21 12 0008 c000020a c6336401 ff`))).toEqual({ type: 'error', error: 'length' });
    expect(parseProxyV2(hex(`${SIG} 21 22 000c c000020a c6336401 dc04 1151`))).toEqual({ type: 'error', error: 'length' });
  });

  it("nginx 1.22's `proxy_protocol on` for UDP sends a version 1 line (on a session's first datagram only): not a v2 header", () => {
    // Captured from nginx 1.22.1 (Debian 12) proxying UDP with proxy_protocol on.
    const v1 = Buffer.from('PROXY TCP4 127.0.0.1 127.0.0.1 60345 5100\r\n\x19\x01\x02\x03', 'latin1');
    expect(parseProxyV2(Uint8Array.from(v1))).toEqual({ type: 'error', error: 'signature' });
  });

  it('random and truncated input gives a result or a refusal, never a throw, never reads past the end', () => {
    const rng = createRng(18);
    const good = hex(`${SIG} 21 22 0024 20010db8000000000000000000000001 20010db8000000000000000000000002 1234 1151 aabb`);
    for (let n = 0; n <= good.length; n++) {
      const h = parseProxyV2(good.subarray(0, n));
      if (h.type !== 'error') expect(h.length).toBeLessThanOrEqual(n);
    }
    for (let i = 0; i < 5000; i++) {
      const d = Uint8Array.from(good);
      // Flip a few bytes of the header; keep the signature sometimes so the later fields are read.
      const flips = 1 + rng.int(4);
      for (let f = 0; f < flips; f++) d[(i % 3 === 0 ? 0 : 12) + rng.int(i % 3 === 0 ? 52 : 40)] = rng.int(256);
      const h = parseProxyV2(d.subarray(0, rng.int(d.length + 1)));
      if (h.type !== 'error') expect(h.length).toBeLessThanOrEqual(d.length);
    }
  });
});
