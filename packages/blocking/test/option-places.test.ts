/**
 * Options in the wrong place fail loudly (issue 14), as in @dtls-kit/nonblocking and with the same
 * check (@dtls-kit/core's checkOptionPlaces): createBlockingServer(), runBlockingClient() and
 * createBlockingClientPool() reject an option they do not take with a TypeError that says where
 * it belongs. The engine options are top-level, as in @dtls-kit/nonblocking (they were under
 * `options` before). The objects are built in variables so that TypeScript's excess-property
 * check (which only guards literals) does not catch them first: this is what a JavaScript caller,
 * or a spread of a shared config, gets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingClientPool, createBlockingServer, runBlockingClient, type BlockingServer, type ConnectionErrorStage } from '../src/index.js';
import { EngineClient } from './engine-client.js';
import { clientCredentials, fixture, serverCredentials, until, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** createBlockingServer()'s TypeError message for these options (a handler and PSK credentials added). */
function serverError(extra: Record<string, unknown>): string {
  const options = { handler: fixture('echo-handler.mjs'), credentials: serverCredentials, ...extra };
  try {
    server = createBlockingServer(options);
  } catch (error) {
    if (error instanceof TypeError) return error.message;
    throw error;
  }
  throw new Error('createBlockingServer accepted it');
}

/** runBlockingClient()'s rejection message for these options (port 9: nothing would answer). */
async function clientError(extra: Record<string, unknown>): Promise<string> {
  const options = { handler: fixture('client-roundtrip.mjs'), port: 9, credentials: clientCredentials, ...extra };
  const error: unknown = await runBlockingClient(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TypeError)) throw new Error(`expected a TypeError, got ${String(error)}`);
  return error.message;
}

describe('engine options are top-level, as in @dtls-kit/nonblocking', () => {
  it('`options: { ... }` is refused with the new place of what it held', async () => {
    expect(serverError({ options: { handshakeTimeoutMs: 20_000, mtu: 1400 } })).toBe(
      'createBlockingServer(): `options` is no more: engine options are top-level, as in @dtls-kit/nonblocking: createBlockingServer({ handler, credentials, handshakeTimeoutMs, mtu }), not createBlockingServer({ options: { handshakeTimeoutMs, mtu } })',
    );
    expect(await clientError({ options: { handshakeTimeoutMs: 500 } })).toBe(
      'runBlockingClient(): `options` is no more: engine options are top-level, as in @dtls-kit/nonblocking: runBlockingClient({ handler, credentials, handshakeTimeoutMs }), not runBlockingClient({ options: { handshakeTimeoutMs } })',
    );
  });

  it('a top-level handshakeTimeoutMs reaches the server’s engine: a client that stops after the server’s flight fails at it', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, handshakeTimeoutMs: 500, maxThreads: 1 });
    const failures: { error: Error; stage: ConnectionErrorStage }[] = [];
    server.on('connectionError', (error, stage) => failures.push({ error, stage }));
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await EngineClient.open(port);
    // The HelloVerifyRequest, answered with the cookie (the server's handshake starts); then we go
    // quiet, and the server's flight waits for an answer that never comes.
    await client.start(1);
    client.detach();
    const started = performance.now();
    // The default (60 s) would outlast this wait by far.
    await until(() => failures.length === 1, 10_000, 'the server’s handshake timeout');
    console.log(`blocking server handshakeTimeoutMs 500: the stalled handshake failed ${Math.round(performance.now() - started)} ms after the server's flight`);
    expect(failures[0]?.stage).toBe('handshake');
    expect(failures[0]?.error.name).toBe('HandshakeTimeoutError');
    client.close();
  });

  it('the engine options a server and a client document are accepted, top-level', async () => {
    const serverOptions = {
      handler: fixture('echo-handler.mjs'),
      credentials: serverCredentials,
      args: undefined,
      maxThreads: 1,
      maxQueue: 2,
      maxConnectionsPerAddress: 3,
      maxHandshakesPerAddress: 2,
      ringBytes: 65_536,
      idleTimeoutMs: 10_000,
      workerIdleTimeoutMs: 1000,
      // A DTLS 1.2 and a DTLS 1.3 suite (the default version range offers both, 1.3 preferred).
      cipherSuites: 'PSK-AES128-CCM8:TLS_AES_128_CCM_8_SHA256',
      mtu: 1200,
      retransmit: { initialMs: 500 },
      handshakeTimeoutMs: 10_000,
      replayWindowSize: 128,
      requireExtendedMasterSecret: true,
      groups: ['x25519'],
      maxHandshakeMessageLength: 32_768,
      maxHeldRecordBytes: 2048,
      ALPNProtocols: ['coap'],
      connectionId: { length: 4 },
      maxUnvalidatedHeldBytes: 4096,
      cookieRotationMs: 30_000,
      maxPskIdentityLength: 128,
      // Set to undefined, an option sets nothing and passes (a spread of optional settings).
      ca: undefined,
    } as const;
    server = createBlockingServer(serverOptions);
    const { port } = await server.listen(0, '127.0.0.1');
    const pool = createBlockingClientPool({ maxThreads: 1, workerIdleTimeoutMs: 100 });
    try {
      const r = await runBlockingClient<RoundTripResult>({
        handler: fixture('client-roundtrip.mjs'),
        host: '127.0.0.1',
        port,
        credentials: clientCredentials,
        args: { messages: ['top-level'] },
        pool,
        idleTimeoutMs: 0,
        ringBytes: 65_536,
        cipherSuites: 'PSK-AES128-CCM8:TLS_AES_128_CCM_8_SHA256',
        mtu: 1200,
        handshakeTimeoutMs: 10_000,
        ALPNProtocols: ['coap'],
        connectionId: { length: 0 },
        servername: 'localhost',
      });
      expect(r.replies).toEqual(['top-level']);
      expect(r.cipher).toBe('TLS_AES_128_CCM_8_SHA256');
    } finally {
      await pool.destroy();
    }
  });
});

