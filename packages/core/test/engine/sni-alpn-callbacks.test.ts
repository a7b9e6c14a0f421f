/**
 * node:tls's SNICallback and ALPNCallback on the server (RFC 6066 3, RFC 7301 3.2): the
 * credentials for the server_name the client sends, answered at once, later through the
 * callback, or by a Promise; the handshake waits for the answer (a retransmitted ClientHello
 * does not ask again, the handshake deadline still holds); refusals end with the alerts the
 * RFCs name. The ALPN protocol chosen by a function of the client's offer.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { fromHex } from '../../src/bytes.js';
import type { ServerCredentials, SNICallback } from '../../src/config.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { DtlsError, HandshakeTimeoutError } from '../../src/errors.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { expectLocalFailure, expectPeerFailure, Pair, type PairOptions } from './harness.js';
import { clientPsk, serverPsk } from '../support/psk.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';

const KEY_A = fromHex('0a'.repeat(16));
const KEY_B = fromHex('0b'.repeat(16));

/** PSK credentials per name: a client with the key of the name it asks for completes the handshake. */
const PER_NAME: Record<string, ServerCredentials> = {
  'a.example': { psk: serverPsk(() => KEY_A) },
  'b.example': { psk: serverPsk(() => KEY_B) },
};

/** A pair whose server has no default credentials unless given, and SNICallback `sni`. */
function sniPair(sni: SNICallback, options: PairOptions = {}): Pair {
  return new Pair({ ...options, server: { psk: undefined, SNICallback: sni, ...options.server } });
}

/** Pumps (virtual time standing still) until the server connection is waiting for SNICallback. */
function untilWaitingForSni(p: Pair): void {
  p.start();
  for (let i = 0; i < 10 && p.server?.handshakeState !== 'wait_sni'; i++) p.step();
  expect(p.server?.handshakeState).toBe('wait_sni');
}

/** The server_name extension of the ServerHello the server sent (undefined: none), read off the wire. */
function serverHelloServerName(p: Pair): Uint8Array | undefined {
  for (const w of p.wire) {
    if (w.direction !== 's2c') continue;
    for (const r of splitRecords(w.datagram)) {
      if (r.header.type !== ContentType.handshake || r.header.epoch !== 0) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) {
        if (f.msgType !== HandshakeType.server_hello) continue;
        return decodeServerHello(f.body).extensions.find((e) => e.type === ExtensionType.server_name)?.data;
      }
    }
  }
  throw new Error('no ServerHello on the wire');
}

/** A callback whose answer the test gives by hand. */
function manualSni(): { sni: SNICallback; calls: string[]; answer: (err: Error | null, c?: ServerCredentials) => void } {
  const calls: string[] = [];
  let pending: ((err: Error | null, c?: ServerCredentials) => void) | undefined;
  return {
    calls,
    sni: (name, cb) => {
      calls.push(name);
      pending = cb;
    },
    answer: (err, c) => {
      if (!pending) throw new Error('SNICallback was not called');
      pending(err, c);
    },
  };
}

