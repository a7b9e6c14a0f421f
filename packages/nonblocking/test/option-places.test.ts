/**
 * Options in the wrong place fail loudly (issue 14): connect() and createServer() reject an option
 * they do not take with a TypeError that says where it belongs. The objects are built in variables
 * so that TypeScript's excess-property check (which only guards literals) does not catch them
 * first: this is what a JavaScript caller, or a spread of a shared config, gets.
 */
import { x509Client } from '@dtls-kit/x509';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer } from '../src/index.js';
import { clientPsk, serverPsk } from './helpers.js';

let server: DtlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** connect()'s rejection message for these options (psk credentials added). */
async function connectError(extra: Record<string, unknown>): Promise<string> {
  const options = { host: '127.0.0.1', port: 9, psk: clientPsk(), ...extra };
  const error: unknown = await connect(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TypeError)) throw new Error(`expected a TypeError, got ${String(error)}`);
  return error.message;
}

/** createServer()'s TypeError message for these options (psk credentials added). */
function serverError(extra: Record<string, unknown>): string {
  const options = { psk: serverPsk(), ...extra };
  try {
    server = createServer(options);
  } catch (error) {
    if (error instanceof TypeError) return error.message;
    throw error;
  }
  throw new Error('createServer accepted it');
}

describe('connect() rejects misplaced options', () => {
  it('the issue’s example: `ca` and `rejectUnauthorized` next to `x509`', async () => {
    const options = { host: '127.0.0.1', port: 9, x509: x509Client({ ca: [] }), ca: 'PEM', rejectUnauthorized: false };
    await expect(connect(options)).rejects.toThrow(new TypeError('connect(): `ca` is an option of `x509Client()`: connect({ x509: x509Client({ ca }) })'));
    const { ca: _ca, ...rest } = options;
    await expect(connect(rest)).rejects.toThrow(new TypeError('connect(): `rejectUnauthorized` is an option of `x509Client()`'));
  });

  const messages: Array<[string, string]> = [
    ['cert', 'connect(): `cert` is an option of `x509Client()`: connect({ x509: x509Client({ ca, key, cert }) })'],
    [
      'key',
      'connect(): `key` is an option of `x509Client()` (a certificate key) or `pskClient()` (a pre-shared key): connect({ x509: x509Client({ ca, key, cert }) }) or connect({ psk: pskClient({ identity, key }) })',
    ],
    ['passphrase', 'connect(): `passphrase` is an option of `x509Client()`'],
    ['requestCert', 'connect(): `requestCert` is a server option, of `x509Server()`'],
    ['checkServerIdentity', 'connect(): `checkServerIdentity` is an option of `x509Client()`'],
    ['pinnedPublicKeys', 'connect(): `pinnedPublicKeys` is an option of `rpkClient()`: connect({ x509: rpkClient({ pinnedPublicKeys }) })'],
    ['sigalgs', 'connect(): `sigalgs` is an option of `x509Client()`'],
    ['securityLevel', 'connect(): `securityLevel` is an option of `x509Client()`'],
    ['identity', 'connect(): `identity` is an option of `pskClient()`: connect({ psk: pskClient({ identity, key }) })'],
    ['keys', 'connect(): `keys` is a server option, of `pskServer()`'],
    ['pskIdentityHint', 'connect(): `pskIdentityHint` is a server option, of `pskServer()`'],
    ['hint', 'connect(): a PSK identity hint is a server option, `pskIdentityHint` of `pskServer()`'],
    ['pskCallback', 'connect(): `pskCallback` is an option of `pskClient()`: connect({ psk: pskClient({ pskCallback }) })'],
    ['ciphers', 'connect(): node:tls `ciphers` is `cipherSuites` here'],
    ['SNICallback', 'connect(): `SNICallback` is a server option: give it to createServer(), not connect()'],
    ['ALPNCallback', 'connect(): `ALPNCallback` is a server option: give it to createServer(), not connect()'],
    ['maxConnections', 'connect(): `maxConnections` is a server option: give it to createServer(), not connect()'],
    ['cookieRotationMs', 'connect(): `cookieRotationMs` is a server option: give it to createServer(), not connect()'],
    ['ipv6Only', 'connect(): `ipv6Only` is a server option: give it to createServer(), not connect()'],
  ];
  for (const [key, message] of messages) {
    it(`\`${key}\``, async () => {
      expect(await connectError({ [key]: 'x' })).toBe(message);
    });
  }

  it('an unknown option (a typo) lists what connect() takes', async () => {
    const message = await connectError({ idleTimeoutMS: 5 });
    expect(message).toMatch(/^connect\(\): unknown option `idleTimeoutMS`; connect\(\) takes ALPNProtocols, chacha20MaskCounter, cipherSuites, connectionId, .*idleTimeoutMs, .*servername, session, sessionTickets, signal, srtpMki, srtpProfiles, ticketPskLabel, type, x509$/);
    // Inherited names are not options either.
    expect(await connectError({ constructor: 1 })).toMatch(/^connect\(\): unknown option `constructor`/);
  });

  it('an option set to undefined sets nothing and passes (a spread of optional settings)', async () => {
    // Port 9 on loopback: nothing listens, so the attempt itself ends with ECONNREFUSED, not a TypeError.
    const options = { host: '127.0.0.1', port: 9, psk: clientPsk(), ca: undefined, handshakeTimeoutMs: 2000 };
    await expect(connect(options)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('createServer() rejects misplaced options', () => {
  const messages: Array<[string, string]> = [
    ['ca', 'createServer(): `ca` is an option of `x509Server()`: createServer({ x509: x509Server({ key, cert, ca, requestCert: true }) })'],
    ['cert', 'createServer(): `cert` is an option of `x509Server()`: createServer({ x509: x509Server({ key, cert }) })'],
    ['key', 'createServer(): `key` is an option of `x509Server()`: createServer({ x509: x509Server({ key, cert }) }); pre-shared keys go in `pskServer({ keys })`'],
    ['passphrase', 'createServer(): `passphrase` is an option of `x509Server()`'],
    ['rejectUnauthorized', 'createServer(): `rejectUnauthorized` is an option of `x509Server()`'],
    ['requestCert', 'createServer(): `requestCert` is an option of `x509Server()`: createServer({ x509: x509Server({ key, cert, ca, requestCert: true }) })'],
    ['checkServerIdentity', 'createServer(): `checkServerIdentity` is a client option, of `x509Client()`'],
    ['pinnedPublicKeys', 'createServer(): `pinnedPublicKeys` is an option of `rpkServer()`: createServer({ x509: rpkServer({ key, pinnedPublicKeys }) })'],
    ['sigalgs', 'createServer(): `sigalgs` is an option of `x509Server()`'],
    ['securityLevel', 'createServer(): `securityLevel` is an option of `x509Server()`'],
    ['identity', 'createServer(): `identity` is a client option, of `pskClient()`; a server takes `pskServer({ keys })`'],
    ['keys', 'createServer(): `keys` is an option of `pskServer()`: createServer({ psk: pskServer({ keys }) })'],
    ['pskIdentityHint', 'createServer(): `pskIdentityHint` is an option of `pskServer()`'],
    ['hint', 'createServer(): a PSK identity hint is `pskIdentityHint`, an option of `pskServer()`'],
    ['pskCallback', 'createServer(): `pskCallback` is an option of `pskServer()`: createServer({ psk: pskServer({ pskCallback }) })'],
    ['ciphers', 'createServer(): node:tls `ciphers` is `cipherSuites` here'],
    ['servername', 'createServer(): `servername` is a client option: give it to connect(), not createServer()'],
    ['signal', 'createServer(): `signal` is a client option: give it to connect(), not createServer()'],
    ['host', 'createServer(): `host` is a client option: give it to connect(), not createServer() (a server takes its address in listen(port, host))'],
    ['port', 'createServer(): `port` is a client option: give it to connect(), not createServer() (a server takes its address in listen(port, host))'],
  ];
  for (const [key, message] of messages) {
    it(`\`${key}\``, () => {
      expect(serverError({ [key]: 'x' })).toBe(message);
    });
  }

  it('an unknown option (a typo) lists what createServer() takes', () => {
    expect(serverError({ maxConnection: 5 })).toMatch(/^createServer\(\): unknown option `maxConnection`; createServer\(\) takes ALPNCallback, ALPNProtocols, .*maxConnections, .*x509$/);
  });

  it('every option it documents is still accepted', async () => {
    const options = {
      psk: serverPsk(),
      cipherSuites: 'PSK-AES128-CCM8:TLS_AES_128_CCM_8_SHA256',
      mtu: 1200,
      handshakeTimeoutMs: 10_000,
      idleTimeoutMs: 1000,
      maxBufferedBytes: 1024,
      type: 'udp4',
      maxConnections: 10,
      maxHandshakes: 5,
      maxHandshakesPerAddress: 2,
      cookieRotationMs: 30_000,
      maxPskIdentityLength: 128,
      ALPNProtocols: ['coap'],
      connectionId: { length: 4 },
      ca: undefined,
    } as const;
    server = createServer(options);
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), cipherSuites: 'PSK-AES128-CCM8:TLS_AES_128_CCM_8_SHA256', mtu: 1200, idleTimeoutMs: 0, localAddress: '127.0.0.1' });
    // The default, DTLS 1.3, with the TLS 1.3 suite the list names.
    expect(client.getCipher().name).toBe('TLS_AES_128_CCM_8_SHA256');
    await client.close();
  });
});
