/**
 * The interop harness's wire tap: every handshake fragment of a plaintext record is seen, a
 * record may hold several (RFC 6347 4.2.3), and a message split across records is a fragment.
 */
import { describe, expect, it } from 'vitest';
import { CONTENT_TYPE, FragmentTap, HANDSHAKE_TYPE, handshakeFragments } from '../src/index.js';

/** A handshake fragment (RFC 6347 4.2.2 header) carrying `body` of a `length`-byte message. */
function fragment(type: number, messageSeq: number, length: number, offset: number, body: number): Buffer {
  const f = Buffer.alloc(12 + body, 0x5a);
  f[0] = type;
  f.writeUIntBE(length, 1, 3);
  f.writeUInt16BE(messageSeq, 4);
  f.writeUIntBE(offset, 6, 3);
  f.writeUIntBE(body, 9, 3);
  return f;
}

/** A record (RFC 6347 4.1 header) of the given type and epoch around `body`. */
function record(contentType: number, epoch: number, body: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header[0] = contentType;
  header.writeUInt16BE(0xfefd, 1);
  header.writeUInt16BE(epoch, 3);
  header.writeUInt16BE(body.length, 11);
  return Buffer.concat([header, body]);
}

// A server flight in one datagram: ServerHello and the first half of a Certificate in one
// record, an encrypted record (opaque), then the Certificate's second half.
const flight = Buffer.concat([
  record(CONTENT_TYPE.handshake, 0, Buffer.concat([fragment(HANDSHAKE_TYPE.serverHello, 1, 40, 0, 40), fragment(HANDSHAKE_TYPE.certificate, 2, 100, 0, 60)])),
  record(CONTENT_TYPE.handshake, 1, Buffer.alloc(40, 1)),
  record(CONTENT_TYPE.handshake, 0, fragment(HANDSHAKE_TYPE.certificate, 2, 100, 60, 40)),
]);

describe('handshakeFragments', () => {
  it('reads every fragment of every plaintext handshake record, none of an encrypted one', () => {
    expect(handshakeFragments(flight)).toEqual([
      { msgType: HANDSHAKE_TYPE.serverHello, length: 40, messageSeq: 1, fragmentOffset: 0, fragmentLength: 40 },
      { msgType: HANDSHAKE_TYPE.certificate, length: 100, messageSeq: 2, fragmentOffset: 0, fragmentLength: 60 },
      { msgType: HANDSHAKE_TYPE.certificate, length: 100, messageSeq: 2, fragmentOffset: 60, fragmentLength: 40 },
    ]);
  });

  it('stops at a fragment that does not fit its record', () => {
    const cut = record(CONTENT_TYPE.handshake, 0, Buffer.concat([fragment(HANDSHAKE_TYPE.serverHello, 1, 40, 0, 40), fragment(HANDSHAKE_TYPE.certificate, 2, 100, 0, 60).subarray(0, 30)]));
    expect(handshakeFragments(cut).map((f) => f.msgType)).toEqual([HANDSHAKE_TYPE.serverHello]);
  });
});

describe('FragmentTap', () => {
  it('lists the messages each way and the ones that travelled in fragments', () => {
    const tap = new FragmentTap();
    tap.see('out', record(CONTENT_TYPE.handshake, 0, fragment(HANDSHAKE_TYPE.clientHello, 0, 80, 0, 80)));
    tap.see('in', record(CONTENT_TYPE.handshake, 0, fragment(HANDSHAKE_TYPE.helloVerifyRequest, 0, 20, 0, 20)));
    tap.see('out', record(CONTENT_TYPE.handshake, 0, fragment(HANDSHAKE_TYPE.clientHello, 1, 100, 0, 100)));
    tap.see('in', flight);
    expect(tap.messages).toEqual(['out 1', 'in 3', 'out 1', 'in 2', 'in 11', 'in 11']);
    expect(tap.fragments).toEqual(['in type 11 0+60/100', 'in type 11 60+40/100']);
    expect(tap.cookieExchange).toEqual({ clientHellos: 2, helloVerifyRequests: 1 });
    expect(tap.fragmented('in', HANDSHAKE_TYPE.certificate)).toBe(true);
    expect(tap.fragmented('in', HANDSHAKE_TYPE.serverHello)).toBe(false);
    expect(tap.fragmented('out')).toBe(false);
  });
});