describe('SNICallback', () => {
  it('a synchronous answer picks the credentials of the name the client sent', async () => {
    for (const [name, key] of [
      ['a.example', KEY_A],
      ['b.example', KEY_B],
    ] as const) {
      const calls: string[] = [];
      const p = sniPair((servername, cb) => {
        calls.push(servername);
        cb(null, PER_NAME[servername]);
      }, { client: { servername: name, psk: clientPsk(key) } });
      await p.handshake();
      expect(calls).toEqual([name]);
      expect(p.s.servername).toBe(name);
    }
  });

  it('the ServerHello acknowledges a name that chose the credentials with an empty server_name (RFC 6066 3), and only then', async () => {
    const chose = sniPair((n, cb) => cb(null, PER_NAME[n]), { client: { servername: 'a.example', psk: clientPsk(KEY_A) } });
    await chose.handshake();
    expect(serverHelloServerName(chose)).toEqual(new Uint8Array(0));
    // No credentials for the name: the defaults serve, and the name is not acknowledged.
    const defaults = new Pair({ server: { SNICallback: (_n, cb) => cb(null) }, client: { servername: 'other.example' } });
    await defaults.handshake();
    expect(serverHelloServerName(defaults)).toBeUndefined();
    const without = new Pair({ client: { servername: 'a.example' } });
    await without.handshake();
    expect(serverHelloServerName(without)).toBeUndefined();
  });

  it('the credentials of another name do not do: the client with key B asking for a.example fails', async () => {
    const p = sniPair((servername, cb) => cb(null, PER_NAME[servername]), { client: { servername: 'a.example', psk: clientPsk(KEY_B) } });
    p.start();
    await p.run(10_000);
    expect(p.client.state).toBe('closed');
    expect(p.server?.state).toBe('closed');
  });

  it('certificate credentials for a name, on a server whose defaults are PSK only: the suites follow the credentials', async () => {
    const p = new Pair({
      server: { psk: serverPsk(), SNICallback: (name, cb) => cb(null, name === 'localhost' ? { x509: serverX509('ecdsa') } : undefined) },
      client: { psk: undefined, x509: clientX509(), servername: 'localhost' },
    });
    await p.handshake();
    expect(p.client.getCipher()?.name).toMatch(/^ECDHE-ECDSA-/);
    expect(p.client.cipherSuite?.keyExchange).toBe('ecdhe_ecdsa');
    // The client checked the certificate SNICallback gave against its trusted roots and the name.
    expect(p.client.authorized).toBe(true);
  });

  it('an answer from a Promise, settling later', async () => {
    const p = sniPair(
      (servername) => new Promise<ServerCredentials | undefined>((resolve) => setTimeout(() => resolve(PER_NAME[servername]), 20)),
      { client: { servername: 'b.example', psk: clientPsk(KEY_B) } },
    );
    await p.handshake();
    expect(p.s.servername).toBe('b.example');
  });

  it('an answer through the callback, later (node:tls style)', async () => {
    const p = sniPair((servername, cb) => void setTimeout(() => cb(null, PER_NAME[servername]), 20), {
      client: { servername: 'a.example', psk: clientPsk(KEY_A) },
    });
    await p.handshake();
  });

  it('while it waits, the server sends nothing; a retransmitted ClientHello does not ask again; then it goes on', async () => {
    const m = manualSni();
    const p = sniPair(m.sni, { client: { servername: 'a.example', psk: clientPsk(KEY_A) } });
    untilWaitingForSni(p);
    expect(m.calls).toEqual(['a.example']);
    // The client hears nothing and retransmits its ClientHello on its timer (RFC 6347 4.2.4.1), twice.
    const before = p.wire.filter((w) => w.direction === 'c2s').length;
    for (const t of [1_000, 3_000]) {
      p.now = t;
      p.client.handleTimeout(p.now);
      p.step();
    }
    expect(p.wire.filter((w) => w.direction === 'c2s').length - before).toBe(2);
    expect(m.calls).toEqual(['a.example']);
    expect(p.server?.handshakeState).toBe('wait_sni');
    expect(p.wire.filter((w) => w.direction === 's2c').length).toBe(1); // the HelloVerifyRequest only
    m.answer(null, PER_NAME['a.example']);
    await p.run(60_000);
    expect(p.client.state).toBe('established');
    expect(p.server?.state).toBe('established');
    expect(m.calls).toEqual(['a.example']);
  });

  it('an answer slower than handshakeTimeoutMs: HandshakeTimeoutError; a late answer changes nothing', () => {
    const m = manualSni();
    const p = sniPair(m.sni, { client: { servername: 'a.example', psk: clientPsk(KEY_A) }, server: { handshakeTimeoutMs: 5_000 } });
    untilWaitingForSni(p);
    expect(p.s.nextTimeout()).toBe(5_000);
    p.now = 5_000;
    p.s.handleTimeout(p.now);
    expect(p.s.state).toBe('closed');
    expect(p.s.error).toBeInstanceOf(HandshakeTimeoutError);
    m.answer(null, PER_NAME['a.example']);
    p.s.handleTimeout(6_000);
    expect(p.s.state).toBe('closed');
    expect(p.s.error).toBeInstanceOf(HandshakeTimeoutError);
  });

  describe('refusals end the handshake with unrecognized_name (RFC 6066 3), and the client is told', () => {
    const cases: [string, SNICallback, RegExp][] = [
      ['an error through the callback', (_n, cb) => cb(new Error('unknown host')), /SNICallback refused "a.example": unknown host/],
      [
        'an error thrown',
        () => {
          throw new Error('boom');
        },
        /SNICallback refused "a.example": boom/,
      ],
      ['a rejected Promise', () => Promise.reject(new Error('db down')), /SNICallback refused "a.example": db down/],
      ['no credentials and no defaults', (_n, cb) => cb(null, undefined), /no credentials for "a.example", and there are no default ones/],
      ['an empty credentials object and no defaults', (_n, cb) => cb(null, {}), /no credentials for "a.example"/],
    ];
    it.each(cases)('%s', async (_what, sni, message) => {
      const p = sniPair(sni, { client: { servername: 'a.example', psk: clientPsk(KEY_A) } });
      p.start();
      await p.run(10_000);
      expectLocalFailure(p.s, p.serverEvents, AlertDescription.unrecognized_name);
      expect(p.s.error?.message).toMatch(message);
      expectPeerFailure(p.client, p.clientEvents, AlertDescription.unrecognized_name);
    });
  });

  it('an answer that is not our credentials (a node:tls SecureContext, its options): internal_error saying so, not the defaults', async () => {
    const notCredentials: unknown[] = [{ context: {} }, { cert: 'PEM', key: 'PEM' }, { x509: { cert: 'PEM' } }, 'alpha'];
    for (const answer of notCredentials) {
      const p = new Pair({
        // As plain JavaScript would call it (the types would refuse these answers).
        server: { SNICallback: (_n, cb) => void Reflect.apply(cb, undefined, [null, answer]) },
        client: { servername: 'a.example' },
      });
      p.start();
      await p.run(10_000);
      expectLocalFailure(p.s, p.serverEvents, AlertDescription.internal_error);
      expect(p.s.error?.message).toMatch(/not \{ psk\?, x509\? \} credentials/);
    }
  });

  it('a DtlsError keeps its own alert', async () => {
    const p = sniPair((_n, cb) => cb(new DtlsError(AlertDescription.access_denied, 'not for you')), {
      client: { servername: 'a.example', psk: clientPsk(KEY_A) },
    });
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.access_denied);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.access_denied);
  });

  it('no credentials for a name: the defaults serve (node:tls keeps its default context)', async () => {
    const calls: string[] = [];
    const p = new Pair({
      server: {
        SNICallback: (n, cb) => {
          calls.push(n);
          cb(null);
        },
      },
      client: { servername: 'other.example' },
    });
    await p.handshake();
    expect(calls).toEqual(['other.example']);
  });

  it('a client that sends no server_name: not asked; the defaults serve, or without them handshake_failure', async () => {
    const calls: string[] = [];
    const sni: SNICallback = (n, cb) => {
      calls.push(n);
      cb(null, PER_NAME[n]);
    };
    const withDefaults = new Pair({ server: { SNICallback: sni } });
    await withDefaults.handshake();
    expect(withDefaults.s.servername).toBeUndefined();
    // An IP address is never sent as a server_name (RFC 6066 3).
    const ip = new Pair({ server: { SNICallback: sni }, client: { servername: '127.0.0.1' } });
    await ip.handshake();
    expect(calls).toEqual([]);

    const without = sniPair(sni);
    without.start();
    await without.run(10_000);
    expectLocalFailure(without.s, without.serverEvents, AlertDescription.handshake_failure);
    expect(without.s.error?.message).toMatch(/no server_name, and there are no default credentials/);
    expectPeerFailure(without.client, without.clientEvents, AlertDescription.handshake_failure);
    expect(calls).toEqual([]);
  });

  it('the first answer counts: a second call of cb, or a Promise that settles after cb, changes nothing', async () => {
    const p = sniPair(
      async (n, cb) => {
        cb(null, PER_NAME[n]);
        cb(new Error('second answer'));
        return PER_NAME['b.example'];
      },
      { client: { servername: 'a.example', psk: clientPsk(KEY_A) } },
    );
    await p.handshake();
  });

  it('must be a function', () => {
    // As plain JavaScript would pass it (the types would refuse it).
    expect(() => Reflect.construct(ServerEndpoint, [{ psk: serverPsk(), SNICallback: 'x' }])).toThrow(/SNICallback must be a function/);
  });
});

