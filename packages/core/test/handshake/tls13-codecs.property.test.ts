import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/bytes.js';
import { DtlsError } from '../../src/errors.js';
import { decodeCertificateAuthorities, encodeCertificateAuthorities } from '../../src/handshake/extensions/certificate-authorities.js';
import { decodeCookie, encodeCookie } from '../../src/handshake/extensions/cookie.js';
import { decodeEarlyDataIndication, decodeEarlyDataTicket, encodeEarlyDataTicket } from '../../src/handshake/extensions/early-data.js';
import { extensionPermissionError } from '../../src/handshake/extensions/extension-permissions.js';
import type { ExtensionMessage } from '../../src/handshake/extensions/extension-permissions.js';
import {
  decodeKeyShareClientHello,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
  encodeKeyShareClientHello,
  encodeKeyShareHelloRetryRequest,
  encodeKeyShareServerHello,
} from '../../src/handshake/extensions/key-share.js';
import type { KeyShareEntry } from '../../src/handshake/extensions/key-share.js';
import { decodePostHandshakeAuth } from '../../src/handshake/extensions/post-handshake-auth.js';
import {
  decodeOfferedPsks,
  decodePreSharedKeyServerHello,
  encodeOfferedPsks,
  encodePreSharedKeyServerHello,
} from '../../src/handshake/extensions/pre-shared-key.js';
import type { OfferedPsks } from '../../src/handshake/extensions/pre-shared-key.js';
import { decodePskKeyExchangeModes, encodePskKeyExchangeModes } from '../../src/handshake/extensions/psk-key-exchange-modes.js';
import { decodeSignatureAlgorithmsCert, encodeSignatureAlgorithmsCert } from '../../src/handshake/extensions/signature-algorithms-cert.js';
import {
  decodeSupportedVersionsClientHello,
  decodeSupportedVersionsServerHello,
  encodeSupportedVersionsClientHello,
  encodeSupportedVersionsServerHello,
} from '../../src/handshake/extensions/supported-versions.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { decodeCertificate13, encodeCertificate13 } from '../../src/handshake/messages/certificate-13.js';
import type { CertificateMessage13 } from '../../src/handshake/messages/certificate-13.js';
import { decodeCertificateRequest13, encodeCertificateRequest13 } from '../../src/handshake/messages/certificate-request-13.js';
import type { CertificateRequest13 } from '../../src/handshake/messages/certificate-request-13.js';
import { decodeCertificateVerify13, encodeCertificateVerify13 } from '../../src/handshake/messages/certificate-verify-13.js';
import { encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { dtls13ClientHello } from '../../src/handshake/messages/client-hello-13.js';
import { decodeEncryptedExtensions, encodeEncryptedExtensions } from '../../src/handshake/messages/encrypted-extensions.js';
import { decodeEndOfEarlyData } from '../../src/handshake/messages/end-of-early-data.js';
import { decodeFinished13 } from '../../src/handshake/messages/finished-13.js';
import { decodeKeyUpdate, encodeKeyUpdate, KeyUpdateRequest } from '../../src/handshake/messages/key-update.js';
import { ConnectionIdUsage, decodeNewConnectionId, encodeNewConnectionId } from '../../src/handshake/messages/new-connection-id.js';
import type { NewConnectionId } from '../../src/handshake/messages/new-connection-id.js';
import { decodeNewSessionTicket13, encodeNewSessionTicket13, MAX_TICKET_LIFETIME } from '../../src/handshake/messages/new-session-ticket-13.js';
import type { NewSessionTicket13 } from '../../src/handshake/messages/new-session-ticket-13.js';
import { truncateClientHelloBinders } from '../../src/handshake/messages/partial-client-hello.js';
import { decodeRequestConnectionId, encodeRequestConnectionId } from '../../src/handshake/messages/request-connection-id.js';
import * as arb from './arbitraries.js';

/*
 * The 1.3 codecs under fast-check: decode(encode(x)) = x within each field's RFC bounds, and
 * random or mutated bytes give only DtlsError (never a RangeError, a TypeError or a hang).
 */

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

const keyShare: fc.Arbitrary<KeyShareEntry> = fc.record({ group: arb.u16, keyExchange: arb.bytes(1, 100) });
const keyShares = fc.uniqueArray(keyShare, { selector: (s) => s.group, maxLength: 4 });
const offeredPsks: fc.Arbitrary<OfferedPsks> = fc.integer({ min: 1, max: 4 }).chain((n) =>
  fc.record({
    identities: fc.array(fc.record({ identity: arb.bytes(1, 60), obfuscatedTicketAge: fc.nat({ max: 0xffffffff }) }), { minLength: n, maxLength: n }),
    binders: fc.array(arb.bytes(32, 48), { minLength: n, maxLength: n }),
  }),
);
const certificate13: fc.Arbitrary<CertificateMessage13> = fc.record({
  context: arb.bytes(0, 8),
  entries: fc.array(fc.record({ data: arb.bytes(1, 200), extensions: arb.extensionList }), { maxLength: 4 }),
});
const certificateRequest13: fc.Arbitrary<CertificateRequest13> = fc.record({
  context: arb.bytes(0, 8),
  extensions: arb.extensionList.map((list) => [
    { type: ExtensionType.signature_algorithms, data: Uint8Array.of(0, 2, 4, 3) },
    ...list.filter((e) => e.type !== ExtensionType.signature_algorithms),
  ]),
});
const ticket13: fc.Arbitrary<NewSessionTicket13> = fc.record({
  lifetime: fc.nat({ max: MAX_TICKET_LIFETIME }),
  ageAdd: fc.nat({ max: 0xffffffff }),
  nonce: arb.bytes(0, 255),
  ticket: arb.bytes(1, 300),
  extensions: arb.extensionList,
});
const newConnectionId: fc.Arbitrary<NewConnectionId> = fc.record({
  cids: fc.array(arb.bytes(1, 20), { minLength: 1, maxLength: 6 }),
  usage: fc.constantFrom(ConnectionIdUsage.cid_immediate, ConnectionIdUsage.cid_spare),
});
/** A DTLS 1.3 ClientHello with pre_shared_key last (random other extensions before it). */
const pskClientHello = fc
  .tuple(arb.extensionList, offeredPsks)
  .map(([others, psks]) =>
    encodeClientHello(
      dtls13ClientHello({
        random: new Uint8Array(32),
        cipherSuites: [0x1301],
        extensions: [...others.filter((e) => e.type !== ExtensionType.pre_shared_key), { type: ExtensionType.pre_shared_key, data: encodeOfferedPsks(psks) }],
      }),
    ),
  );

describe('DTLS 1.3 codecs round-trip (fast-check)', () => {
  roundTrip('supported_versions (ClientHello)', fc.array(arb.u16, { minLength: 1, maxLength: 127 }), encodeSupportedVersionsClientHello, decodeSupportedVersionsClientHello);
  roundTrip('supported_versions (ServerHello)', arb.u16, encodeSupportedVersionsServerHello, decodeSupportedVersionsServerHello);
  roundTrip('key_share (ClientHello)', keyShares, encodeKeyShareClientHello, decodeKeyShareClientHello);
  roundTrip('key_share (ServerHello)', keyShare, encodeKeyShareServerHello, decodeKeyShareServerHello);
  roundTrip('key_share (HelloRetryRequest)', arb.u16, encodeKeyShareHelloRetryRequest, decodeKeyShareHelloRetryRequest);
  roundTrip('pre_shared_key (ClientHello)', offeredPsks, encodeOfferedPsks, decodeOfferedPsks);
  roundTrip('pre_shared_key (ServerHello)', arb.u16, encodePreSharedKeyServerHello, decodePreSharedKeyServerHello);
  roundTrip('psk_key_exchange_modes', fc.array(arb.u8, { minLength: 1, maxLength: 255 }), encodePskKeyExchangeModes, decodePskKeyExchangeModes);
  roundTrip('cookie', arb.bytes(1, 400), encodeCookie, decodeCookie);
  roundTrip('signature_algorithms_cert', fc.array(arb.u16, { minLength: 1, maxLength: 50 }), encodeSignatureAlgorithmsCert, decodeSignatureAlgorithmsCert);
  roundTrip('certificate_authorities', fc.array(arb.bytes(1, 60), { minLength: 1, maxLength: 5 }), encodeCertificateAuthorities, decodeCertificateAuthorities);
  roundTrip('early_data (NewSessionTicket)', fc.nat({ max: 0xffffffff }), encodeEarlyDataTicket, decodeEarlyDataTicket);
  roundTrip('EncryptedExtensions', arb.extensionList.map((extensions) => ({ extensions })), encodeEncryptedExtensions, decodeEncryptedExtensions);
  roundTrip('CertificateRequest (1.3)', certificateRequest13, encodeCertificateRequest13, decodeCertificateRequest13);
  roundTrip('Certificate (1.3)', certificate13, encodeCertificate13, (b) => decodeCertificate13(b));
  roundTrip('CertificateVerify (1.3)', arb.digitallySigned, encodeCertificateVerify13, decodeCertificateVerify13);
  roundTrip('NewSessionTicket (1.3)', ticket13, encodeNewSessionTicket13, decodeNewSessionTicket13);
  roundTrip('KeyUpdate', fc.constantFrom(KeyUpdateRequest.update_not_requested, KeyUpdateRequest.update_requested), encodeKeyUpdate, decodeKeyUpdate);
  roundTrip('NewConnectionId', newConnectionId, encodeNewConnectionId, decodeNewConnectionId);
  roundTrip('RequestConnectionId', arb.u8, encodeRequestConnectionId, decodeRequestConnectionId);
  it('the binder truncation removes exactly the binders list', () => {
    fc.assert(
      fc.property(pskClientHello, (wire) => {
        const cut = truncateClientHelloBinders(wire);
        expect(wire.subarray(0, cut.length)).toEqual(cut);
        const binders = wire.subarray(cut.length);
        expect(((binders[0] ?? 0) << 8) | (binders[1] ?? 0)).toBe(binders.length - 2);
      }),
      RUNS,
    );
  });
});

const decoders: { name: string; decode: (b: Uint8Array) => unknown; sample: fc.Arbitrary<Uint8Array> }[] = [
  { name: 'supported_versions (CH)', decode: decodeSupportedVersionsClientHello, sample: fc.array(arb.u16, { minLength: 1, maxLength: 6 }).map(encodeSupportedVersionsClientHello) },
  { name: 'supported_versions (SH)', decode: decodeSupportedVersionsServerHello, sample: arb.u16.map(encodeSupportedVersionsServerHello) },
  { name: 'key_share (CH)', decode: decodeKeyShareClientHello, sample: keyShares.map(encodeKeyShareClientHello) },
  { name: 'key_share (SH)', decode: decodeKeyShareServerHello, sample: keyShare.map(encodeKeyShareServerHello) },
  { name: 'key_share (HRR)', decode: decodeKeyShareHelloRetryRequest, sample: arb.u16.map(encodeKeyShareHelloRetryRequest) },
  { name: 'pre_shared_key (CH)', decode: decodeOfferedPsks, sample: offeredPsks.map(encodeOfferedPsks) },
  { name: 'pre_shared_key (SH)', decode: decodePreSharedKeyServerHello, sample: arb.u16.map(encodePreSharedKeyServerHello) },
  { name: 'psk_key_exchange_modes', decode: decodePskKeyExchangeModes, sample: fc.array(arb.u8, { minLength: 1, maxLength: 4 }).map(encodePskKeyExchangeModes) },
  { name: 'cookie', decode: decodeCookie, sample: arb.bytes(1, 40).map(encodeCookie) },
  { name: 'signature_algorithms_cert', decode: decodeSignatureAlgorithmsCert, sample: fc.array(arb.u16, { minLength: 1, maxLength: 8 }).map(encodeSignatureAlgorithmsCert) },
  { name: 'certificate_authorities', decode: decodeCertificateAuthorities, sample: fc.array(arb.bytes(1, 20), { minLength: 1, maxLength: 3 }).map(encodeCertificateAuthorities) },
  { name: 'early_data (CH, EE)', decode: decodeEarlyDataIndication, sample: fc.constant(new Uint8Array(0)) },
  { name: 'early_data (NST)', decode: decodeEarlyDataTicket, sample: fc.nat({ max: 0xffffffff }).map(encodeEarlyDataTicket) },
  { name: 'post_handshake_auth', decode: decodePostHandshakeAuth, sample: fc.constant(new Uint8Array(0)) },
  { name: 'EncryptedExtensions', decode: decodeEncryptedExtensions, sample: arb.extensionList.map((extensions) => encodeEncryptedExtensions({ extensions })) },
  { name: 'CertificateRequest (1.3)', decode: decodeCertificateRequest13, sample: certificateRequest13.map(encodeCertificateRequest13) },
  { name: 'Certificate (1.3)', decode: (b) => decodeCertificate13(b), sample: certificate13.map(encodeCertificate13) },
  { name: 'Certificate (1.3, raw public key)', decode: (b) => decodeCertificate13(b, { rawPublicKey: true }), sample: certificate13.map(encodeCertificate13) },
  { name: 'CertificateVerify (1.3)', decode: decodeCertificateVerify13, sample: arb.digitallySigned.map(encodeCertificateVerify13) },
  { name: 'Finished (1.3)', decode: (b) => decodeFinished13(b, 32), sample: arb.bytes(32, 32) },
  { name: 'NewSessionTicket (1.3)', decode: decodeNewSessionTicket13, sample: ticket13.map(encodeNewSessionTicket13) },
  { name: 'EndOfEarlyData', decode: decodeEndOfEarlyData, sample: fc.constant(new Uint8Array(0)) },
  { name: 'KeyUpdate', decode: decodeKeyUpdate, sample: fc.constantFrom(Uint8Array.of(0), Uint8Array.of(1)) },
  { name: 'NewConnectionId', decode: decodeNewConnectionId, sample: newConnectionId.map(encodeNewConnectionId) },
  { name: 'RequestConnectionId', decode: decodeRequestConnectionId, sample: arb.u8.map(encodeRequestConnectionId) },
  { name: 'binder truncation', decode: truncateClientHelloBinders, sample: pskClientHello },
];

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

describe('DTLS 1.3 decoders given hostile bytes throw only DtlsError subclasses', () => {
  for (const { name, decode, sample } of decoders) {
    it(name, () => {
      fc.assert(fc.property(arb.bytes(0, 300), (b) => onlyDtlsErrors(decode, b)), RUNS);
      fc.assert(fc.property(mutated(sample), (b) => onlyDtlsErrors(decode, b)), RUNS);
    });
  }
  it('the extension table answers every list with undefined or a DtlsError, never throws', () => {
    const messages: ExtensionMessage[] = ['CH', 'SH', 'HRR', 'EE', 'CT', 'CR', 'NST'];
    fc.assert(
      fc.property(fc.constantFrom(...messages), arb.extensionList, fc.array(arb.u16, { maxLength: 8 }), (message, list, requested) => {
        const err = extensionPermissionError(message, list, requested);
        expect(err === undefined || err instanceof DtlsError).toBe(true);
      }),
      RUNS,
    );
  });
});
