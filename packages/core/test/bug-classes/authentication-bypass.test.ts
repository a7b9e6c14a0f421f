/**
 * Bug class 1: authentication bypass — the state-machine flaws Fiterău-Broştean et al. found
 * in DTLS stacks (USENIX Security 2020): a peer that skips the messages that authenticate it
 * (ServerKeyExchange, ClientKeyExchange, CertificateVerify), sends its Finished before its
 * ChangeCipherSpec, or sends application data before its Finished. Each is refused with the
 * RFC's alert on the detecting side (unexpected_message, RFC 5246 7.2.2; decrypt_error for a
 * Finished that does not verify, 7.4.9), the peer is told, and no handshake completes.
 *
 * Covered elsewhere and not repeated:
 * - client Certificate without CertificateVerify, server requiring client certificates
 *   (unexpected_message): ../engine/certificates-negative.test.ts "Certificate without CertificateVerify";
 * - client Finished before ChangeCipherSpec, and a Finished in place of the ClientKeyExchange
 *   (unexpected_message at the server): ../engine/state-machine.test.ts "server: unexpected client messages";
 * - ECDHE_PSK ServerHelloDone without ServerKeyExchange: ../engine/state-machine.test.ts;
 * - application data in epoch 0, and server data overtaking the server Finished: ../engine/records.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { utf8 } from '../../src/bytes.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import type { HandshakeFragment } from '../../src/handshake/handshake-header.js';
import { ContentType } from '../../src/record/content-type.js';
import { editHandshake, expectLocalFailure, expectPeerFailure, Pair, recordsOf, type Tap } from '../engine/harness.js';
import { handshakeTypes, records } from '../support/wire.js';
import { encodeRecord } from '../../src/record/record-header.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { datagram, forgedHandshake, reassemblerOf, tamperProtectedHandshake } from './inject.js';

const PSK = 'PSK-AES128-GCM-SHA256';
const ECDHE_PSK = 'ECDHE-PSK-CHACHA20-POLY1305';
const ECDSA = 'ECDHE-ECDSA-AES128-GCM-SHA256';

/** A server that skips messages of its flight 4: `skip` types vanish, the rest are renumbered to close the gap. */
function skippingServer(skip: readonly number[], replaceWith?: number): Tap {
  return (d, dir) => {
    if (dir !== 's2c' || !handshakeTypes(d).includes(HandshakeType.server_hello)) return [d];
    let removed = 0;
    let firstRemoved: HandshakeFragment | undefined;
    return [
      editHandshake(d, (f) => {
        if (skip.includes(f.msgType)) {
          removed++;
          firstRemoved ??= f;
          if (replaceWith !== undefined && f === firstRemoved) {
            removed--;
            return [{ ...f, msgType: replaceWith, length: 12, fragmentOffset: 0, body: new Uint8Array(12) }];
          }
          return [];
        }
        return [{ ...f, messageSeq: f.messageSeq - removed }];
      }),
    ];
  };
}

function certPair(tap?: Tap): Pair {
  return new Pair({
    // One datagram per flight (no fragmentation), so the tap sees the whole flight 4 at once.
    client: { cipherSuites: ECDSA, x509: clientX509(), servername: 'localhost', mtu: 9000 },
    server: { cipherSuites: ECDSA, x509: serverX509('ecdsa'), mtu: 9000 },
    tap,
  });
}