describe('createBlockingServer() rejects misplaced options', () => {
  const messages: Array<[string, unknown, string]> = [
    ['psk', {}, '`psk` goes in `credentials`: createBlockingServer({ credentials: { psk: { keys, pskIdentityHint } } })'],
    [
      'x509',
      {},
      '`x509` holds functions, and functions cannot cross into a worker: return { x509: x509Server({ ... }) } from the credentials module (credentials: { module, export?, args? }), which runs in the worker',
    ],
    [
      'SNICallback',
      () => undefined,
      '`SNICallback` is a function (or holds functions), and functions cannot cross into a worker: return it from the credentials module (credentials: { module, export?, args? }), which runs in the worker, next to the credentials: { SNICallback, psk, x509 }',
    ],
    [
      'provider',
      {},
      '`provider` is a function (or holds functions), and functions cannot cross into a worker: return it from the credentials module (credentials: { module, export?, args? }), which runs in the worker, next to the credentials: { provider, psk, x509 }',
    ],
    [
      'pskCallback',
      () => undefined,
      '`pskCallback` is a function (or holds functions), and functions cannot cross into a worker: return { psk: pskServer({ pskCallback }) } from the credentials module (credentials: { module, export?, args? }), which runs in the worker',
    ],
    [
      'ca',
      'PEM',
      '`ca` is an option of `x509Server()`: return { x509: x509Server({ ca, ... }) } from the credentials module (credentials: { module, export?, args? }), which runs in the worker',
    ],
    [
      'key',
      'PEM',
      '`key` is an option of `x509Server()`: return { x509: x509Server({ key, cert }) } from the credentials module (credentials: { module, export?, args? }), which runs in the worker; pre-shared keys go in `credentials: { psk: { keys, pskIdentityHint } }`',
    ],
    ['checkServerIdentity', () => undefined, '`checkServerIdentity` is a client option, of `x509Client()`'],
    [
      'pinnedPublicKeys',
      'PEM',
      '`pinnedPublicKeys` is an option of `rpkServer()`: return { x509: rpkServer({ pinnedPublicKeys, ... }) } from the credentials module (credentials: { module, export?, args? }), which runs in the worker',
    ],
    ['keys', {}, '`keys` goes in `credentials`: createBlockingServer({ credentials: { psk: { keys, pskIdentityHint } } })'],
    ['hint', 'x', 'a PSK identity hint is `pskIdentityHint`, which goes in `credentials`: createBlockingServer({ credentials: { psk: { keys, pskIdentityHint } } })'],
    ['identity', 'x', "`identity` is a client's: runBlockingClient({ credentials: { psk: { identity, key } } })"],
    ['ciphers', 'x', 'node:tls `ciphers` is `cipherSuites` here'],
    ['servername', 'x', '`servername` is a client option: give it to runBlockingClient(), not createBlockingServer()'],
    ['pool', {}, '`pool` is a client option: give it to runBlockingClient(), not createBlockingServer()'],
    ['port', 4433, '`port` is a client option: give it to runBlockingClient(), not createBlockingServer() (a server takes its address in listen(port, host))'],
    ['keylog', 'keys.log', '`keylog` is an option of @dtls-kit/nonblocking; the blocking runtime writes no key log'],
    [
      'maxConnections',
      10,
      '`maxConnections` is an option of @dtls-kit/nonblocking; a blocking server holds `maxThreads` + `maxQueue` connections (`maxConnectionsPerAddress` from one address)',
    ],
  ];
  for (const [key, value, message] of messages) {
    it(`\`${key}\``, () => {
      expect(serverError({ [key]: value })).toBe(`createBlockingServer(): ${message}`);
    });
  }

  it('an unknown option (a typo) lists what createBlockingServer() takes', () => {
    expect(serverError({ maxThread: 2 })).toMatch(
      /^createBlockingServer\(\): unknown option `maxThread`; createBlockingServer\(\) takes ALPNProtocols, args, chacha20MaskCounter, cipherSuites, .*handshakeTimeoutMs, .*maxThreads, .*workerIdleTimeoutMs$/,
    );
  });
});

