/** node:crypto, with every ephemeral key pair it makes recorded (for the key-share-ahead tests). */
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { CryptoProvider, KeyShare, NamedGroupName } from '../../src/crypto/provider.js';

export function recordingProvider(): { provider: CryptoProvider; made: KeyShare[] } {
  const made: KeyShare[] = [];
  const provider: CryptoProvider = {
    ...nodeCryptoProvider,
    generateKeyShare(group: NamedGroupName): KeyShare {
      const share = nodeCryptoProvider.generateKeyShare(group);
      made.push(share);
      return share;
    },
  };
  return { provider, made };
}
