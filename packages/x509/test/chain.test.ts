import { AlertDescription, DtlsError, alertName } from '@dtls-kit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA, createCertificate, parseCertificates, validateChain, type ChainValidationOptions } from '../src/index.js';
import { Scratch } from './openssl.js';
import { OpenSslPki, type Issued } from './pki.js';

const scratch = new Scratch();
afterAll(() => scratch.remove());

/** The alert name validateChain ends in, or 'ok'. */
function outcome(chain: readonly Uint8Array[], options: ChainValidationOptions): string {
  try {
    validateChain(chain, options);
    return 'ok';
  } catch (err) {
    if (err instanceof DtlsError) return alertName(err.alert);
    throw err;
  }
}

function errorOf(chain: readonly Uint8Array[], options: ChainValidationOptions): DtlsError {
  try {
    validateChain(chain, options);
  } catch (err) {
    if (err instanceof DtlsError) return err;
    throw err;
  }
  throw new Error('validateChain accepted the chain');
}

describe('chains made by openssl', () => {
  let pki: OpenSslPki;
  let root: Issued;
  let otherRoot: Issued;
  let int: Issued;
  let server: Issued;

  beforeAll(() => {
    pki = new OpenSslPki(scratch);
    root = pki.root('Root CA');
    otherRoot = pki.root('Other Root');
    int = pki.issue('Intermediate CA', root, 'int');
    server = pki.issue('server', int, 'server');
  });

  const server_ = (o: Partial<ChainValidationOptions> = {}): ChainValidationOptions => ({ ca: [root.der], peerRole: 'server', ...o });

  it('validate leaf → intermediate → root, and give the path', () => {
    const result = validateChain([server.der, int.der], server_({ hostname: 'localhost' }));
    expect(result.path.map((c) => c.subject)).toEqual(['CN=server, O=dtls-kit tests', 'CN=Intermediate CA, O=dtls-kit tests', 'CN=Root CA, O=dtls-kit tests']);
  });

  it('take intermediates in any order, ignore unrelated ones, and accept the root sent along', () => {
    expect(outcome([server.der, otherRoot.der, int.der], server_())).toBe('ok');
    expect(outcome([server.der, int.der, root.der], server_())).toBe('ok');
  });

  it('trust an intermediate put in ca (partial chain)', () => {
    expect(outcome([server.der], server_({ ca: [int.der] }))).toBe('ok');
  });

  it('unknown CA: missing intermediate, another root, untrusted self-signed → unknown_ca', () => {
    expect(outcome([server.der], server_())).toBe('unknown_ca');
    // The message says the intermediate was not sent (issue 14), naming the peer's role.
    expect(errorOf([server.der], server_()).message).toBe(
      'unknown_ca: certificate "CN=server, O=dtls-kit tests" was issued by "CN=Intermediate CA, O=dtls-kit tests", which is not a trusted CA, ' +
        "and the server did not send it: if it is an intermediate CA, the intermediate was not sent (the server's chain lacks it)",
    );
    expect(errorOf([server.der], server_({ peerRole: 'client' })).message).toMatch(/the client did not send it: .*\(the client's chain lacks it\)$/);
    expect(outcome([server.der, int.der], server_({ ca: [otherRoot.der] }))).toBe('unknown_ca');
    expect(outcome([server.der, int.der], server_({ ca: [] }))).toBe('unknown_ca');
    const selfSigned = errorOf([otherRoot.der], server_());
    expect(selfSigned.alert).toBe(AlertDescription.unknown_ca);
    expect(selfSigned.message).toContain('self-signed');
    expect(selfSigned.message).toContain('CN=Other Root');
    // A self-signed server certificate is trusted when pinned in ca, and only then.
    const selfSignedServer = pki.root('self-signed-server', { section: 'server' });
    expect(outcome([selfSignedServer.der], server_({ ca: [selfSignedServer.der], hostname: 'localhost' }))).toBe('ok');
    expect(outcome([selfSignedServer.der], server_())).toBe('unknown_ca');
  });

  it('expired (openssl -days -1) and not yet valid → certificate_expired, naming the certificate', () => {
    const expired = pki.issue('expired', int, 'server', { days: -1 });
    const err = errorOf([expired.der, int.der], server_());
    expect(err.alert).toBe(AlertDescription.certificate_expired);
    expect(err.message).toContain('CN=expired');
    expect(outcome([server.der, int.der], server_({ now: new Date(Date.now() - 5 * 86_400_000) }))).toBe('certificate_expired');
    expect(outcome([server.der, int.der], server_({ now: new Date(Date.now() + 60 * 86_400_000) }))).toBe('certificate_expired');
  });

  it('host names and IP addresses against subjectAltName → bad_certificate on a mismatch', () => {
    const check = (hostname: string): string => outcome([server.der, int.der], server_({ hostname }));
    expect(check('localhost')).toBe('ok');
    expect(check('LOCALHOST.')).toBe('ok');
    expect(check('127.0.0.1')).toBe('ok');
    expect(check('::1')).toBe('ok');
    expect(check('0:0:0:0:0:0:0:1')).toBe('ok');
    expect(check('a.example.com')).toBe('ok');
    expect(check('example.com')).toBe('bad_certificate');
    expect(check('a.b.example.com')).toBe('bad_certificate');
    expect(check('127.0.0.2')).toBe('bad_certificate');
    expect(check('localhost.example')).toBe('bad_certificate');
    // The IP address is not matched against DNS names, nor a DNS name against IP entries.
    expect(check('server')).toBe('bad_certificate');
    const err = errorOf([server.der, int.der], server_({ hostname: 'wrong.test' }));
    expect(err.message).toContain('wrong.test');
    expect(err.message).toContain('CN=server');
  });

  it('do not fall back to the Common Name when there is no subjectAltName', () => {
    const noSan = pki.issue('localhost', int, 'no_san');
    expect(outcome([noSan.der, int.der], server_({ hostname: 'localhost' }))).toBe('bad_certificate');
    expect(outcome([noSan.der, int.der], server_())).toBe('ok');
  });

  it('checkServerIdentity replaces the name check', () => {
    const calls: string[] = [];
    const accept = outcome([server.der, int.der], server_({ hostname: 'elsewhere', checkServerIdentity: (h, c) => (calls.push(`${h} ${c.subject}`), undefined) }));
    expect(accept).toBe('ok');
    expect(calls).toEqual(['elsewhere CN=server, O=dtls-kit tests']);
    const reject = errorOf([server.der, int.der], server_({ hostname: 'localhost', checkServerIdentity: () => new Error('pin mismatch') }));
    expect(reject.alert).toBe(AlertDescription.bad_certificate);
    expect(reject.message).toContain('pin mismatch');
  });

  it('an intermediate without CA:TRUE, without keyCertSign, or past pathlen → unknown_ca', () => {
    const notCa = pki.issue('Not A CA', root, 'int_not_ca');
    const leaf1 = pki.issue('leaf-under-not-ca', notCa, 'server');
    const err = errorOf([leaf1.der, notCa.der], server_());
    expect(err.alert).toBe(AlertDescription.unknown_ca);
    expect(err.message).toContain('CN=Not A CA');
    expect(err.message).toContain('not a CA');

    const noCertSign = pki.issue('No CertSign CA', root, 'int_no_certsign');
    const leaf2 = pki.issue('leaf-under-no-certsign', noCertSign, 'server');
    expect(outcome([leaf2.der, noCertSign.der], server_())).toBe('unknown_ca');

    const pathlen0 = pki.issue('Pathlen0 CA', root, 'int_pathlen0');
    const below = pki.issue('Below Pathlen0', pathlen0, 'int');
    const leaf3 = pki.issue('leaf-too-deep', below, 'server');
    expect(outcome([leaf3.der, below.der, pathlen0.der], server_())).toBe('unknown_ca');
    const leaf4 = pki.issue('leaf-ok-depth', pathlen0, 'server');
    expect(outcome([leaf4.der, pathlen0.der], server_())).toBe('ok');
  });

  it('extKeyUsage and keyUsage that do not allow the role → unsupported_certificate', () => {
    const client = pki.issue('client', int, 'client');
    expect(outcome([client.der, int.der], { ca: [root.der], peerRole: 'client' })).toBe('ok');
    expect(outcome([client.der, int.der], server_())).toBe('unsupported_certificate');
    expect(outcome([server.der, int.der], { ca: [root.der], peerRole: 'client' })).toBe('unsupported_certificate');
    const codeSigning = pki.issue('code-signing', int, 'code_signing');
    expect(outcome([codeSigning.der, int.der], server_())).toBe('unsupported_certificate');
    const noSig = pki.issue('no-digital-signature', int, 'key_encipherment_only', { key: 'rsa' });
    expect(outcome([noSig.der, int.der], server_())).toBe('unsupported_certificate');
  });

  it('a tampered signature anywhere on the path → bad_certificate', () => {
    const tampered = new Uint8Array(server.der);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0x01;
    const err = errorOf([tampered, int.der], server_());
    expect(err.alert).toBe(AlertDescription.bad_certificate);
    expect(err.message).toContain('CN=server');
    const tamperedInt = new Uint8Array(int.der);
    tamperedInt[tamperedInt.length - 5] = (tamperedInt[tamperedInt.length - 5] ?? 0) ^ 0x01;
    expect(outcome([server.der, tamperedInt], server_())).toBe('bad_certificate');
  });

  it('a SHA-1 signature on the path → bad_certificate', () => {
    const sha1 = pki.issue('sha1-leaf', int, 'server', { digest: 'sha1' });
    expect(outcome([sha1.der, int.der], server_())).toBe('bad_certificate');
  });

  it('an unusable leaf key (secp256k1) → unsupported_certificate', () => {
    const k1 = pki.issue('k1-leaf', int, 'server', { key: 'secp256k1' });
    expect(outcome([k1.der, int.der], server_())).toBe('unsupported_certificate');
  });

  it('critical nameConstraints are processed: a leaf outside them → certificate_unknown (chain-policy.test.ts has the rest)', () => {
    const constrained = pki.issue('Constrained CA', root, 'int_name_constraints');
    const leaf = pki.issue('constrained-leaf', constrained, 'server');
    const err = errorOf([leaf.der, constrained.der], server_());
    expect(err.alert).toBe(AlertDescription.certificate_unknown);
    expect(err.message).toContain('DNS:localhost is outside the permitted subtrees');
  });

  it('a critical extension we do not process (policyConstraints) → unsupported_certificate', () => {
    const policy = pki.issue('Policy CA', root, pki.section('int_policy_constraints', 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign\npolicyConstraints = critical, requireExplicitPolicy:0'));
    const leaf = pki.issue('policy-leaf', policy, 'server');
    expect(outcome([leaf.der, policy.der], server_())).toBe('unsupported_certificate');
  });

  it('an RSA chain made by openssl', () => {
    const rsaRoot = pki.root('RSA Root', { key: 'rsa' });
    const rsaLeaf = pki.issue('rsa-server', rsaRoot, 'server_rsa', { key: 'rsa' });
    expect(outcome([rsaLeaf.der], { ca: [rsaRoot.der], peerRole: 'server', hostname: '127.0.0.1' })).toBe('ok');
  });

  it('no certificate → handshake_failure; undecodable bytes or an overlong chain → bad_certificate', () => {
    expect(outcome([], server_())).toBe('handshake_failure');
    expect(outcome([], { ca: [root.der], peerRole: 'client' })).toBe('handshake_failure');
    expect(outcome([new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])], server_())).toBe('bad_certificate');
    expect(outcome([server.der, new Uint8Array([1, 2, 3])], server_())).toBe('bad_certificate');
    expect(outcome(new Array<Uint8Array>(17).fill(int.der), server_())).toBe('bad_certificate');
  });
});

describe('chains made by our generator', () => {
  it('validate, and fail as expected when expired or for the wrong purpose', async () => {
    const root = await createCA({ commonName: 'Gen Root' });
    const int = await createCA({ commonName: 'Gen Int', issuer: root, keyType: 'rsa-2048' });
    const server = await createCertificate({ ca: int, commonName: 'localhost', subjectAltNames: ['localhost', '10.0.0.1'], usage: 'server' });
    const [rootDer, intDer, serverDer] = [root, int, server].map((c) => parseCertificates(c.cert)[0] ?? new Uint8Array());
    const ca = [rootDer ?? new Uint8Array()];
    const chain = [serverDer ?? new Uint8Array(), intDer ?? new Uint8Array()];
    expect(outcome(chain, { ca, peerRole: 'server', hostname: '10.0.0.1' })).toBe('ok');
    expect(outcome(chain, { ca, peerRole: 'client' })).toBe('unsupported_certificate');
    const old = await createCertificate({ ca: int, commonName: 'old', usage: 'server', notBefore: new Date('2019-01-01'), notAfter: new Date('2020-01-01') });
    expect(outcome([parseCertificates(old.cert)[0] ?? new Uint8Array(), intDer ?? new Uint8Array()], { ca, peerRole: 'server' })).toBe('certificate_expired');
  });
});
