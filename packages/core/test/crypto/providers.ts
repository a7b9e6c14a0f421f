import { createCipheriv } from 'node:crypto';
import { nobleCryptoProvider, _nobleKeyShareFromPrivate } from '../../src/crypto/noble-provider.js';
import { nodeCryptoProvider, _nodeKeyShareFromPrivate } from '../../src/crypto/node-provider.js';
import type { CryptoProvider, KeyShare, NamedGroupName } from '../../src/crypto/provider.js';
import { loadSodiumCryptoProvider } from '../../src/crypto/sodium-provider.js';
import { loadNativeCryptoProvider } from '../../src/crypto/native-provider.js';
import type { BlockEncrypt } from '../../src/crypto/aes-ccm.js';
import { unsafe } from '@noble/ciphers/aes.js';

/**
 * The sodium-native provider: loaded, never skipped (sodium-native is core's optional dependency,
 * installed here; a failure to load fails the tests that use it).
 */
export const sodiumCryptoProvider: CryptoProvider = loadSodiumCryptoProvider();

/**
 * The native-aead provider (OpenSSL EVP through @dtls-kit/native-aead): loaded, never skipped (core's
 * optional dependency, built at install here; a failure to load fails the tests that use it).
 */
export const nativeCryptoProvider: CryptoProvider = loadNativeCryptoProvider();

/** Every provider, each with its test-only "key share from a fixed private key". */
export interface ProviderUnderTest {
  readonly name: string;
  readonly provider: CryptoProvider;
  readonly keyShareFromPrivate: (group: NamedGroupName, privateKey: Uint8Array) => KeyShare;
}

export const PROVIDERS: readonly ProviderUnderTest[] = [
  { name: 'node', provider: nodeCryptoProvider, keyShareFromPrivate: _nodeKeyShareFromPrivate },
  { name: 'noble', provider: nobleCryptoProvider, keyShareFromPrivate: _nobleKeyShareFromPrivate },
  // Its key shares are node:crypto's (it delegates everything but ChaCha20-Poly1305).
  { name: 'sodium', provider: sodiumCryptoProvider, keyShareFromPrivate: _nodeKeyShareFromPrivate },
  // Likewise node:crypto's key shares (it delegates everything but AES-GCM and ChaCha20-Poly1305).
  { name: 'native', provider: nativeCryptoProvider, keyShareFromPrivate: _nodeKeyShareFromPrivate },
];

/** Two independent AES block functions for the generic CCM code: OpenSSL's ECB and noble's. */
export const BLOCK_CIPHERS: readonly { readonly name: string; readonly make: (key: Uint8Array) => BlockEncrypt }[] = [
  {
    name: 'node aes-ecb',
    make: (key: Uint8Array): BlockEncrypt => {
      const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
      return (block: Uint8Array): Uint8Array => ecb.update(block);
    },
  },
  {
    name: 'noble unsafe.encryptBlock',
    make: (key: Uint8Array): BlockEncrypt => {
      const xk = unsafe.expandKeyLE(key);
      return (block: Uint8Array): Uint8Array => unsafe.encryptBlock(xk, block);
    },
  },
];
