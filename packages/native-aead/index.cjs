'use strict';
// The compiled addon (scripts/build-addon.mjs, run at install). Loading throws when it was not
// built or does not load here: @dtls-kit/core's native provider then says why and is undefined.
let binding;
try {
  binding = require('./build/Release/native_aead.node');
} catch (cause) {
  const detail = cause instanceof Error ? cause.message : String(cause);
  throw new Error(`@dtls-kit/native-aead: the addon is not built or does not load here (${detail}); rebuild it with \`node scripts/build-addon.mjs\``, { cause });
}
// Named one by one (not `module.exports = binding`): Node's ESM loader sees CommonJS named exports
// only in assignments it can read statically, so `import { seal } from '@dtls-kit/native-aead'` works.
exports.createContext = binding.createContext;
exports.seal = binding.seal;
exports.open = binding.open;
exports.createMaskContext = binding.createMaskContext;
exports.mask = binding.mask;
exports.openssl = binding.openssl;
exports.TAG_LENGTH = binding.TAG_LENGTH;
exports.NONCE_LENGTH = binding.NONCE_LENGTH;
