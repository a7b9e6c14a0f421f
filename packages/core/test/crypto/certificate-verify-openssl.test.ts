/**
 * The TLS 1.3 CertificateVerify content (RFC 8446 4.4.3) of both sides, for every scheme of
 * TLS13_CERTIFICATE_VERIFY_SCHEMES, and Finished (4.4.4), against OpenSSL 3.0 over TLS 1.3 on TCP
 * loopback (DTLS 1.3 signs the same content, RFC 9147 5; OpenSSL has no DTLS 1.3). A relay
 * records both byte streams; s_client's key log gives the handshake traffic secrets; we open the
 * encrypted handshake records with keys derived from them (trafficKeys13), rebuild the transcript,
 * and verify OpenSSL's server and client signatures over certificateVerifyContent with the peers'
 * public keys (node:crypto), and both Finished messages with checkFinished13:
 *   openssl s_server -tls1_3 -accept 127.0.0.1:PORT -cert server.pem -key server.key -naccept 1 \
 *     -ciphersuites TLS_AES_128_GCM_SHA256 -sigalgs SCHEME -client_sigalgs SCHEME -verify 1 -CAfile client.pem
 *   openssl s_client -connect 127.0.0.1:RELAY -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 \
 *     -sigalgs SCHEME -client_sigalgs SCHEME -cert client.pem -key client.key -keylogfile keys.txt
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { constants, createDecipheriv, createPublicKey, type KeyObject, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../src/bytes.js';
import { certificateVerifyContent } from '../../src/crypto/certificate-verify-content.js';
import { checkFinished13 } from '../../src/crypto/finished-13.js';
import { type LabelledHkdf, TLS13_LABEL_PREFIX } from '../../src/crypto/hkdf-label.js';
import { TLS13_CERTIFICATE_VERIFY_SCHEMES } from '../../src/crypto/signature-schemes-13.js';
import { trafficKeys13 } from '../../src/crypto/traffic-keys-13.js';
import { Transcript13 } from '../../src/crypto/transcript-13.js';
import { SignatureScheme } from '../../src/handshake/extensions/signature-scheme.js';
import { PROVIDERS } from './providers.js';

const TIMEOUT_MS = 20_000;
const HANDSHAKE = 22;
const APPLICATION_DATA = 23;

interface SchemeCase {
  readonly scheme: SignatureScheme;
  /** OpenSSL's -sigalgs name. */
  readonly openssl: string;
  /** openssl req -newkey argument and options. */
  readonly newkey: readonly string[];
}

const CASES: readonly SchemeCase[] = [
  { scheme: SignatureScheme.ecdsa_secp256r1_sha256, openssl: 'ecdsa_secp256r1_sha256', newkey: ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] },
  { scheme: SignatureScheme.ecdsa_secp384r1_sha384, openssl: 'ecdsa_secp384r1_sha384', newkey: ['ec', '-pkeyopt', 'ec_paramgen_curve:P-384'] },
  { scheme: SignatureScheme.ed25519, openssl: 'ed25519', newkey: ['ed25519'] },
  { scheme: SignatureScheme.rsa_pss_rsae_sha256, openssl: 'rsa_pss_rsae_sha256', newkey: ['rsa:2048'] },
  { scheme: SignatureScheme.rsa_pss_rsae_sha384, openssl: 'rsa_pss_rsae_sha384', newkey: ['rsa:2048'] },
];

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-kit-cv-'));
  for (const c of CASES) {
    for (const role of ['server', 'client']) {
      execFileSync('openssl', ['req', '-x509', '-newkey', ...c.newkey, '-keyout', join(dir, `${role}-${c.openssl}.key`), '-out', join(dir, `${role}-${c.openssl}.pem`), '-days', '2', '-nodes', '-subj', `/CN=${role}`], { stdio: 'ignore' });
    }
  }
}, 120_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : 0);
    });
  });
}

