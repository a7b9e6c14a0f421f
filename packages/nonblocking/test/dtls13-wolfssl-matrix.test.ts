/**
 * The DTLS 1.3 interop matrix with wolfSSL 5.5.4 (issue 17), in the non-blocking runtime, both
 * roles: every TLS 1.3 suite wolfSSL offers (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
 * TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256) x the groups
 * X25519, P-256, P-384 x the authentications PSK with (EC)DHE (psk_dhe_ke), PSK alone (psk_ke),
 * and certificates ECDSA P-256, ECDSA P-384 (ecdsa_secp384r1_sha384), RSA-2048 (an RSA-PSS
 * CertificateVerify) and Ed25519.
 *
 * The commands, from wolfSSL's source root (`-v 4`: DTLS 1.3; -d: the client does not check the
 * chain, which is ours, but still the CertificateVerify; -e echo, -i keep accepting):
 *   ./examples/server/server -u -v 4 -l SUITE -s [-K] -p PORT -d -e -i                 (PSK)
 *   ./examples/server/server -u -v 4 -l SUITE -c CHAIN.pem -k KEY.pem -p PORT -d -e -i  (certificate)
 *   ./examples/client/client -u -v 4 -l SUITE -s [-K] [-t] -h 127.0.0.1 -p PORT -d -x
 *   ./examples/client/client -u -v 4 -l SUITE [-t] -h 127.0.0.1 -p PORT -d -x
 * X25519 and Ed25519 need the 'curve25519' build (scripts/peers/build-wolfssl.sh curve25519:
 * --enable-curve25519 --enable-ed25519, which Debian's configuration lacks); the other cells run
 * on the default build. How each group is reached:
 * - our client sends its one key share for the group (groups: [group]); wolfSSL's server takes it
 *   and prints "SSL curve name is ..."
 * - wolfSSL's client sends a P-256 share (X25519 with -t); our server, given groups: [group],
 *   takes it, or for P-384 asks for it in a HelloRetryRequest (RFC 8446 4.1.4) that wolfSSL answers.
 * wolfSSL's client identity is Client_identity followed by the suite's hash name
 * (Client_identitySHA256 / SHA384: its my_psk_client_cs_cb), and its server ties the key to a
 * suite of that hash (my_psk_server_tls13_cb): our client says Client_identitySHA384 with the
 * SHA-384 suite, whose binder it then makes with SHA-384 (externalPskHash13).
 *
 * TLS_CHACHA20_POLY1305_SHA256 runs with chacha20MaskCounter: 'big-endian' on our side: wolfSSL
 * 5.5.4 reads the record number mask's counter big-endian (core/test/fixtures/wolfssl13/README.md);
 * the last test shows the handshake failing without that option.
 *
 * wolfSSL 5.5.4's CCM_8 quirk (the last describe): RFC 9147 4.2.3 needs 16 bytes of ciphertext
 * for the record number mask, and "Senders MUST pad short plaintexts out"; with CCM_8's 8-byte tag
 * a record of under 7 content bytes is too short. wolfSSL does not pad: its
 * Dtls13EncryptRecordNumber (src/dtls13.c) refuses such a record with BUFFER_ERROR, so it never
 * sends its close_notify (a 2-byte alert) or a short message. We pad ours (Dtls13RecordLayer.seal),
 * and wolfSSL reads them.
 *
 * `make test` runs a slice (QUICK: each suite, group, authentication and role at least once);
 * WOLFSSL_MATRIX=full runs every cell. A failed wolfSSL build fails these tests, never skips them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pskClient, pskServer } from '@dtls-kit/psk';
import { createCA, createCertificate, x509Client, x509Server, type GeneratedKeyType } from '@dtls-kit/x509';
import {
  WOLFSSL_CLIENT_MESSAGE,
  WOLFSSL_PSK_13,
  WOLFSSL_PSK_IDENTITY,
  describePeerClient,
  describePeerServer,
  runWolfsslClient,
  startWolfsslServer,
  waitUntil,
  wolfsslRoot,
  type WolfsslVariant,
} from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { echo, roundTrip, sleep, text, until } from './helpers.js';

const SUITES = {
  TLS_AES_128_GCM_SHA256: 'TLS13-AES128-GCM-SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS13-AES256-GCM-SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS13-CHACHA20-POLY1305-SHA256',
  TLS_AES_128_CCM_SHA256: 'TLS13-AES128-CCM-SHA256',
  TLS_AES_128_CCM_8_SHA256: 'TLS13-AES128-CCM-8-SHA256',
} as const;
type Suite = keyof typeof SUITES;
type Group = 'x25519' | 'secp256r1' | 'secp384r1';
type Auth = 'psk_dhe_ke' | 'psk_ke' | 'ecdsa' | 'ecdsa-p384' | 'rsa' | 'ed25519';
type CertAuth = Exclude<Auth, 'psk_dhe_ke' | 'psk_ke'>;
type Role = 'our client' | 'our server';

/** What wolfSSL prints after "SSL curve name is". */
const WOLFSSL_GROUP: Record<Group, string> = { x25519: 'X25519', secp256r1: 'SECP256R1', secp384r1: 'SECP384R1' };
const KEY_TYPE: Record<CertAuth, GeneratedKeyType> = { ecdsa: 'ecdsa-p256', 'ecdsa-p384': 'ecdsa-p384', rsa: 'rsa-2048', ed25519: 'ed25519' };
const CERT_AUTHS: readonly CertAuth[] = ['ecdsa', 'ecdsa-p384', 'rsa', 'ed25519'];

