/**
 * wolfSSL 5.5.4's DTLS 1.3 client against our stateless cookie check (RFC 9147 5.1) over UDP on
 * 127.0.0.1: its first ClientHello gets our HelloRetryRequest, and the second ClientHello it
 * builds from it (cookie echoed, and with -J the share of the group we asked for) verifies. Run
 * from wolfSSL's source root (scripts/peers/build-wolfssl.sh), e.g.:
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p PORT -d -x
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -h 127.0.0.1 -p PORT -d -x -J
 * After the verified ClientHello we end with a handshake_failure alert (the 1.3 server states come
 * next), which wolfSSL must read as one: the test also proves it parsed our HelloRetryRequest.
 * A failed wolfSSL build fails these tests (it never skips them).
 */
import { createSocket, type Socket } from 'node:dgram';
import { runWolfsslClient, wolfsslRoot, type WolfsslClientResult } from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertDescription, AlertLevel } from '../../src/alert.js';
import { CookieCheck, type VerifyResult } from '../../src/endpoint/cookie-check.js';
import { findExtension } from '../../src/handshake/extensions/extension.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { decodeKeyShareClientHello } from '../../src/handshake/extensions/key-share.js';
import { decodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { DTLS_1_2 } from '../../src/handshake/protocol-version.js';
import { ContentType } from '../../src/record/content-type.js';
import { encodeRecord } from '../../src/record/record-header.js';

let socket: Socket | undefined;
beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterEach(() => {
  socket?.close();
  socket = undefined;
});

interface Exchange {
  results: VerifyResult[];
  client: WolfsslClientResult;
}

/** Serves wolfSSL's client with the cookie check alone until a ClientHello verifies, then a fatal alert. */
async function exchange(options: { cipher: string; psk?: boolean; helloRetry?: boolean }): Promise<Exchange> {
  const check = new CookieCheck({ maxVersion: 'DTLSv1.3' });
  const results: VerifyResult[] = [];
  const s = createSocket('udp4');
  socket = s;
  s.on('message', (datagram, rinfo) => {
    const peer = `${rinfo.address}:${rinfo.port}`;
    const result = check.verify(new Uint8Array(datagram), peer, performance.now());
    results.push(result);
    if (result.type === 'reply') s.send(result.datagram, rinfo.port, rinfo.address);
    if (result.type === 'verified') {
      const alert = encodeRecord(
        { type: ContentType.alert, version: DTLS_1_2, epoch: 0, sequenceNumber: result.hello.recordSeq },
        new Uint8Array([AlertLevel.fatal, AlertDescription.handshake_failure]),
      );
      s.send(alert, rinfo.port, rinfo.address);
    }
  });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const client = await runWolfsslClient({ version: '1.3', port: s.address().port, timeoutMs: 8000, ...options });
  return { results, client };
}

function verified(e: Exchange): Extract<VerifyResult, { type: 'verified' }> {
  const v = e.results.find((r): r is Extract<VerifyResult, { type: 'verified' }> => r.type === 'verified');
  if (v === undefined) throw new Error(`no ClientHello verified: ${JSON.stringify(e.results.map((r) => r.type))}\n${e.client.commandLine}\n${e.client.stdout}\n${e.client.stderr}`);
  return v;
}

describe('wolfSSL 5.5.4 DTLS 1.3 client against the stateless HelloRetryRequest cookie', () => {
  it('PSK (TLS13-AES128-GCM-SHA256): HelloRetryRequest, then the second ClientHello with our cookie verifies', async () => {
    const e = await exchange({ cipher: 'TLS13-AES128-GCM-SHA256', psk: true });
    expect(e.results[0]?.type).toBe('reply');
    const v = verified(e);
    expect(v.hello.dtls13?.cipherSuite).toBe(0x1301);
    expect(v.hello.dtls13?.selectedGroup).toBeUndefined();
    expect(v.hello.messageSeq).toBe(1);
    const hello = decodeClientHello(v.hello.body);
    expect(findExtension(hello.extensions, ExtensionType.pre_shared_key)).toBeDefined();
    // It understood our alert: it gave up at once rather than timing out.
    expect(e.client.timedOut).toBe(false);
    expect(e.client.code).not.toBe(0);
  }, 30_000);

  it('SHA-384 (TLS13-AES256-GCM-SHA384): the cookie holds a 48-byte hash and still fits', async () => {
    const v = verified(await exchange({ cipher: 'TLS13-AES256-GCM-SHA384', psk: true }));
    expect(v.hello.dtls13?.cipherSuite).toBe(0x1302);
    expect(v.hello.dtls13?.clientHello1Hash.length).toBe(48);
  }, 30_000);

  it('-J (no key share): our HelloRetryRequest asks for P-256 and the second ClientHello carries that share only', async () => {
    const e = await exchange({ cipher: 'TLS13-AES128-GCM-SHA256', helloRetry: true });
    const [first] = e.results;
    if (first?.type !== 'reply') throw new Error(`first ClientHello: ${first?.type}`);
    const v = verified(e);
    expect(v.hello.dtls13?.selectedGroup).toBe(0x17);
    const shares = findExtension(decodeClientHello(v.hello.body).extensions, ExtensionType.key_share);
    expect(shares && decodeKeyShareClientHello(shares.data).map((s) => s.group)).toEqual([0x17]);
  }, 30_000);
});
