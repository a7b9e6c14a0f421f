import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/bytes.js';
import { Reader } from '../../src/codec/reader.js';
import { DtlsError } from '../../src/errors.js';
import { decodeAlpn, encodeAlpn } from '../../src/handshake/extensions/alpn.js';
import { decodeEcPointFormats, encodeEcPointFormats } from '../../src/handshake/extensions/ec-point-formats.js';
import {
  decodeExtendedMasterSecret,
  encodeExtendedMasterSecret,
} from '../../src/handshake/extensions/extended-master-secret.js';
import { decodeConnectionId, encodeConnectionId } from '../../src/handshake/extensions/connection-id.js';
import { decodeExtensionBlock, encodeExtensionBlock } from '../../src/handshake/extensions/extension.js';
import { decodeRenegotiationInfo, encodeRenegotiationInfo } from '../../src/handshake/extensions/renegotiation-info.js';
import { decodeServerName, encodeServerName } from '../../src/handshake/extensions/server-name.js';
import { decodeSignatureAlgorithms, encodeSignatureAlgorithms } from '../../src/handshake/extensions/signature-algorithms.js';
import { decodeSupportedGroups, encodeSupportedGroups } from '../../src/handshake/extensions/supported-groups.js';
import { decodeHandshakeFragments, encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { decodeCertificateRequest, encodeCertificateRequest } from '../../src/handshake/messages/certificate-request.js';
import { decodeCertificateVerify, encodeCertificateVerify } from '../../src/handshake/messages/certificate-verify.js';
import { decodeCertificate, encodeCertificate } from '../../src/handshake/messages/certificate.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import {
  decodeEcdheClientKeyExchange,
  decodeEcdhePskClientKeyExchange,
  decodePskClientKeyExchange,
  encodeEcdheClientKeyExchange,
  encodeEcdhePskClientKeyExchange,
  encodePskClientKeyExchange,
} from '../../src/handshake/messages/client-key-exchange.js';
import { decodeFinished, encodeFinished } from '../../src/handshake/messages/finished.js';
import { decodeHelloVerifyRequest, encodeHelloVerifyRequest } from '../../src/handshake/messages/hello-verify-request.js';
import { decodeServerHelloDone, encodeServerHelloDone } from '../../src/handshake/messages/server-hello-done.js';
import { decodeServerHello, encodeServerHello } from '../../src/handshake/messages/server-hello.js';
import {
  decodeEcdheParams,
  decodeEcdhePskServerKeyExchange,
  decodeEcdheServerKeyExchange,
  decodePskServerKeyExchange,
  encodeEcdheParams,
  encodeEcdhePskServerKeyExchange,
  encodeEcdheServerKeyExchange,
  encodePskServerKeyExchange,
} from '../../src/handshake/messages/server-key-exchange.js';
import { HandshakeReassembler } from '../../src/handshake/common/reassembler.js';
import * as arb from './arbitraries.js';
import { loadCapture } from './openssl-fixture.js';

const RUNS = { numRuns: 300 };

function roundTrip<T>(name: string, value: fc.Arbitrary<T>, encode: (v: T) => Uint8Array, decode: (b: Uint8Array) => T): void {
  it(`${name}: decode(encode(x)) = x, and encode is stable`, () => {
    fc.assert(
      fc.property(value, (v) => {
        const wire = encode(v);
        const back = decode(wire);
        expect(back).toEqual(v);
        expect(encode(back)).toEqual(wire);
      }),
      RUNS,
    );
  });
}

/** Reads a structure that is not a whole body through a Reader, requiring every byte used. */
function whole<T>(read: (r: Reader) => T): (b: Uint8Array) => T {
  return (b) => {
    const r = new Reader(b);
    const v = read(r);
    r.end();
    return v;
  };
}