describe('a server that skips what authenticates it (the client refuses)', () => {
  it.each([
    [PSK, 'ServerHello then Finished (no ServerHelloDone)', [HandshakeType.server_hello_done], HandshakeType.finished, 'wait_server_key_exchange'],
    [ECDHE_PSK, 'ServerHello then Finished (no ServerKeyExchange)', [HandshakeType.server_key_exchange, HandshakeType.server_hello_done], HandshakeType.finished, 'wait_server_key_exchange'],
  ])('%s: %s → unexpected_message, and the server is told', async (suite, _name, skip, replaceWith, state) => {
    const p = new Pair({ client: { cipherSuites: suite }, tap: skippingServer(skip, replaceWith) }).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expect(p.client.error?.message).toContain(state);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
  });

  it.each([
    ['no Certificate, no ServerKeyExchange (ServerHello, ServerHelloDone)', [HandshakeType.certificate, HandshakeType.server_key_exchange], undefined, 'wait_certificate'],
    ['no ServerKeyExchange (Certificate, ServerHelloDone)', [HandshakeType.server_key_exchange], undefined, 'wait_server_key_exchange'],
    ['Finished in place of the Certificate', [HandshakeType.certificate, HandshakeType.server_key_exchange, HandshakeType.server_hello_done], HandshakeType.finished, 'wait_certificate'],
    ['Finished in place of the ServerKeyExchange', [HandshakeType.server_key_exchange, HandshakeType.server_hello_done], HandshakeType.finished, 'wait_server_key_exchange'],
  ])('ECDHE_ECDSA, %s → unexpected_message, and the server is told', async (_name, skip, replaceWith, state) => {
    const p = certPair(skippingServer(skip, replaceWith)).start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expect(p.client.error?.message).toContain(state);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
  });

  it('a server Finished in plaintext before its ChangeCipherSpec → unexpected_message at the client (RFC 5246 7.4.9)', async () => {
    const p = new Pair({ client: { cipherSuites: PSK } });
    p.tap = (d, dir) => {
      // Flight 6 (ChangeCipherSpec, Finished): a plaintext Finished with the right message_seq gets in first.
      if (dir === 's2c' && records(d).some((r) => r.header.type === ContentType.change_cipher_spec)) {
        const next = reassemblerOf(p.client).nextSeq;
        return [datagram(forgedHandshake({ msgType: HandshakeType.finished, messageSeq: next, body: new Uint8Array(12) })), d];
      }
      return [d];
    };
    p.start();
    await p.run();
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expect(p.client.error?.message).toContain('wait_finished');
    expect(p.clientEvents.some((e) => e.type === 'handshake-complete')).toBe(false);
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
  });
});

describe('a client that skips what authenticates it (the server refuses)', () => {
  it('its Finished (sealed under keys the server cannot have) in place of the ClientKeyExchange: never processed, the handshake never completes', async () => {
    const p = new Pair({ client: { cipherSuites: PSK, handshakeTimeoutMs: 5_000 }, server: { handshakeTimeoutMs: 5_000 } });
    p.tap = (d, dir) => (dir === 'c2s' && handshakeTypes(d).includes(HandshakeType.client_key_exchange) ? [editHandshake(d, (f) => (f.msgType === HandshakeType.client_key_exchange ? [] : [f]))] : [d]);
    // Renumber the client's Finished (epoch 1) to the ClientKeyExchange's message_seq.
    tamperProtectedHandshake(p.client, (payload) => {
      const out = payload.slice();
      out[5] = (out[5] ?? 0) - 1;
      return out;
    });
    p.start();
    await p.run(10_000);
    expect(p.serverEvents.some((e) => e.type === 'handshake-complete')).toBe(false);
    expect(p.s.state).toBe('closed');
    expect(p.s.error?.name).toBe('HandshakeTimeoutError');
    expect(p.s.stats.held).toBeGreaterThan(0); // held as next-epoch records, never opened
  });
});

describe('application data before the Finished', () => {
  /** Flight 5 with client application data (epoch 1, sealed by the client) between its ChangeCipherSpec and Finished. */
  function dataBeforeFinished(tamperFinished: boolean): Pair {
    const p = new Pair({ client: { cipherSuites: PSK } });
    if (tamperFinished) {
      tamperProtectedHandshake(p.client, (payload) => {
        const out = payload.slice();
        out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 1;
        return out;
      });
    }
    let done = false;
    p.tap = (d, dir) => {
      if (dir !== 'c2s' || done || !handshakeTypes(d).includes(HandshakeType.client_key_exchange)) return [d];
      done = true;
      const early = recordsOf(p.client).seal(ContentType.application_data, utf8('before finished'));
      const rs = records(d).map((r) => encodeRecord(r.header, r.fragment));
      const finished = rs.pop();
      if (!finished) return [d];
      return [datagram(...rs, early, finished)];
    };
    return p;
  }

  it('with a Finished that does not verify: decrypt_error, and the data is never delivered', async () => {
    const p = dataBeforeFinished(true).start();
    await p.run();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.decrypt_error);
    expect(p.serverEvents.some((e) => e.type === 'data')).toBe(false);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.decrypt_error);
  });

  it('with a good Finished: delivered only after handshake-complete', async () => {
    const p = dataBeforeFinished(false).start();
    await p.run();
    const types = p.serverEvents.map((e) => e.type);
    expect(types.indexOf('handshake-complete')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('data')).toBeGreaterThan(types.indexOf('handshake-complete'));
  });
});
