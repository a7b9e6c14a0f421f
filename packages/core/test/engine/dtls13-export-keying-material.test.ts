/**
 * DtlsConnection.exportKeyingMaterial() in DTLS 1.3: the TLS 1.3 exporter (RFC 8446 7.5) from the
 * exporter_master_secret, with DTLS 1.3's "dtls13" label prefix (RFC 9147 5.9). Before, it looked
 * for a DTLS 1.2 master secret only and threw "keying material is available only after the
 * handshake" on every established 1.3 connection. exportKeyingMaterial13 itself is checked against
 * OpenSSL in test/crypto/exporter-13-openssl.test.ts; here both ends agree and use the secret the
 * key log names (EXPORTER_SECRET).
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { exportKeyingMaterial13 } from '../../src/crypto/exporter-13.js';
import { DTLS13_LABEL_PREFIX } from '../../src/crypto/hkdf-label.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { Pair } from './harness.js';

const V13 = { maxVersion: 'DTLSv1.3' } as const;

describe('exportKeyingMaterial() in DTLS 1.3 (RFC 8446 7.5, RFC 9147 5.9)', () => {
  it('both ends export the same bytes, from the EXPORTER_SECRET of the key log with the dtls13 prefix', async () => {
    const p = await new Pair({ client: V13, server: V13 }).handshake();
    expect(p.client.protocol).toBe('DTLSv1.3');
    const context = new Uint8Array([1, 2, 3]);
    const ours = p.client.exportKeyingMaterial(42, 'EXPERIMENTAL dtls-kit', context);
    expect(toHex(p.s.exportKeyingMaterial(42, 'EXPERIMENTAL dtls-kit', context))).toBe(toHex(ours));
    const line = p.client.keyLogLines.find((l) => l.startsWith('EXPORTER_SECRET '));
    const secret = fromHex(line?.split(' ')[2] ?? '');
    const kdf = { provider: nodeCryptoProvider, hash: 'sha256', labelPrefix: DTLS13_LABEL_PREFIX } as const;
    expect(toHex(ours)).toBe(toHex(exportKeyingMaterial13(kdf, secret, 'EXPERIMENTAL dtls-kit', context, 42)));
    // Another label, another length: other bytes.
    expect(toHex(p.client.exportKeyingMaterial(42, 'EXPERIMENTAL other'))).not.toBe(toHex(ours));
  });
});
