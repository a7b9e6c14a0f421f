import fc from 'fast-check';
import type { Extension } from '../../src/handshake/extensions/extension.js';
import type { HandshakeFragment } from '../../src/handshake/handshake-header.js';
import type { CertificateRequest } from '../../src/handshake/messages/certificate-request.js';
import type { CertificateMessage } from '../../src/handshake/messages/certificate.js';
import type { ClientHello } from '../../src/handshake/messages/client-hello.js';
import type { DigitallySigned } from '../../src/handshake/messages/digitally-signed.js';
import type { HelloVerifyRequest } from '../../src/handshake/messages/hello-verify-request.js';
import type { EcdheParams } from '../../src/handshake/messages/server-key-exchange.js';
import type { ServerHello } from '../../src/handshake/messages/server-hello.js';

/** Arbitraries for every handshake structure, within the bounds the RFCs give each field. */

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const bytes = (minLength: number, maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength, maxLength });

export const extensionList: fc.Arbitrary<Extension[]> = fc.uniqueArray(
  fc.record({ type: u16, data: bytes(0, 40) }),
  { selector: (e) => e.type, maxLength: 8 },
);

export const fragment: fc.Arbitrary<HandshakeFragment> = fc
  .record({ msgType: u8, messageSeq: u16, fragmentOffset: fc.nat(5000), extra: fc.nat(5000), body: bytes(0, 64) })
  .map(({ msgType, messageSeq, fragmentOffset, extra, body }) => ({
    msgType,
    length: fragmentOffset + body.length + extra,
    messageSeq,
    fragmentOffset,
    body,
  }));

export const clientHello: fc.Arbitrary<ClientHello> = fc.record({
  clientVersion: u16,
  random: bytes(32, 32),
  sessionId: bytes(0, 32),
  cookie: bytes(0, 255),
  cipherSuites: fc.array(u16, { minLength: 1, maxLength: 40 }),
  compressionMethods: fc.array(u8, { minLength: 1, maxLength: 4 }),
  extensions: extensionList,
});

export const serverHello: fc.Arbitrary<ServerHello> = fc.record({
  serverVersion: u16,
  random: bytes(32, 32),
  sessionId: bytes(0, 32),
  cipherSuite: u16,
  compressionMethod: u8,
  extensions: extensionList,
});

export const helloVerifyRequest: fc.Arbitrary<HelloVerifyRequest> = fc.record({
  serverVersion: u16,
  cookie: bytes(0, 255),
});

export const ecdheParams: fc.Arbitrary<EcdheParams> = fc.record({ namedGroup: u16, publicKey: bytes(1, 255) });

export const digitallySigned: fc.Arbitrary<DigitallySigned> = fc.record({ scheme: u16, signature: bytes(0, 300) });

export const certificateMessage: fc.Arbitrary<CertificateMessage> = fc.record({
  certificates: fc.array(bytes(1, 300), { maxLength: 4 }),
});

export const certificateRequest: fc.Arbitrary<CertificateRequest> = fc.record({
  certificateTypes: fc.array(u8, { minLength: 1, maxLength: 8 }),
  signatureSchemes: fc.array(u16, { minLength: 1, maxLength: 20 }),
  authorities: fc.array(bytes(1, 100), { maxLength: 4 }),
});

/** A DNS-like host name: printable ASCII, as RFC 6066 3 asks. */
export const hostName: fc.Arbitrary<string> = fc
  .array(fc.integer({ min: 0x21, max: 0x7e }), { minLength: 1, maxLength: 100 })
  .map((codes) => String.fromCharCode(...codes));

/** ALPN protocol names: any text whose UTF-8 form is 1..255 bytes. */
export const protocolNames: fc.Arbitrary<string[]> = fc.array(
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
    .filter((s) => {
      const n = new TextEncoder().encode(s).length;
      return n >= 1 && n <= 255;
    }),
  { minLength: 1, maxLength: 6 },
);
