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
module.exports = binding;