function waitFor(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${out}`)), TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      out += d.toString('latin1');
      if (pattern.test(out)) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** TLSPlaintext/TLSCiphertext records of a byte stream (RFC 8446 5.1): type, the 5-byte header, the fragment. */
function records(stream: Uint8Array): { type: number; header: Uint8Array; fragment: Uint8Array }[] {
  const out: { type: number; header: Uint8Array; fragment: Uint8Array }[] = [];
  let o = 0;
  while (o + 5 <= stream.length) {
    const length = (stream[o + 3]! << 8) | stream[o + 4]!;
    if (o + 5 + length > stream.length) break;
    out.push({ type: stream[o]!, header: stream.subarray(o, o + 5), fragment: stream.subarray(o + 5, o + 5 + length) });
    o += 5 + length;
  }
  return out;
}

/** The handshake messages (TLS form) of a direction: plaintext ones, then those in the records `secret` protects. */
function handshakeMessages(stream: Uint8Array, kdf: LabelledHkdf, secret: Uint8Array): Uint8Array[] {
  const keys = trafficKeys13(kdf, secret, 16, 12);
  let bytes = new Uint8Array(0);
  const append = (b: Uint8Array): void => {
    const next = new Uint8Array(bytes.length + b.length);
    next.set(bytes);
    next.set(b, bytes.length);
    bytes = next;
  };
  let seq = 0n;
  for (const r of records(stream)) {
    if (r.type === HANDSHAKE) append(r.fragment);
    if (r.type !== APPLICATION_DATA) continue;
    // RFC 8446 5.2/5.3: nonce = iv XOR seq, additional data = the record header.
    const nonce = keys.iv.slice();
    for (let i = 0; i < 8; i++) nonce[11 - i]! ^= Number((seq >> BigInt(8 * i)) & 0xffn);
    seq++;
    const d = createDecipheriv('aes-128-gcm', keys.key, nonce);
    d.setAAD(r.header);
    d.setAuthTag(r.fragment.subarray(r.fragment.length - 16));
    let plain: Uint8Array;
    try {
      plain = Buffer.concat([d.update(r.fragment.subarray(0, r.fragment.length - 16)), d.final()]);
    } catch {
      break; // application data under later keys
    }
    let end = plain.length;
    while (end > 0 && plain[end - 1] === 0) end--;
    if (plain[end - 1] === HANDSHAKE) append(plain.subarray(0, end - 1));
  }
  const out: Uint8Array[] = [];
  for (let o = 0; o + 4 <= bytes.length; ) {
    const length = (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
    out.push(bytes.slice(o, o + 4 + length));
    o += 4 + length;
  }
  return out;
}

/** The end-entity certificate's public key from a TLS 1.3 Certificate message (RFC 8446 4.4.2). */
function leafKey(certificate: Uint8Array): KeyObject {
  const contextLength = certificate[4]!;
  const at = 4 + 1 + contextLength + 3;
  const length = (certificate[at]! << 16) | (certificate[at + 1]! << 8) | certificate[at + 2]!;
  return createPublicKey(new X509Certificate(certificate.subarray(at + 3, at + 3 + length)).publicKey.export({ format: 'pem', type: 'spki' }));
}

/** Verifies a CertificateVerify message's signature over `content` with node:crypto, as the scheme says. */
function verifies(scheme: SignatureScheme, key: KeyObject, content: Uint8Array, certificateVerify: Uint8Array): boolean {
  expect((certificateVerify[4]! << 8) | certificateVerify[5]!).toBe(scheme);
  const signature = certificateVerify.subarray(8);
  switch (scheme) {
    case SignatureScheme.ed25519:
      return verify(null, content, key, signature);
    case SignatureScheme.rsa_pss_rsae_sha256:
      return verify('sha256', content, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
    case SignatureScheme.rsa_pss_rsae_sha384:
      return verify('sha384', content, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, signature);
    case SignatureScheme.ecdsa_secp384r1_sha384:
      return verify('sha384', content, key, signature);
    default:
      return verify('sha256', content, key, signature);
  }
}

interface Run {
  readonly c2s: Uint8Array;
  readonly s2c: Uint8Array;
  readonly secrets: ReadonlyMap<string, Uint8Array>;
}

async function handshake(c: SchemeCase): Promise<Run> {
  const c2s: Buffer[] = [];
  const s2c: Buffer[] = [];
  const serverPortHolder = createServer();
  const serverPort = await listen(serverPortHolder);
  await new Promise<void>((r) => serverPortHolder.close(() => r()));
  const relay = createServer((socket) => {
    const upstream = createConnection(serverPort, '127.0.0.1');
    socket.on('data', (d: Buffer) => {
      c2s.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      s2c.push(d);
      socket.write(d);
    });
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  });
  const relayPort = await listen(relay);
  const keylog = join(dir, `keys-${c.openssl}.txt`);
  const sig = ['-sigalgs', c.openssl, '-client_sigalgs', c.openssl, '-ciphersuites', 'TLS_AES_128_GCM_SHA256'];
  const server = spawn('openssl', ['s_server', '-tls1_3', '-accept', `127.0.0.1:${serverPort}`, '-cert', join(dir, `server-${c.openssl}.pem`), '-key', join(dir, `server-${c.openssl}.key`), '-naccept', '1', '-verify', '1', '-CAfile', join(dir, `client-${c.openssl}.pem`), ...sig]);
  const processes: ChildProcessWithoutNullStreams[] = [server];
  try {
    await waitFor(server, /ACCEPT/);
    const client = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${relayPort}`, '-tls1_3', '-cert', join(dir, `client-${c.openssl}.pem`), '-key', join(dir, `client-${c.openssl}.key`), '-keylogfile', keylog, ...sig]);
    processes.push(client);
    // The server reports the client's certificate once it has the client's whole flight.
    await waitFor(server, /CIPHER is TLS_AES_128_GCM_SHA256|Shared Signature Algorithms|Peer signature type/);
    await sleep(200);
    const secrets = new Map<string, Uint8Array>();
    for (const line of readFileSync(keylog, 'latin1').split('\n')) {
      const [label, , secret] = line.split(' ');
      if (label !== undefined && secret !== undefined && !label.startsWith('#')) secrets.set(label, fromHex(secret));
    }
    return { c2s: Buffer.concat(c2s), s2c: Buffer.concat(s2c), secrets };
  } finally {
    for (const p of processes) {
      p.stdin.end();
      p.kill();
    }
    relay.close();
  }
}