describe('handshake codecs round-trip (fast-check)', () => {
  roundTrip('handshake header', arb.fragment, encodeHandshakeFragment, (b) => {
    const [f, ...rest] = decodeHandshakeFragments(b);
    expect(rest).toEqual([]);
    if (f === undefined) throw new Error('no fragment');
    return f;
  });
  it('several fragments in one record payload', () => {
    fc.assert(
      fc.property(fc.array(arb.fragment, { minLength: 1, maxLength: 5 }), (fs) => {
        expect(decodeHandshakeFragments(concatBytes(...fs.map(encodeHandshakeFragment)))).toEqual(fs);
      }),
      RUNS,
    );
  });
  roundTrip('extension block', arb.extensionList, encodeExtensionBlock, whole(decodeExtensionBlock));
  roundTrip('supported_groups', fc.array(arb.u16, { minLength: 1, maxLength: 50 }), encodeSupportedGroups, decodeSupportedGroups);
  roundTrip('ec_point_formats', fc.array(arb.u8, { minLength: 1, maxLength: 20 }), encodeEcPointFormats, decodeEcPointFormats);
  roundTrip('signature_algorithms', fc.array(arb.u16, { minLength: 1, maxLength: 50 }), encodeSignatureAlgorithms, decodeSignatureAlgorithms);
  roundTrip('renegotiation_info', arb.bytes(0, 255), encodeRenegotiationInfo, decodeRenegotiationInfo);
  roundTrip('connection_id', arb.bytes(0, 255), encodeConnectionId, decodeConnectionId);
  roundTrip('extended_master_secret', fc.constant(undefined), () => encodeExtendedMasterSecret(), decodeExtendedMasterSecret);
  roundTrip('server_name', arb.hostName, encodeServerName, (b) => decodeServerName(b) ?? '');
  roundTrip('ALPN', arb.protocolNames, encodeAlpn, decodeAlpn);
  roundTrip('ClientHello', arb.clientHello, encodeClientHello, decodeClientHello);
  roundTrip('ServerHello', arb.serverHello, encodeServerHello, decodeServerHello);
  roundTrip('HelloVerifyRequest', arb.helloVerifyRequest, encodeHelloVerifyRequest, decodeHelloVerifyRequest);
  roundTrip('ServerECDHParams', arb.ecdheParams, encodeEcdheParams, whole(decodeEcdheParams));
  roundTrip('ServerKeyExchange(PSK)', fc.record({ identityHint: arb.bytes(0, 300) }), encodePskServerKeyExchange, decodePskServerKeyExchange);
  roundTrip(
    'ServerKeyExchange(ECDHE_PSK)',
    fc.record({ identityHint: arb.bytes(0, 300), params: arb.ecdheParams }),
    encodeEcdhePskServerKeyExchange,
    decodeEcdhePskServerKeyExchange,
  );
  roundTrip(
    'ServerKeyExchange(ECDHE)',
    fc.record({ params: arb.ecdheParams, signed: arb.digitallySigned }),
    encodeEcdheServerKeyExchange,
    decodeEcdheServerKeyExchange,
  );
  roundTrip('ClientKeyExchange(PSK)', fc.record({ identity: arb.bytes(0, 300) }), encodePskClientKeyExchange, decodePskClientKeyExchange);
  roundTrip('ClientKeyExchange(ECDHE)', fc.record({ publicKey: arb.bytes(1, 255) }), encodeEcdheClientKeyExchange, decodeEcdheClientKeyExchange);
  roundTrip(
    'ClientKeyExchange(ECDHE_PSK)',
    fc.record({ identity: arb.bytes(0, 300), publicKey: arb.bytes(1, 255) }),
    encodeEcdhePskClientKeyExchange,
    decodeEcdhePskClientKeyExchange,
  );
  roundTrip('Finished', fc.record({ verifyData: arb.bytes(0, 64) }), encodeFinished, decodeFinished);
  roundTrip('ServerHelloDone', fc.constant(undefined), () => encodeServerHelloDone(), decodeServerHelloDone);
  roundTrip('Certificate', arb.certificateMessage, encodeCertificate, decodeCertificate);
  roundTrip('CertificateRequest', arb.certificateRequest, encodeCertificateRequest, decodeCertificateRequest);
  roundTrip('CertificateVerify', arb.digitallySigned, encodeCertificateVerify, decodeCertificateVerify);
});

