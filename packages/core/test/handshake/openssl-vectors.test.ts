import { X509Certificate, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/bytes.js';
import { decodeAlpn, encodeAlpn } from '../../src/handshake/extensions/alpn.js';
import { decodeEcPointFormats, EC_POINT_FORMAT_UNCOMPRESSED } from '../../src/handshake/extensions/ec-point-formats.js';
import { decodeExtendedMasterSecret } from '../../src/handshake/extensions/extended-master-secret.js';
import { findExtension } from '../../src/handshake/extensions/extension.js';
import type { Extension } from '../../src/handshake/extensions/extension.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { NamedGroup } from '../../src/handshake/extensions/named-group.js';
import { decodeRenegotiationInfo } from '../../src/handshake/extensions/renegotiation-info.js';
import { decodeServerName, encodeServerName } from '../../src/handshake/extensions/server-name.js';
import { decodeSignatureAlgorithms, encodeSignatureAlgorithms } from '../../src/handshake/extensions/signature-algorithms.js';
import { SignatureScheme } from '../../src/handshake/extensions/signature-scheme.js';
import { decodeSupportedGroups, encodeSupportedGroups } from '../../src/handshake/extensions/supported-groups.js';
import { decodeHandshakeFragments, encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import type { HandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeCertificate, encodeCertificate } from '../../src/handshake/messages/certificate.js';
import { ClientCertificateType, decodeCertificateRequest, encodeCertificateRequest } from '../../src/handshake/messages/certificate-request.js';
import { decodeCertificateVerify, encodeCertificateVerify } from '../../src/handshake/messages/certificate-verify.js';
import { decodeClientHello, encodeClientHello } from '../../src/handshake/messages/client-hello.js';
import type { ClientHello } from '../../src/handshake/messages/client-hello.js';
import {
  decodeEcdheClientKeyExchange,
  decodeEcdhePskClientKeyExchange,
  decodePskClientKeyExchange,
  encodeEcdheClientKeyExchange,
  encodeEcdhePskClientKeyExchange,
  encodePskClientKeyExchange,
} from '../../src/handshake/messages/client-key-exchange.js';
import { decodeHelloVerifyRequest, encodeHelloVerifyRequest } from '../../src/handshake/messages/hello-verify-request.js';
import { decodeServerHello, encodeServerHello } from '../../src/handshake/messages/server-hello.js';
import type { ServerHello } from '../../src/handshake/messages/server-hello.js';
import { decodeServerHelloDone } from '../../src/handshake/messages/server-hello-done.js';
import {
  decodeEcdhePskServerKeyExchange,
  decodeEcdheServerKeyExchange,
  ecdheParamsBytes,
  encodeEcdhePskServerKeyExchange,
  encodeEcdheServerKeyExchange,
} from '../../src/handshake/messages/server-key-exchange.js';
import { DTLS_1_0, DTLS_1_2 } from '../../src/handshake/protocol-version.js';
import { HandshakeReassembler } from '../../src/handshake/common/reassembler.js';
import type { ReassembledMessage } from '../../src/handshake/common/reassembler.js';
import { loadCapture, plaintextHandshakeRecords } from './openssl-fixture.js';

/** Every fragment of the plaintext handshake records one side sent, with the record payload re-encoded from them. */
function fragmentsOf(file: string, dir: 'c2s' | 's2c'): HandshakeFragment[] {
  const out: HandshakeFragment[] = [];
  for (const record of plaintextHandshakeRecords(loadCapture(file), dir)) {
    const fragments = decodeHandshakeFragments(record.payload);
    // Re-encoding the fragments gives the record payload back, byte for byte.
    expect(toHex(concatBytes(...fragments.map(encodeHandshakeFragment)))).toBe(toHex(record.payload));
    out.push(...fragments);
  }
  return out;
}

/** Reassembles one side's messages in order; the first flight (ClientHello / HelloVerifyRequest) is message_seq 0. */
function messagesOf(file: string, dir: 'c2s' | 's2c'): ReassembledMessage[] {
  const r = new HandshakeReassembler();
  const out: ReassembledMessage[] = [];
  for (const f of fragmentsOf(file, dir)) {
    expect(r.add(f)).toBe('accepted');
    for (let m = r.poll(); m !== undefined; m = r.poll()) out.push(m);
  }
  return out;
}

function body(messages: ReassembledMessage[], seq: number, type: HandshakeType): Uint8Array {
  const m = messages.find((x) => x.messageSeq === seq);
  if (m === undefined) throw new Error(`no message ${seq}`);
  expect(m.msgType).toBe(type);
  return m.body;
}

function ext(list: Extension[], type: ExtensionType): Uint8Array {
  const e = findExtension(list, type);
  if (e === undefined) throw new Error(`no extension ${ExtensionType[type]}`);
  return e.data;
}

/** The handshake message as RFC 6347 4.2.6 puts it in the transcript: with a header, unfragmented. */
function transcriptEntry(m: ReassembledMessage): Uint8Array {
  return encodeHandshakeFragment({
    msgType: m.msgType,
    length: m.body.length,
    messageSeq: m.messageSeq,
    fragmentOffset: 0,
    body: m.body,
  });
}

describe('OpenSSL 3.0 PSK capture (PSK-AES128-GCM-SHA256, cookie exchange)', () => {
  const file = 'openssl-psk.json';
  const client = messagesOf(file, 'c2s');
  const server = messagesOf(file, 's2c');

  it('decodes both ClientHellos, the second echoing the HelloVerifyRequest cookie', () => {
    const ch1Body = body(client, 0, HandshakeType.client_hello);
    const ch2Body = body(client, 1, HandshakeType.client_hello);
    const hvrBody = body(server, 0, HandshakeType.hello_verify_request);
    const ch1 = decodeClientHello(ch1Body);
    const ch2 = decodeClientHello(ch2Body);
    const hvr = decodeHelloVerifyRequest(hvrBody);

    expect(hvr.serverVersion).toBe(DTLS_1_0); // RFC 6347 4.2.1
    expect(hvr.cookie.length).toBe(20);
    expect(toHex(encodeHelloVerifyRequest(hvr))).toBe(toHex(hvrBody));

    for (const ch of [ch1, ch2]) {
      expect(ch.clientVersion).toBe(DTLS_1_2);
      expect(ch.random.length).toBe(32);
      expect(ch.sessionId.length).toBe(0);
      // TLS_PSK_WITH_AES_128_GCM_SHA256 and the RFC 5746 SCSV.
      expect(ch.cipherSuites).toEqual([0x00a8, 0x00ff]);
      expect(ch.compressionMethods).toEqual([0]);
      expect(ch.extensions.map((e) => e.type)).toContain(ExtensionType.extended_master_secret);
      decodeExtendedMasterSecret(ext(ch.extensions, ExtensionType.extended_master_secret));
      expect(decodeSignatureAlgorithms(ext(ch.extensions, ExtensionType.signature_algorithms))).toContain(
        SignatureScheme.ecdsa_secp256r1_sha256,
      );
    }
    expect(ch1.cookie.length).toBe(0);
    expect(toHex(ch2.cookie)).toBe(toHex(hvr.cookie));
    expect(toHex(ch2.random)).toBe(toHex(ch1.random)); // RFC 6347 4.2.1: same random
    expect(toHex(encodeClientHello(ch1))).toBe(toHex(ch1Body));
    expect(toHex(encodeClientHello(ch2))).toBe(toHex(ch2Body));
  });

  it('decodes the ServerHello, ServerHelloDone and the PSK ClientKeyExchange', () => {
    const shBody = body(server, 1, HandshakeType.server_hello);
    const sh = decodeServerHello(shBody);
    expect(sh.serverVersion).toBe(DTLS_1_2);
    expect(sh.cipherSuite).toBe(0x00a8);
    expect(sh.compressionMethod).toBe(0);
    expect(decodeRenegotiationInfo(ext(sh.extensions, ExtensionType.renegotiation_info)).length).toBe(0);
    decodeExtendedMasterSecret(ext(sh.extensions, ExtensionType.extended_master_secret));
    expect(toHex(encodeServerHello(sh))).toBe(toHex(shBody));

    decodeServerHelloDone(body(server, 2, HandshakeType.server_hello_done));

    const ckeBody = body(client, 2, HandshakeType.client_key_exchange);
    const cke = decodePskClientKeyExchange(ckeBody);
    expect(new TextDecoder().decode(cke.identity)).toBe('Client_identity');
    expect(toHex(encodePskClientKeyExchange(cke))).toBe(toHex(ckeBody));
  });
});

describe('OpenSSL 3.0 ECDHE-PSK capture (ECDHE-PSK-CHACHA20-POLY1305, hint "hint")', () => {
  const file = 'openssl-ecdhe-psk.json';
  const client = messagesOf(file, 'c2s');
  const server = messagesOf(file, 's2c');

  it('decodes the ECDHE_PSK ServerKeyExchange and ClientKeyExchange', () => {
    const sh = decodeServerHello(body(server, 1, HandshakeType.server_hello));
    expect(sh.cipherSuite).toBe(0xccac); // TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 (RFC 7905)

    const skeBody = body(server, 2, HandshakeType.server_key_exchange);
    const ske = decodeEcdhePskServerKeyExchange(skeBody);
    expect(new TextDecoder().decode(ske.identityHint)).toBe('hint');
    expect(ske.params.namedGroup).toBe(NamedGroup.x25519);
    expect(ske.params.publicKey.length).toBe(32);
    expect(toHex(encodeEcdhePskServerKeyExchange(ske))).toBe(toHex(skeBody));

    decodeServerHelloDone(body(server, 3, HandshakeType.server_hello_done));

    const ckeBody = body(client, 2, HandshakeType.client_key_exchange);
    const cke = decodeEcdhePskClientKeyExchange(ckeBody);
    expect(new TextDecoder().decode(cke.identity)).toBe('Client_identity');
    expect(cke.publicKey.length).toBe(32);
    expect(toHex(encodeEcdhePskClientKeyExchange(cke))).toBe(toHex(ckeBody));

    const ch = decodeClientHello(body(client, 1, HandshakeType.client_hello));
    expect(decodeSupportedGroups(ext(ch.extensions, ExtensionType.supported_groups))).toContain(NamedGroup.x25519);
    expect(decodeEcPointFormats(ext(ch.extensions, ExtensionType.ec_point_formats))).toContain(
      EC_POINT_FORMAT_UNCOMPRESSED,
    );
  });
});

describe('OpenSSL 3.0 ECDHE-ECDSA capture (client certificate, SNI, ALPN, MTU 400)', () => {
  const file = 'openssl-ecdsa-mtu400.json';
  const client = messagesOf(file, 'c2s');
  const server = messagesOf(file, 's2c');
  const ch: ClientHello = decodeClientHello(body(client, 1, HandshakeType.client_hello));
  const sh: ServerHello = decodeServerHello(body(server, 1, HandshakeType.server_hello));

  it('has Certificate messages split over two records on both sides', () => {
    const certFragments = (dir: 'c2s' | 's2c'): number =>
      fragmentsOf(file, dir).filter((f) => f.msgType === HandshakeType.certificate).length;
    expect(certFragments('s2c')).toBe(2);
    expect(certFragments('c2s')).toBe(2);
  });

  it('decodes the hellos with server_name, ALPN, supported_groups and their re-encoding', () => {
    expect(decodeServerName(ext(ch.extensions, ExtensionType.server_name))).toBe('localhost');
    expect(toHex(encodeServerName('localhost'))).toBe(toHex(ext(ch.extensions, ExtensionType.server_name)));
    expect(decodeAlpn(ext(ch.extensions, ExtensionType.application_layer_protocol_negotiation))).toEqual(['coap', 'h2']);
    expect(toHex(encodeAlpn(['coap', 'h2']))).toBe(
      toHex(ext(ch.extensions, ExtensionType.application_layer_protocol_negotiation)),
    );
    const groups = decodeSupportedGroups(ext(ch.extensions, ExtensionType.supported_groups));
    expect(groups).toEqual(expect.arrayContaining([NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]));
    expect(toHex(encodeSupportedGroups(groups))).toBe(toHex(ext(ch.extensions, ExtensionType.supported_groups)));
    const schemes = decodeSignatureAlgorithms(ext(ch.extensions, ExtensionType.signature_algorithms));
    expect(toHex(encodeSignatureAlgorithms(schemes))).toBe(toHex(ext(ch.extensions, ExtensionType.signature_algorithms)));

    expect(sh.cipherSuite).toBe(0xc02b); // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    expect(decodeAlpn(ext(sh.extensions, ExtensionType.application_layer_protocol_negotiation))).toEqual(['coap']);
    expect(toHex(encodeServerHello(sh))).toBe(toHex(body(server, 1, HandshakeType.server_hello)));
    expect(toHex(encodeClientHello(ch))).toBe(toHex(body(client, 1, HandshakeType.client_hello)));
  });

  it('decodes the server Certificate and verifies the ServerKeyExchange signature with it', () => {
    const certBody = body(server, 2, HandshakeType.certificate);
    const cert = decodeCertificate(certBody);
    expect(cert.certificates.length).toBe(1);
    expect(toHex(encodeCertificate(cert))).toBe(toHex(certBody));
    const [der] = cert.certificates;
    if (der === undefined) throw new Error('no certificate');
    const x509 = new X509Certificate(der);
    expect(x509.subject).toContain('CN=test-ca');

    const skeBody = body(server, 3, HandshakeType.server_key_exchange);
    const ske = decodeEcdheServerKeyExchange(skeBody);
    expect(ske.params.namedGroup).toBe(NamedGroup.x25519);
    expect(ske.signed.scheme).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(toHex(encodeEcdheServerKeyExchange(ske))).toBe(toHex(skeBody));
    // RFC 8422 5.4: the signature covers client_random + server_random + ServerECDHParams.
    const signed = concatBytes(ch.random, sh.random, ecdheParamsBytes(ske.params));
    expect(verify('sha256', signed, x509.publicKey, ske.signed.signature)).toBe(true);
  });

  it('decodes the CertificateRequest and ServerHelloDone', () => {
    const crBody = body(server, 4, HandshakeType.certificate_request);
    const cr = decodeCertificateRequest(crBody);
    expect(cr.certificateTypes).toEqual(
      expect.arrayContaining([ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign]),
    );
    expect(cr.signatureSchemes).toContain(SignatureScheme.ecdsa_secp256r1_sha256);
    // -CAfile ca.crt: the one authority is the CA's subject name (DER).
    expect(cr.authorities.length).toBe(1);
    expect(toHex(encodeCertificateRequest(cr))).toBe(toHex(crBody));
    decodeServerHelloDone(body(server, 5, HandshakeType.server_hello_done));
  });

  it('decodes the client flight and verifies its CertificateVerify over the transcript', () => {
    const certBody = body(client, 2, HandshakeType.certificate);
    const cert = decodeCertificate(certBody);
    expect(toHex(encodeCertificate(cert))).toBe(toHex(certBody));
    const [der] = cert.certificates;
    if (der === undefined) throw new Error('no client certificate');

    const ckeBody = body(client, 3, HandshakeType.client_key_exchange);
    const cke = decodeEcdheClientKeyExchange(ckeBody);
    expect(cke.publicKey.length).toBe(32);
    expect(toHex(encodeEcdheClientKeyExchange(cke))).toBe(toHex(ckeBody));

    const cvBody = body(client, 4, HandshakeType.certificate_verify);
    const cv = decodeCertificateVerify(cvBody);
    expect(toHex(encodeCertificateVerify(cv))).toBe(toHex(cvBody));

    // RFC 6347 4.2.6: the transcript starts at the ClientHello with the cookie (the first
    // ClientHello and the HelloVerifyRequest are left out), messages unfragmented.
    const all = [...client, ...server]
      .filter((m) => m.messageSeq >= 1)
      .filter((m) => m.msgType !== HandshakeType.certificate_verify)
      .sort((a, b) => order(a) - order(b));
    const transcript = concatBytes(...all.map(transcriptEntry));
    expect(cv.scheme).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(verify('sha256', transcript, new X509Certificate(der).publicKey, cv.signature)).toBe(true);
  });

  /** Flight order: ClientHello 1, then the server's flight, then the client's. */
  function order(m: ReassembledMessage): number {
    const fromClient = client.includes(m);
    if (fromClient && m.msgType === HandshakeType.client_hello) return 0;
    return (fromClient ? 200 : 100) + m.messageSeq;
  }
});
