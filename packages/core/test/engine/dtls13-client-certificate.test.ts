/**
 * Our DTLS 1.3 client's certificate (RFC 8446 4.3.2, 4.4.2, 4.4.3) with our 1.3 server asking for
 * one (requestCert, rejectUnauthorized): the chain and a CertificateVerify in a scheme of the
 * request's signature_algorithms (ECDSA, RSA-PSS), an asynchronous signer, an empty Certificate
 * without one (certificate_required when the server requires it), a signature that does not
 * verify (decrypt_error), a chain the server does not trust. wolfSSL's server asking for ours:
 * packages/x509/test/interop/wolfssl13-client-auth.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { DtlsError } from '../../src/errors.js';
import { requestedSchemes13 } from '../../src/handshake/dtls13/client-certificate-13.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { encodeSignatureAlgorithms } from '../../src/handshake/extensions/signature-algorithms.js';
import type { CertificateSigner, CertificateVerifier } from '../../src/key-exchange/certificate-credentials.js';
import { asyncSigner, certificateSigner, certificateVerifier, clientX509, serverX509, testPki } from '../support/test-certificates.js';
import { expectLocalFailure, expectPeerFailure, Pair } from './harness.js';

const V13 = { maxVersion: 'DTLSv1.3' } as const;

function hex(chain: readonly Uint8Array[]): string[] {
  return chain.map((c) => Buffer.from(c).toString('hex'));
}

describe('DTLS 1.3 client certificates (our client, our server)', () => {
  for (const kind of ['ecdsa', 'rsa'] as const) {
    it(`${kind}: Certificate and CertificateVerify${kind === 'rsa' ? ' (RSA-PSS)' : ''}, checked and authorized by the server`, async () => {
      const p = await new Pair({
        client: { ...V13, psk: undefined, x509: clientX509({ cert: kind }) },
        server: { ...V13, psk: undefined, x509: serverX509('ecdsa', { requestCert: true, rejectUnauthorized: true }) },
      }).handshake();
      expect(p.s.protocol).toBe('DTLSv1.3');
      expect(p.s.authorized).toBe(true);
      expect(hex(p.s.peerCertificates)).toEqual(hex(testPki()[kind].clientChain));
      p.client.send(Buffer.from('ping'));
      await p.run();
      expect(p.serverEvents.some((e) => e.type === 'data' && Buffer.from(e.data).toString() === 'ping')).toBe(true);
    });
  }

  it('an asynchronous signer: the last flight waits for the signature', async () => {
    const pki = testPki();
    const signer = asyncSigner(certificateSigner(pki.ecdsa.clientChain, pki.ecdsa.clientKey), (value) => Promise.resolve().then(value));
    const p = await new Pair({
      client: { ...V13, psk: undefined, x509: clientX509({ signer }) },
      server: { ...V13, psk: undefined, x509: serverX509('rsa', { requestCert: true }) },
    }).handshake();
    expect(p.s.authorized).toBe(true);
  });

  it('no certificate of ours: an empty Certificate; a server that requires one sends certificate_required (RFC 8446 4.4.2.4)', async () => {
    const p = new Pair({
      client: { ...V13, psk: undefined, x509: clientX509() },
      server: { ...V13, psk: undefined, x509: serverX509('ecdsa', { requestCert: true, rejectUnauthorized: true }) },
    }).start();
    await p.run(30_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.certificate_required);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.certificate_required);
    // One that does not require it goes on without client authentication.
    const q = await new Pair({
      client: { ...V13, psk: undefined, x509: clientX509() },
      server: { ...V13, psk: undefined, x509: serverX509('ecdsa', { requestCert: true, rejectUnauthorized: false }) },
    }).handshake();
    expect(q.s.authorized).toBe(false);
    expect(q.s.peerCertificates).toEqual([]);
  });

  it('a CertificateVerify signature that does not verify: decrypt_error (RFC 8446 4.4.3)', async () => {
    const pki = testPki();
    const good = certificateSigner(pki.ecdsa.clientChain, pki.ecdsa.clientKey);
    const bad: CertificateSigner = {
      ...good,
      sign: (scheme, data) => {
        const other = new Uint8Array(data);
        other[other.length - 1] = (other[other.length - 1] ?? 0) ^ 1;
        // A real signature over other bytes: well-formed, wrong.
        return good.sign(scheme, other);
      },
    };
    const p = new Pair({
      client: { ...V13, psk: undefined, x509: clientX509({ signer: bad }) },
      server: { ...V13, psk: undefined, x509: serverX509('ecdsa', { requestCert: true }) },
    }).start();
    await p.run(30_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.decrypt_error);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
  });

  it('a client chain the server does not trust is refused (rejectUnauthorized)', async () => {
    const p = new Pair({
      client: { ...V13, psk: undefined, x509: clientX509({ cert: 'rsa' }) },
      server: { ...V13, psk: undefined, x509: serverX509('ecdsa', { requestCert: true, trust: [testPki().ecdsa.root] }) },
    }).start();
    await p.run(30_000);
    // RFC 8446 6.2: a chain that leads to no CA we trust is unknown_ca; the client is told.
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unknown_ca);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unknown_ca);
  });

  it('a key with no scheme the server lists: an empty Certificate rather than a signature it cannot check', async () => {
    const pki = testPki();
    // Our ECDSA key, against a server whose verifier takes RSA-PSS only.
    const ecdsaOnly = certificateSigner(pki.ecdsa.clientChain, pki.ecdsa.clientKey);
    const p = await new Pair({
      client: { ...V13, psk: undefined, x509: clientX509({ signer: ecdsaOnly }) },
      server: { ...V13, psk: undefined, x509: serverX509('ecdsa', { requestCert: true, rejectUnauthorized: false, verifier: rsaPssOnlyVerifier() }) },
    }).handshake();
    expect(p.s.peerCertificates).toEqual([]);
    // The same key with a server that takes ECDSA: sent.
    const q = await new Pair({
      client: { ...V13, psk: undefined, x509: clientX509({ signer: ecdsaOnly }) },
      server: { ...V13, psk: undefined, x509: serverX509('ecdsa', { requestCert: true, rejectUnauthorized: false }) },
    }).handshake();
    expect(hex(q.s.peerCertificates)).toEqual(hex(pki.ecdsa.clientChain));
  });

  it('a CertificateRequest without signature_algorithms: missing_extension (RFC 8446 4.3.2)', () => {
    let error: unknown;
    try {
      requestedSchemes13({ context: new Uint8Array(0), extensions: [] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DtlsError);
    expect((error as DtlsError).alert).toBe(AlertDescription.missing_extension);
    expect(requestedSchemes13({ context: new Uint8Array(0), extensions: [{ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms([0x0804]) }] })).toEqual([0x0804]);
  });
});

function rsaPssOnlyVerifier(): CertificateVerifier {
  const pki = testPki();
  return certificateVerifier([pki.ecdsa.root, pki.rsa.root], [0x0804, 0x0805, 0x0806]);
}