interface Cell {
  readonly suite: Suite;
  /** undefined for psk_ke: no key share at all. */
  readonly group: Group | undefined;
  readonly auth: Auth;
  readonly role: Role;
}

function cells(): Cell[] {
  const out: Cell[] = [];
  for (const role of ['our client', 'our server'] as const) {
    for (const suite of Object.keys(SUITES) as Suite[]) {
      for (const auth of ['psk_dhe_ke', 'psk_ke', ...CERT_AUTHS] as const) {
        if (auth === 'psk_ke') out.push({ suite, group: undefined, auth, role });
        else for (const group of ['x25519', 'secp256r1', 'secp384r1'] as const) out.push({ suite, group, auth, role });
      }
    }
  }
  return out;
}

const name = (c: Cell): string => `${c.role}: ${c.suite} ${c.auth}${c.group === undefined ? '' : ` ${c.group}`}`;

/** Every suite, group, authentication and role at least once, ChaCha20 and CCM_8 in both roles. */
const QUICK: ReadonlySet<string> = new Set(
  (
    [
      ['our client', 'TLS_AES_128_GCM_SHA256', 'psk_dhe_ke', 'x25519'],
      ['our client', 'TLS_AES_256_GCM_SHA384', 'psk_dhe_ke', 'secp384r1'],
      ['our client', 'TLS_CHACHA20_POLY1305_SHA256', 'ecdsa', 'secp256r1'],
      ['our client', 'TLS_AES_128_CCM_8_SHA256', 'psk_ke', undefined],
      ['our client', 'TLS_AES_128_GCM_SHA256', 'ed25519', 'x25519'],
      ['our client', 'TLS_AES_128_CCM_SHA256', 'rsa', 'secp384r1'],
      ['our server', 'TLS_AES_128_GCM_SHA256', 'psk_dhe_ke', 'secp384r1'],
      ['our server', 'TLS_AES_256_GCM_SHA384', 'psk_ke', undefined],
      ['our server', 'TLS_CHACHA20_POLY1305_SHA256', 'psk_dhe_ke', 'x25519'],
      ['our server', 'TLS_AES_128_CCM_8_SHA256', 'ecdsa', 'secp256r1'],
      ['our server', 'TLS_AES_128_CCM_SHA256', 'ed25519', 'secp256r1'],
      ['our server', 'TLS_AES_256_GCM_SHA384', 'rsa', 'x25519'],
      ['our client', 'TLS_AES_256_GCM_SHA384', 'ecdsa-p384', 'secp384r1'],
      ['our server', 'TLS_AES_128_GCM_SHA256', 'ecdsa-p384', 'secp256r1'],
    ] as const
  ).map(([role, suite, auth, group]) => name({ role, suite, auth, group })),
);

const RUN = process.env['WOLFSSL_MATRIX'] === 'full' ? cells() : cells().filter((c) => QUICK.has(name(c)));

/** X25519 and Ed25519 exist only in the curve25519 build. */
const variantOf = (c: Cell): WolfsslVariant => (c.group === 'x25519' || c.auth === 'ed25519' ? 'curve25519' : 'default');
const chacha = (suite: Suite): { chacha20MaskCounter?: 'big-endian' } => (suite === 'TLS_CHACHA20_POLY1305_SHA256' ? { chacha20MaskCounter: 'big-endian' } : {});
const hashOf = (suite: Suite): 'SHA256' | 'SHA384' => (suite === 'TLS_AES_256_GCM_SHA384' ? 'SHA384' : 'SHA256');

interface Credential {
  readonly caPem: string;
  readonly chainFile: string;
  readonly keyFile: string;
  readonly key: string;
  readonly cert: string;
}