/** Every decoder, with a valid encoding to mutate (so the fuzzing reaches past the first field). */
const decoders: { name: string; decode: (b: Uint8Array) => unknown; sample: fc.Arbitrary<Uint8Array> }[] = [
  { name: 'handshake fragments', decode: decodeHandshakeFragments, sample: arb.fragment.map(encodeHandshakeFragment) },
  { name: 'extension block', decode: whole(decodeExtensionBlock), sample: arb.extensionList.map(encodeExtensionBlock) },
  { name: 'supported_groups', decode: decodeSupportedGroups, sample: fc.array(arb.u16, { minLength: 1, maxLength: 8 }).map(encodeSupportedGroups) },
  { name: 'ec_point_formats', decode: decodeEcPointFormats, sample: fc.array(arb.u8, { minLength: 1, maxLength: 8 }).map(encodeEcPointFormats) },
  { name: 'signature_algorithms', decode: decodeSignatureAlgorithms, sample: fc.array(arb.u16, { minLength: 1, maxLength: 8 }).map(encodeSignatureAlgorithms) },
  { name: 'renegotiation_info', decode: decodeRenegotiationInfo, sample: arb.bytes(0, 40).map(encodeRenegotiationInfo) },
  { name: 'connection_id', decode: decodeConnectionId, sample: arb.bytes(0, 40).map(encodeConnectionId) },
  { name: 'extended_master_secret', decode: decodeExtendedMasterSecret, sample: fc.constant(encodeExtendedMasterSecret()) },
  { name: 'server_name', decode: decodeServerName, sample: arb.hostName.map(encodeServerName) },
  { name: 'ALPN', decode: decodeAlpn, sample: arb.protocolNames.map(encodeAlpn) },
  { name: 'ClientHello', decode: decodeClientHello, sample: arb.clientHello.map(encodeClientHello) },
  { name: 'ServerHello', decode: decodeServerHello, sample: arb.serverHello.map(encodeServerHello) },
  { name: 'HelloVerifyRequest', decode: decodeHelloVerifyRequest, sample: arb.helloVerifyRequest.map(encodeHelloVerifyRequest) },
  { name: 'ServerECDHParams', decode: whole(decodeEcdheParams), sample: arb.ecdheParams.map(encodeEcdheParams) },
  { name: 'ServerKeyExchange(PSK)', decode: decodePskServerKeyExchange, sample: arb.bytes(0, 40).map((identityHint) => encodePskServerKeyExchange({ identityHint })) },
  {
    name: 'ServerKeyExchange(ECDHE_PSK)',
    decode: decodeEcdhePskServerKeyExchange,
    sample: fc.record({ identityHint: arb.bytes(0, 40), params: arb.ecdheParams }).map(encodeEcdhePskServerKeyExchange),
  },
  {
    name: 'ServerKeyExchange(ECDHE)',
    decode: decodeEcdheServerKeyExchange,
    sample: fc.record({ params: arb.ecdheParams, signed: arb.digitallySigned }).map(encodeEcdheServerKeyExchange),
  },
  { name: 'ClientKeyExchange(PSK)', decode: decodePskClientKeyExchange, sample: arb.bytes(0, 40).map((identity) => encodePskClientKeyExchange({ identity })) },
  { name: 'ClientKeyExchange(ECDHE)', decode: decodeEcdheClientKeyExchange, sample: arb.bytes(1, 80).map((publicKey) => encodeEcdheClientKeyExchange({ publicKey })) },
  {
    name: 'ClientKeyExchange(ECDHE_PSK)',
    decode: decodeEcdhePskClientKeyExchange,
    sample: fc.record({ identity: arb.bytes(0, 40), publicKey: arb.bytes(1, 80) }).map(encodeEcdhePskClientKeyExchange),
  },
  { name: 'Finished', decode: decodeFinished, sample: arb.bytes(0, 20) },
  { name: 'ServerHelloDone', decode: decodeServerHelloDone, sample: fc.constant(encodeServerHelloDone()) },
  { name: 'Certificate', decode: decodeCertificate, sample: arb.certificateMessage.map(encodeCertificate) },
  { name: 'CertificateRequest', decode: decodeCertificateRequest, sample: arb.certificateRequest.map(encodeCertificateRequest) },
  { name: 'CertificateVerify', decode: decodeCertificateVerify, sample: arb.digitallySigned.map(encodeCertificateVerify) },
  {
    name: 'reassembler',
    decode: (b) => {
      const r = new HandshakeReassembler({ maxMessageLength: 4096, maxBufferedBytes: 8192, window: 2 });
      for (const f of decodeHandshakeFragments(b)) r.add(f);
      while (r.poll() !== undefined);
    },
    sample: fc.array(arb.fragment, { minLength: 1, maxLength: 4 }).map((fs) => concatBytes(...fs.map(encodeHandshakeFragment))),
  },
];

/** Flips, overwrites, truncates and extends valid bytes. */
const mutated = (sample: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(sample, fc.array(fc.tuple(fc.nat(), arb.u8), { maxLength: 4 }), fc.nat(), arb.bytes(0, 8), fc.boolean())
    .map(([b, edits, cut, tail, truncate]) => {
      const out = b.slice();
      for (const [at, value] of edits) if (out.length > 0) out[at % out.length] = value;
      return truncate ? out.subarray(0, cut % (out.length + 1)) : concatBytes(out, tail);
    });

function onlyDtlsErrors(decode: (b: Uint8Array) => unknown, b: Uint8Array): void {
  try {
    decode(b);
  } catch (e) {
    if (!(e instanceof DtlsError)) throw new Error(`threw ${String(e)} for input ${Buffer.from(b).toString('hex')}`);
  }
}

describe('decoders given hostile bytes throw only DtlsError subclasses', () => {
  for (const { name, decode, sample } of decoders) {
    it(name, () => {
      fc.assert(fc.property(arb.bytes(0, 300), (b) => onlyDtlsErrors(decode, b)), RUNS);
      fc.assert(fc.property(mutated(sample), (b) => onlyDtlsErrors(decode, b)), RUNS);
    });
  }

  it('every decoder, fed every captured OpenSSL handshake body mutated', () => {
    const bodies: Uint8Array[] = [];
    for (const file of ['openssl-psk.json', 'openssl-ecdhe-psk.json', 'openssl-ecdsa-mtu400.json']) {
      for (const rec of loadCapture(file)) {
        if (rec.contentType !== 22 || rec.epoch !== 0) continue;
        for (const f of decodeHandshakeFragments(rec.payload)) bodies.push(f.body);
      }
    }
    fc.assert(
      fc.property(mutated(fc.constantFrom(...bodies)), (b) => {
        for (const { decode } of decoders) onlyDtlsErrors(decode, b);
      }),
      RUNS,
    );
  });
});
