/**
 * exportKeyingMaterial on a DTLS 1.3 connection: the TLS 1.3 exporter (RFC 8446 7.5) from the
 * exporter_master_secret with RFC 9147 5.9's "dtls13" label prefix, not RFC 5705's PRF over a 1.2
 * master secret (a 1.3 connection has none). The exporter itself is checked against OpenSSL in
 * test/crypto/exporter-13-openssl.test.ts; here both ends must agree, and agree with it over the
 * EXPORTER_SECRET their key log names.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { exportKeyingMaterial13 } from '../../src/crypto/exporter-13.js';
import { DTLS13_LABEL_PREFIX } from '../../src/crypto/hkdf-label.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { Pair } from './harness.js';

const V13 = { maxVersion: 'DTLSv1.3' } as const;
const LABEL = 'EXTRACTOR-dtls_srtp';
const CONTEXT = new TextEncoder().encode('session-1');

function exporterSecret(lines: readonly string[]): Uint8Array {
  const line = lines.find((l) => l.startsWith('EXPORTER_SECRET '));
  if (line === undefined) throw new Error(`no EXPORTER_SECRET in ${lines.join('\n')}`);
  return fromHex(line.split(' ')[2] ?? '');
}

describe('DTLS 1.3 exportKeyingMaterial (RFC 8446 7.5, RFC 9147 5.9)', () => {
  it.each([
    ['PSK, TLS_AES_128_GCM_SHA256', { client: V13, server: V13 }, 'sha256'],
    [
      'certificates, TLS_AES_256_GCM_SHA384',
      { client: { ...V13, psk: undefined, x509: clientX509() }, server: { ...V13, psk: undefined, x509: serverX509('ecdsa'), cipherSuites: ['TLS_AES_256_GCM_SHA384'] } },
      'sha384',
    ],
  ] as const)('%s: both ends derive the same bytes, the exporter over EXPORTER_SECRET', async (_name, options, hash) => {
    const p = await new Pair(options).handshake();
    expect(p.client.protocol).toBe('DTLSv1.3');
    const client = p.client.exportKeyingMaterial(32, LABEL, CONTEXT);
    expect(toHex(p.s.exportKeyingMaterial(32, LABEL, CONTEXT))).toBe(toHex(client));
    const kdf = { provider: nodeCryptoProvider, hash, labelPrefix: DTLS13_LABEL_PREFIX } as const;
    expect(toHex(client)).toBe(toHex(exportKeyingMaterial13(kdf, exporterSecret(p.client.keyLogLines), LABEL, CONTEXT, 32)));
    // Another context or label, other bytes; no context is the empty one in 1.3 (RFC 8446 7.5).
    expect(toHex(p.client.exportKeyingMaterial(32, LABEL))).not.toBe(toHex(client));
    expect(toHex(p.client.exportKeyingMaterial(32, LABEL))).toBe(toHex(p.s.exportKeyingMaterial(32, LABEL, new Uint8Array(0))));
    expect(toHex(p.client.exportKeyingMaterial(32, 'EXPERIMENTAL other', CONTEXT))).not.toBe(toHex(client));
  });
});
