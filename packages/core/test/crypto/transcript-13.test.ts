/**
 * The DTLS 1.3 transcript form (RFC 9147 5.2: TLS-style 4-byte headers, no message_seq or
 * fragment fields), the binders-list truncation (RFC 8446 4.2.11.2) and the 1.3 CertificateVerify
 * scheme list (RFC 8446 4.4.3). Malformed input gives only DecodeError (fast-check).
 * The same functions are checked against wolfSSL's bytes in dtls13-wolfssl-keys.test.ts and
 * against RFC 8448 in key-schedule-13.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { concatBytes, fromHex, toHex } from '../../src/bytes.js';
import { bindersListLength, truncateClientHello } from '../../src/crypto/psk-binder.js';
import {
  TLS13_CERTIFICATE_VERIFY_SCHEMES,
  checkTls13CertificateVerifyScheme,
  isTls13CertificateVerifyScheme,
} from '../../src/crypto/signature-schemes-13.js';
import { MESSAGE_HASH_TYPE, Transcript13, messageHashMessage, tlsHandshakeMessage, transcriptFormOfDtlsMessage } from '../../src/crypto/transcript-13.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { DecodeError, DtlsError } from '../../src/errors.js';
import { SignatureScheme } from '../../src/handshake/extensions/signature-scheme.js';
import { loadHexFixture } from './hex-fixture.js';
import { PROVIDERS } from './providers.js';

const simple = loadHexFixture('rfc8448/simple-1rtt.json');

/** A DTLS handshake header: msg_type, length, message_seq, fragment_offset, fragment_length (RFC 9147 5.2). */
function dtlsHeader(type: number, length: number, seq: number, offset: number, fragmentLength: number): Uint8Array {
  const h = new Uint8Array(12);
  h[0] = type;
  h.set([(length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff], 1);
  h.set([(seq >>> 8) & 0xff, seq & 0xff], 4);
  h.set([(offset >>> 16) & 0xff, (offset >>> 8) & 0xff, offset & 0xff], 6);
  h.set([(fragmentLength >>> 16) & 0xff, (fragmentLength >>> 8) & 0xff, fragmentLength & 0xff], 9);
  return h;
}

function alertOf(f: () => unknown): AlertDescription | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof DtlsError) return err.alert;
    throw err;
  }
  return undefined;
}