describe('TLS 1.3 CertificateVerify content and Finished against OpenSSL 3.0, both sides', () => {
  it('every scheme we allow is in this test', () => {
    expect(CASES.map((c) => c.scheme).sort()).toEqual([...TLS13_CERTIFICATE_VERIFY_SCHEMES].sort());
  });

  it.each(CASES)('$openssl: server and client signatures verify over certificateVerifyContent', async (c) => {
    const run = await handshake(c);
    const provider = PROVIDERS[0]!.provider;
    const kdf: LabelledHkdf = { provider, hash: 'sha256', labelPrefix: TLS13_LABEL_PREFIX };
    const serverSecret = run.secrets.get('SERVER_HANDSHAKE_TRAFFIC_SECRET');
    const clientSecret = run.secrets.get('CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    if (serverSecret === undefined || clientSecret === undefined) throw new Error('handshake secrets missing from the key log');
    const fromServer = handshakeMessages(run.s2c, kdf, serverSecret);
    const fromClient = handshakeMessages(run.c2s, kdf, clientSecret);
    // ServerHello, EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, Finished.
    expect(fromServer.map((m) => m[0])).toEqual([2, 8, 13, 11, 15, 20]);
    // ClientHello, Certificate, CertificateVerify, Finished.
    expect(fromClient.map((m) => m[0])).toEqual([1, 11, 15, 20]);
    const [sh, ee, cr, serverCert, serverCv, serverFin] = fromServer;
    const [ch, clientCert, clientCv, clientFin] = fromClient;

    const t = new Transcript13();
    for (const m of [ch!, sh!, ee!, cr!, serverCert!]) t.addTlsMessage(m);
    const serverContent = certificateVerifyContent('server', t.hash(provider, 'sha256'));
    expect(verifies(c.scheme, leafKey(serverCert!), serverContent, serverCv!)).toBe(true);
    expect(verifies(c.scheme, leafKey(serverCert!), certificateVerifyContent('client', t.hash(provider, 'sha256')), serverCv!)).toBe(false);
    t.addTlsMessage(serverCv!);
    checkFinished13(kdf, serverSecret, t.hash(provider, 'sha256'), serverFin!.subarray(4), 'server');
    t.addTlsMessage(serverFin!);

    t.addTlsMessage(clientCert!);
    const clientContent = certificateVerifyContent('client', t.hash(provider, 'sha256'));
    expect(verifies(c.scheme, leafKey(clientCert!), clientContent, clientCv!)).toBe(true);
    expect(verifies(c.scheme, leafKey(clientCert!), certificateVerifyContent('server', t.hash(provider, 'sha256')), clientCv!)).toBe(false);
    t.addTlsMessage(clientCv!);
    checkFinished13(kdf, clientSecret, t.hash(provider, 'sha256'), clientFin!.subarray(4), 'client');
  }, 60_000);
});