describe('SNICallback in DTLS 1.3 (RFC 6066 3 as RFC 8446 4.3.1 carries it: the acknowledgement in EncryptedExtensions)', () => {
  const V13 = { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } as const;
  const sni13 = (sni: SNICallback, client: PairOptions['client'], server: PairOptions['server'] = {}): Pair =>
    new Pair({ server: { psk: undefined, SNICallback: sni, ...V13, ...server }, client: { ...V13, ...client } });

  it('the external PSK is looked up in the credentials of the name the client sent', async () => {
    for (const [name, key] of [
      ['a.example', KEY_A],
      ['b.example', KEY_B],
    ] as const) {
      const calls: string[] = [];
      const p = sni13((servername, cb) => {
        calls.push(servername);
        cb(null, PER_NAME[servername]);
      }, { servername: name, psk: clientPsk(key) });
      await p.handshake();
      expect(p.client.protocol).toBe('DTLSv1.3');
      expect(calls).toEqual([name]);
      expect(p.s.servername).toBe(name);
    }
    // The key of another name does not do.
    const wrong = sni13((n, cb) => cb(null, PER_NAME[n]), { servername: 'a.example', psk: clientPsk(KEY_B) });
    wrong.start();
    await wrong.run(10_000);
    expect(wrong.client.state).toBe('closed');
  });

  it('a certificate for a name, answered later by a Promise, on a server whose defaults are PSK only: the client checks that certificate', async () => {
    const p = sni13(
      (name) => new Promise<ServerCredentials | undefined>((resolve) => setTimeout(() => resolve(name === 'localhost' ? { x509: serverX509('ecdsa') } : undefined), 20)),
      { psk: undefined, x509: clientX509(), servername: 'localhost' },
      { psk: serverPsk() },
    );
    p.start();
    for (let i = 0; i < 10 && p.server?.handshakeState !== 'wait_sni'; i++) p.step();
    // While it waits the server sends nothing.
    expect(p.server?.handshakeState).toBe('wait_sni');
    expect(p.server?.datagramsToSend()).toEqual([]);
    await p.run(10_000);
    expect(p.client.state).toBe('established');
    expect(p.client.protocol).toBe('DTLSv1.3');
    expect(p.client.authorized).toBe(true);
    expect(p.client.peerCertificates.length).toBeGreaterThan(0);
  });

  it('no credentials for a name: the defaults serve; a refusal is unrecognized_name, and the client is told', async () => {
    const defaults = sni13((_n, cb) => cb(null), { servername: 'other.example', ALPNProtocols: ['coap'] }, { psk: serverPsk(), ALPNProtocols: ['mqtt', 'coap'] });
    await defaults.handshake();
    // A 1.3-only ClientHello carries ALPN too (RFC 8446 4.2), answered in EncryptedExtensions.
    expect(defaults.client.alpnProtocol).toBe('coap');
    const refused = sni13((_n, cb) => cb(new Error('unknown host')), { servername: 'a.example', psk: clientPsk(KEY_A) });
    refused.start();
    await refused.run(10_000);
    expectLocalFailure(refused.s, refused.serverEvents, AlertDescription.unrecognized_name);
    expect(refused.s.error?.message).toMatch(/SNICallback refused "a.example": unknown host/);
    expectPeerFailure(refused.client, refused.clientEvents, AlertDescription.unrecognized_name);
  });
});