describe('transcript form of a DTLS handshake message (RFC 9147 5.2)', () => {
  const ch = simple.bytes('clientHello'); // RFC 8448's ClientHello, TLS form
  const body = ch.subarray(4);

  it('drops message_seq, fragment_offset and fragment_length, whatever message_seq is', () => {
    for (const seq of [0, 1, 0xffff]) {
      const dtls = concatBytes(dtlsHeader(1, body.length, seq, 0, body.length), body);
      expect(toHex(transcriptFormOfDtlsMessage(dtls))).toBe(toHex(ch));
    }
    expect(toHex(tlsHandshakeMessage(1, body))).toBe(toHex(ch));
  });

  it('a fragment, a short or long body, or a cut header is decode_error', () => {
    expect(alertOf(() => transcriptFormOfDtlsMessage(concatBytes(dtlsHeader(1, body.length, 0, 0, 100), body.subarray(0, 100))))).toBe(AlertDescription.decode_error);
    expect(alertOf(() => transcriptFormOfDtlsMessage(concatBytes(dtlsHeader(1, body.length, 0, 100, body.length - 100), body.subarray(100))))).toBe(AlertDescription.decode_error);
    expect(alertOf(() => transcriptFormOfDtlsMessage(concatBytes(dtlsHeader(1, body.length, 0, 0, body.length), body.subarray(1))))).toBe(AlertDescription.decode_error);
    expect(alertOf(() => transcriptFormOfDtlsMessage(concatBytes(dtlsHeader(1, body.length, 0, 0, body.length), body, new Uint8Array(1))))).toBe(AlertDescription.decode_error);
    expect(alertOf(() => transcriptFormOfDtlsMessage(new Uint8Array(11)))).toBe(AlertDescription.decode_error);
  });

  it('message_hash: type 254, uint24 Hash.length, Hash(ClientHello1) (RFC 8446 4.4.1), SHA-256 and SHA-384', () => {
    const provider = PROVIDERS[0]!.provider;
    expect(MESSAGE_HASH_TYPE).toBe(254);
    expect(toHex(messageHashMessage(provider, 'sha256', ch))).toBe(`fe000020${toHex(provider.hash('sha256', ch))}`);
    expect(toHex(messageHashMessage(provider, 'sha384', ch))).toBe(`fe000030${toHex(provider.hash('sha384', ch))}`);
  });

  it('random bytes give a transcript form or DecodeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const out = transcriptFormOfDtlsMessage(bytes);
          expect(out.length).toBe(bytes.length - 8);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('binders list truncation (RFC 8446 4.2.11.2)', () => {
  it('sizes: uint16 list length, then a length byte and the binder for each', () => {
    expect(bindersListLength([32])).toBe(35);
    expect(bindersListLength([32, 48])).toBe(2 + 33 + 49);
    expect(() => bindersListLength([])).toThrow(RangeError);
    expect(() => bindersListLength([31])).toThrow(RangeError);
    expect(() => bindersListLength([256])).toThrow(RangeError);
  });

  it('random bytes give the prefix or DecodeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -4, max: 90 }), (bytes, bindersLength) => {
        try {
          const out = truncateClientHello(bytes, bindersLength);
          expect(out.length).toBe(bytes.length - bindersLength);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 500 },
    );
    const hello = fromHex('0100000a' + '0000' + '0003' + '020101' + '0000');
    expect(alertOf(() => truncateClientHello(hello, 5))).toBe(AlertDescription.decode_error);
  });
});

describe('TLS 1.3 CertificateVerify schemes (RFC 8446 4.4.3)', () => {
  it('RSA-PSS-RSAE, ECDSA P-256/P-384 and Ed25519; never PKCS#1 v1.5', () => {
    expect(TLS13_CERTIFICATE_VERIFY_SCHEMES).toEqual([0x0403, 0x0503, 0x0807, 0x0804, 0x0805]);
    expect(isTls13CertificateVerifyScheme(SignatureScheme.rsa_pkcs1_sha256)).toBe(false);
    expect(isTls13CertificateVerifyScheme(SignatureScheme.ecdsa_secp521r1_sha512)).toBe(false);
  });

  it('a scheme we did not offer, or one TLS 1.3 forbids, is illegal_parameter', () => {
    const offered = [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pkcs1_sha256];
    expect(alertOf(() => checkTls13CertificateVerifyScheme(SignatureScheme.ecdsa_secp256r1_sha256, offered))).toBeUndefined();
    expect(alertOf(() => checkTls13CertificateVerifyScheme(SignatureScheme.rsa_pkcs1_sha256, offered))).toBe(AlertDescription.illegal_parameter);
    expect(alertOf(() => checkTls13CertificateVerifyScheme(SignatureScheme.ed25519, offered))).toBe(AlertDescription.illegal_parameter);
  });
});

describe('Transcript13 digests', () => {
  it('hashes the same messages once (the application secrets, then the Finished: RFC 8446 7.1, 4.4.4); each digest is a copy; a new message, a message_hash or another hash takes a new one', () => {
    let hashed = 0;
    const node = PROVIDERS[0]?.provider;
    if (node === undefined) throw new Error('no provider');
    const counting: CryptoProvider = { ...node, hash: (algorithm, data) => (hashed++, node.hash(algorithm, data)) };
    const t = new Transcript13();
    t.add(1, new Uint8Array(100).fill(1));
    const first = t.hash(counting, 'sha256');
    const second = t.hash(counting, 'sha256');
    expect(hashed).toBe(1);
    expect(second).toEqual(first);
    first.fill(0);
    expect(t.hash(counting, 'sha256')).toEqual(second);
    expect(t.hash(counting, 'sha384')).toEqual(node.hash('sha384', t.bytes()));
    expect(hashed).toBe(2);
    // message_hash replaces the ClientHello: hashed anew.
    t.replaceClientHelloWithMessageHash(counting, 'sha384');
    hashed = 0;
    expect(t.hash(counting, 'sha384')).toEqual(node.hash('sha384', t.bytes()));
    expect(hashed).toBe(1);
    t.add(2, new Uint8Array(10));
    expect(t.hash(counting, 'sha384')).toEqual(node.hash('sha384', t.bytes()));
    expect(hashed).toBe(2);
  });
});
