import { IllegalParameterError } from '../../errors.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { bindersLength, checkPreSharedKeyLast, decodeOfferedPsks } from '../extensions/pre-shared-key.js';
import { decodeClientHello } from './client-hello.js';

/*
 * RFC 8446 4.2.11.2: each PSK binder is an HMAC over the transcript "up to and including the
 * PreSharedKeyExtension.identities field", i.e. the ClientHello without its binders list (which
 * ends the message, pre_shared_key being the last extension), its header still giving the full
 * length. In DTLS 1.3 that header is the TLS 4-byte one (RFC 9147 5.2).
 */

/**
 * The ClientHello body without the binders list at its end (a view of `body`): what the binders
 * are computed over, after the 4-byte header. DecodeError on a malformed hello; illegal_parameter
 * when it has no pre_shared_key, or not as the last extension.
 */
export function truncateClientHelloBinders(body: Uint8Array): Uint8Array {
  const hello = decodeClientHello(body);
  checkPreSharedKeyLast(hello.extensions);
  const last = hello.extensions[hello.extensions.length - 1];
  if (last === undefined || last.type !== ExtensionType.pre_shared_key) {
    throw new IllegalParameterError('ClientHello without pre_shared_key: it has no binders');
  }
  const offered = decodeOfferedPsks(last.data);
  return body.subarray(0, body.length - bindersLength(offered.binders));
}