let dir: string;
const credentials = new Map<CertAuth, Credential>();

beforeAll(async () => {
  wolfsslRoot();
  wolfsslRoot('curve25519');
  dir = mkdtempSync(join(tmpdir(), 'dtls13-matrix-'));
  for (const kind of CERT_AUTHS) {
    const keyType = KEY_TYPE[kind];
    const ca = await createCA({ commonName: `dtls13 matrix ${kind} CA`, keyType });
    const leaf = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server', keyType });
    const chainFile = join(dir, `${kind}.pem`);
    const keyFile = join(dir, `${kind}.key`);
    writeFileSync(chainFile, leaf.cert);
    writeFileSync(keyFile, leaf.key);
    credentials.set(kind, { caPem: ca.cert, chainFile, keyFile, key: leaf.key, cert: leaf.cert });
  }
}, 30 * 60_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function credential(auth: Auth): Credential {
  if (auth === 'psk_dhe_ke' || auth === 'psk_ke') throw new TypeError(`${auth} has no certificate`);
  const found = credentials.get(auth);
  if (found === undefined) throw new Error(`no ${auth} credential`);
  return found;
}

async function ourClient(c: Cell): Promise<void> {
  const psk = c.auth === 'psk_dhe_ke' || c.auth === 'psk_ke';
  const peer = await startWolfsslServer({
    version: '1.3',
    variant: variantOf(c),
    cipher: SUITES[c.suite],
    ...(psk ? { psk: true, pskOnly: c.auth === 'psk_ke' } : { cert: credential(c.auth).chainFile, key: credential(c.auth).keyFile }),
  });
  try {
    const why = (): string => describePeerServer(peer);
    const client = await connect({
      host: '127.0.0.1',
      port: peer.port,
      maxVersion: 'DTLSv1.3',
      minVersion: 'DTLSv1.3',
      cipherSuites: [c.suite],
      ...(c.group === undefined ? {} : { groups: [c.group] }),
      ...chacha(c.suite),
      ...(psk
        ? { psk: pskClient({ identity: c.suite === 'TLS_AES_256_GCM_SHA384' ? `${WOLFSSL_PSK_IDENTITY}SHA384` : WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 }) }
        : { x509: x509Client({ ca: credential(c.auth).caPem }), servername: 'localhost' }),
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${why()}`);
    });
    try {
      expect(client.getProtocol(), why()).toBe('DTLSv1.3');
      expect(client.getCipher().standardName, why()).toBe(c.suite);
      if (!psk) expect(client.authorized, why()).toBe(true);
      const message = `hello ${name(c)}`;
      expect(await roundTrip(client, message), why()).toBe(message);
      expect(await roundTrip(client, 'x'.repeat(900)), why()).toBe('x'.repeat(900));
    } finally {
      await client.close();
    }
    await waitUntil(() => peer.stdout().includes(`SSL cipher suite is ${c.suite}`), 3000).catch(() => undefined);
    expect(peer.stdout(), why()).toContain(`SSL cipher suite is ${c.suite}`);
    expect(peer.stdout(), why()).toContain('SSL version is DTLSv1.3');
    if (c.group !== undefined) expect(peer.stdout(), why()).toContain(`SSL curve name is ${WOLFSSL_GROUP[c.group]}`);
    else expect(peer.stdout(), why()).not.toContain('SSL curve name is');
  } finally {
    await peer.stop();
  }
}

async function ourServer(c: Cell): Promise<void> {
  const psk = c.auth === 'psk_dhe_ke' || c.auth === 'psk_ke';
  const accepted: DtlsSocket[] = [];
  const received: string[] = [];
  const server: DtlsServer = createServer(
    {
      maxVersion: 'DTLSv1.3',
      minVersion: 'DTLSv1.3',
      cipherSuites: [c.suite],
      ...(c.group === undefined ? {} : { groups: [c.group] }),
      ...chacha(c.suite),
      ...(psk
        ? { psk: pskServer({ keys: { [`${WOLFSSL_PSK_IDENTITY}${hashOf(c.suite)}`]: WOLFSSL_PSK_13 } }) }
        : { x509: x509Server({ key: credential(c.auth).key, cert: credential(c.auth).cert }) }),
    },
    (s) => {
      accepted.push(s);
      s.on('message', (m) => received.push(text(m)));
      echo(s);
    },
  );
  try {
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runWolfsslClient({
      version: '1.3',
      variant: variantOf(c),
      port,
      cipher: SUITES[c.suite],
      psk,
      pskOnly: c.auth === 'psk_ke',
      ...(c.group === 'x25519' ? { extraArgs: ['-t'] } : {}),
      // Generous: the machine may be shared (wolfSSL's client itself takes well under a second).
      timeoutMs: 20_000,
    });
    const why = describePeerClient(result);
    expect(result.echoed, why).toBe(true);
    expect(result.version, why).toBe('DTLSv1.3');
    expect(result.cipher, why).toBe(c.suite);
    // With -K wolfSSL's client offers psk_ke alone (and so reads no key_share from us: its key
    // schedule has no (EC)DHE secret, and ours must not either, or the Finished would not verify);
    // it still makes a P-256 share, whose name it prints.
    if (c.group !== undefined) expect(result.stdout, why).toContain(`SSL curve name is ${WOLFSSL_GROUP[c.group]}`);
    expect(received, why).toEqual([WOLFSSL_CLIENT_MESSAGE]);
    expect(accepted[0]?.getProtocol(), why).toBe('DTLSv1.3');
    expect(accepted[0]?.getCipher()?.standardName, why).toBe(c.suite);
  } finally {
    await server.close();
  }
}

describe('DTLS 1.3 matrix with wolfSSL 5.5.4 (non-blocking runtime)', () => {
  describe.concurrent.each(RUN.map((c) => [name(c), c] as const))('%s', (_label, c) => {
    it('handshake, suite, group, echo', async () => {
      if (c.role === 'our client') await ourClient(c);
      else await ourServer(c);
    }, 60_000);
  });

  it('TLS_CHACHA20_POLY1305_SHA256 without chacha20MaskCounter: wolfSSL 5.5.4 cannot open our records, nor we its', async () => {
    const peer = await startWolfsslServer({ version: '1.3', psk: true, cipher: SUITES.TLS_CHACHA20_POLY1305_SHA256 });
    try {
      const attempt = connect({
        host: '127.0.0.1',
        port: peer.port,
        maxVersion: 'DTLSv1.3',
        minVersion: 'DTLSv1.3',
        cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256'],
        psk: pskClient({ identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 }),
        handshakeTimeoutMs: 3000,
      });
      await expect(attempt, describePeerServer(peer)).rejects.toThrow();
    } finally {
      await peer.stop();
    }
  }, 30_000);
});

describe('wolfSSL 5.5.4 with TLS_AES_128_CCM_8_SHA256: records under 16 bytes of ciphertext (RFC 9147 4.2.3)', () => {
  const CCM8 = 'TLS_AES_128_CCM_8_SHA256';

  it('our 2-byte message, padded to 16 bytes of ciphertext, is read by wolfSSL (-i without -e prints it and answers)', async () => {
    const peer = await startWolfsslServer({ version: '1.3', psk: true, cipher: SUITES[CCM8], echo: false });
    try {
      const client = await connect({
        host: '127.0.0.1',
        port: peer.port,
        maxVersion: 'DTLSv1.3',
        cipherSuites: [CCM8],
        psk: pskClient({ identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 }),
      });
      try {
        expect(await roundTrip(client, 'hi'), describePeerServer(peer)).toBe('I hear you fa shizzle!');
      } finally {
        await client.close();
      }
      await waitUntil(() => peer.stdout().includes('Client message: hi'), 3000).catch(() => undefined);
      expect(peer.stdout(), describePeerServer(peer)).toContain('Client message: hi');
    } finally {
      await peer.stop();
    }
  }, 30_000);

  for (const suite of ['TLS_AES_128_GCM_SHA256', CCM8] as const) {
    it(`wolfSSL's client ends with close_notify under ${suite}: ${suite === CCM8 ? 'never sent (too short to mask), our socket stays open' : 'our socket closes'}`, async () => {
      const closed: string[] = [];
      const server = createServer({ maxVersion: 'DTLSv1.3', cipherSuites: [suite], psk: pskServer({ keys: { Client_identitySHA256: WOLFSSL_PSK_13 } }) }, (s) => {
        echo(s);
        s.on('close', () => closed.push('close'));
      });
      try {
        const { port } = await server.listen(0, '127.0.0.1');
        const result = await runWolfsslClient({ version: '1.3', port, psk: true, cipher: SUITES[suite] });
        const why = describePeerClient(result);
        expect(result.echoed, why).toBe(true);
        expect(result.code, why).toBe(0);
        if (suite === CCM8) {
          await sleep(1000);
          expect(closed, why).toEqual([]);
          expect(server.stats.connections, why).toBe(1);
        } else {
          await until(() => closed.length === 1, 3000, 'the close_notify');
          expect(server.stats.connections, why).toBe(0);
        }
      } finally {
        await server.close();
      }
    }, 30_000);
  }
});
