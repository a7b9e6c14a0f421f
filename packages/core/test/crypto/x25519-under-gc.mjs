// Child process of x25519-under-gc.test.ts: X25519 key shares from the node provider, generated
// and used in a loop while the young generation is kept tiny (--max-semi-space-size=1), so that
// garbage collections land inside node:crypto calls. Prints "done <rounds>" when it finishes.
import { nodeCryptoProvider } from '../../dist/index.js';

const rounds = Number(process.argv[2]);
const peer = nodeCryptoProvider.generateKeyShare('x25519');
for (let i = 0; i < rounds; i++) {
  const share = nodeCryptoProvider.generateKeyShare('x25519');
  share.deriveSecret(peer.publicKey);
}
console.log(`done ${rounds}`);