describe('createBlockingServer(): session stores do not cross into workers', () => {
  it.each(['sessionStore', 'sessionCacheSize'])('%s says the server resumes by ticket under shared ticketKeys', (key) => {
    expect(serverError({ [key]: key === 'sessionStore' ? false : 10 })).toMatch(new RegExp(`^createBlockingServer\\(\\): \`${key}\`: a blocking server resumes by ticket only, under ticket keys every worker shares`));
  });
});

describe('runBlockingClient() rejects misplaced options, before anything is sent', () => {
  const messages: Array<[string, unknown, string]> = [
    ['psk', {}, '`psk` goes in `credentials`: runBlockingClient({ credentials: { psk: { identity, key } } })'],
    [
      'rejectUnauthorized',
      false,
      '`rejectUnauthorized` is an option of `x509Client()`: return { x509: x509Client({ rejectUnauthorized, ... }) } from the credentials module (credentials: { module, export?, args? }), which runs in the worker',
    ],
    ['requestCert', true, '`requestCert` is a server option, of `x509Server()`'],
    [
      'key',
      'hex',
      '`key` goes in `credentials` (a pre-shared key, hex): runBlockingClient({ credentials: { psk: { identity, key } } }); a certificate key is an option of `x509Client()`, in the credentials module',
    ],
    ['pskIdentityHint', 'x', "`pskIdentityHint` is a server's: createBlockingServer({ credentials: { psk: { keys, pskIdentityHint } } })"],
    ['maxThreads', 2, '`maxThreads` is an option of createBlockingClientPool(): runBlockingClient({ pool: createBlockingClientPool({ maxThreads }) })'],
    ['maxQueue', 2, '`maxQueue` is a server option: give it to createBlockingServer(), not runBlockingClient()'],
    ['maxPskIdentityLength', 128, '`maxPskIdentityLength` is a server option: give it to createBlockingServer(), not runBlockingClient()'],
    ['cookieRotationMs', 1000, '`cookieRotationMs` is a server option: give it to createBlockingServer(), not runBlockingClient()'],
    ['signal', new AbortController().signal, '`signal` is an option of @dtls-kit/nonblocking; a blocking client ends with its handshake timeout or its handler'],
  ];
  for (const [key, value, message] of messages) {
    it(`\`${key}\``, async () => {
      expect(await clientError({ [key]: value })).toBe(`runBlockingClient(): ${message}`);
    });
  }

  it('an unknown option (a typo) lists what runBlockingClient() takes', async () => {
    expect(await clientError({ idleTimeoutMS: 5 })).toMatch(/^runBlockingClient\(\): unknown option `idleTimeoutMS`; runBlockingClient\(\) takes ALPNProtocols, args, .*idleTimeoutMs, .*servername, session, sessionTickets, srtpMki, srtpProfiles, ticketPskLabel$/);
  });
});

describe('createBlockingClientPool() rejects misplaced options', () => {
  it.each([
    ['idleTimeoutMs', "`idleTimeoutMs` is a connection's idle time, an option of runBlockingClient(); the pool's workers' is `workerIdleTimeoutMs`"],
    ['mtu', '`mtu` is an option of each connection: give it to runBlockingClient(), not createBlockingClientPool()'],
    ['minThreads', 'unknown option `minThreads`; createBlockingClientPool() takes maxThreads, workerIdleTimeoutMs'],
  ])('`%s`', (key, message) => {
    const options = { [key]: 1 };
    expect(() => createBlockingClientPool(options)).toThrow(new TypeError(`createBlockingClientPool(): ${message}`));
  });
});
