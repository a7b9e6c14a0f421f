import { AlertDescription } from '../../alert.js';
import { binderKey, earlySecret } from '../../crypto/key-schedule-13.js';
import { checkPskBinder } from '../../crypto/psk-binder.js';
import { tlsHandshakeMessage } from '../../crypto/transcript-13.js';
import { DtlsError, IllegalParameterError } from '../../errors.js';
import { findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { bindersLength, checkPreSharedKeyLast, decodeOfferedPsks, type OfferedPsks } from '../extensions/pre-shared-key.js';
import { decodePskKeyExchangeModes, PskKeyExchangeMode } from '../extensions/psk-key-exchange-modes.js';
import { HandshakeType } from '../handshake-type.js';
import type { ClientHello2 } from './server-client-hello-2.js';

/** The PSKs a ClientHello offers (RFC 8446 4.2.11) and the modes it allows them in (4.2.9). */
export interface PskOffer13 {
  readonly offered: OfferedPsks;
  /** psk_dhe_ke allowed: the PSK with a key share. */
  readonly dhe: boolean;
  /** psk_ke allowed: the PSK alone. */
  readonly ke: boolean;
}

/**
 * The client's PSK offer, if any. RFC 8446 4.2.11: pre_shared_key "MUST be the last extension in
 * the ClientHello" (illegal_parameter); 4.2.9: "If clients offer "pre_shared_key" without a
 * "psk_key_exchange_modes" extension, servers MUST abort the handshake" (missing_extension, 6.2).
 */
export function pskOffer13(ch: ClientHello2): PskOffer13 | undefined {
  const ext = findExtension(ch.hello.extensions, ExtensionType.pre_shared_key);
  if (ext === undefined) return undefined;
  checkPreSharedKeyLast(ch.hello.extensions);
  const modesExt = findExtension(ch.hello.extensions, ExtensionType.psk_key_exchange_modes);
  if (modesExt === undefined) throw new DtlsError(AlertDescription.missing_extension, 'pre_shared_key offered without psk_key_exchange_modes');
  const modes = decodePskKeyExchangeModes(modesExt.data);
  const offered = decodeOfferedPsks(ext.data);
  if (offered.identities.length !== offered.binders.length) {
    throw new IllegalParameterError(`pre_shared_key: ${offered.identities.length} identities but ${offered.binders.length} binders`);
  }
  return { offered, dhe: modes.includes(PskKeyExchangeMode.psk_dhe_ke), ke: modes.includes(PskKeyExchangeMode.psk_ke) };
}

/**
 * RFC 8446 4.2.11: before selecting identity `index` with its external `key` the server "MUST
 * validate the corresponding binder value"; the binder is an HMAC under binder_key ("ext binder")
 * over the transcript so far — after a HelloRetryRequest, message_hash(ClientHello1) and the
 * HelloRetryRequest — and the ClientHello truncated before its binders list (4.2.11.2), with its
 * header giving the full length. A wrong binder is decrypt_error (6.2). Returns the Early Secret
 * it derived from `key` (RFC 8446 7.1), which the handshake secret goes on from.
 */
export function checkExternalPskBinder(ch: ClientHello2, offer: PskOffer13, index: number, key: Uint8Array): Uint8Array {
  const binder = offer.offered.binders[index];
  if (binder === undefined) throw new IllegalParameterError(`pre_shared_key: no binder ${index}`);
  const truncated = tlsHandshakeMessage(HandshakeType.client_hello, ch.body).subarray(0, 4 + ch.body.length - bindersLength(offer.offered.binders));
  const early = earlySecret(ch.kdf, key);
  checkPskBinder(ch.kdf, binderKey(ch.kdf, early, 'external'), ch.transcript.hashWith(ch.kdf.provider, ch.kdf.hash, truncated), binder);
  return early;
}