describe('ALPNCallback', () => {
  const alpnPair = (alpn: (info: { servername: string | undefined; protocols: string[] }) => string | undefined, offered?: string[]): Pair =>
    new Pair({ server: { ALPNCallback: alpn }, client: { servername: 'a.example', ALPNProtocols: offered ?? ['x/1', 'y/2', 'z/3'] } });

  it('chooses one of the client protocols; it sees the server_name and the offer', async () => {
    const seen: unknown[] = [];
    const p = alpnPair((info) => {
      seen.push(info);
      return 'y/2';
    });
    await p.handshake();
    expect(seen).toEqual([{ servername: 'a.example', protocols: ['x/1', 'y/2', 'z/3'] }]);
    expect(p.s.alpnProtocol).toBe('y/2');
    expect(p.client.alpnProtocol).toBe('y/2');
  });

  it('runs after SNICallback has answered', async () => {
    const order: string[] = [];
    const p = new Pair({
      server: {
        SNICallback: (n, cb) =>
          void setTimeout(() => {
            order.push('sni');
            cb(null, PER_NAME[n]);
          }, 5),
        ALPNCallback: ({ protocols }) => {
          order.push('alpn');
          return protocols[0];
        },
        psk: undefined,
      },
      client: { servername: 'b.example', psk: clientPsk(KEY_B), ALPNProtocols: ['coap'] },
    });
    await p.handshake();
    expect(order).toEqual(['sni', 'alpn']);
    expect(p.client.alpnProtocol).toBe('coap');
  });

  it('undefined refuses the connection: no_application_protocol (RFC 7301 3.2), and the client is told', async () => {
    const p = alpnPair(() => undefined);
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.no_application_protocol);
    expect(p.s.error?.message).toMatch(/ALPNCallback chose none of the client's protocols \(x\/1, y\/2, z\/3\)/);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.no_application_protocol);
  });

  it('a protocol the client did not offer: no_application_protocol, naming it', async () => {
    const p = alpnPair(() => 'h2');
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.no_application_protocol);
    expect(p.s.error?.message).toMatch(/ALPNCallback returned "h2", which the client did not offer/);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.no_application_protocol);
  });

  it('a throw: internal_error with its message', async () => {
    const p = alpnPair(() => {
      throw new Error('oops');
    });
    p.start();
    await p.run(10_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.internal_error);
    expect(p.s.error?.message).toMatch(/ALPNCallback failed: oops/);
  });

  it('not called when the client offers no ALPN; alpnProtocol is false', async () => {
    let called = 0;
    const p = new Pair({
      server: {
        ALPNCallback: () => {
          called++;
          return 'x';
        },
      },
    });
    await p.handshake();
    expect(called).toBe(0);
    expect(p.s.alpnProtocol).toBe(false);
  });

  it('with ALPNProtocols too: a TypeError (node:tls ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS)', () => {
    expect(() => new ServerEndpoint({ psk: serverPsk(), ALPNProtocols: ['a'], ALPNCallback: () => 'a' })).toThrow(
      /give ALPNProtocols or ALPNCallback, not both/,
    );
  });
});
