import { AlertDescription } from '../../alert.js';
import { binderKey, earlySecret } from '../../crypto/key-schedule-13.js';
import { DTLS13_LABEL_PREFIX, type LabelledHkdf } from '../../crypto/hkdf-label.js';
import { bindersListLength, pskBinder, truncateClientHello } from '../../crypto/psk-binder.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { tlsHandshakeMessage, type Transcript13 } from '../../crypto/transcript-13.js';
import { DtlsError } from '../../errors.js';
import type { PskClientCredentials, PskIdentityKey } from '../../key-exchange/psk-credentials.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { encodeOfferedPsks } from '../extensions/pre-shared-key.js';
import { PskKeyExchangeMode, encodePskKeyExchangeModes } from '../extensions/psk-key-exchange-modes.js';
import { HandshakeType } from '../handshake-type.js';
import { encodeClientHello, type ClientHello } from '../messages/client-hello.js';

/**
 * RFC 8446 4.2.11: "If no hash [is associated with an external PSK], SHA-256 MUST be used": our
 * binder, and the only hash a server may pair with this PSK.
 */
export const EXTERNAL_PSK_HASH = 'sha256';
const BINDER_LENGTH = 32;

/**
 * The external PSK a DTLS 1.3 ClientHello offers: asked of the credentials without a hint (TLS 1.3
 * has no PSK identity hint), synchronously, since the binder is in the ClientHello itself.
 */
export function externalPskFor13(credentials: PskClientCredentials): PskIdentityKey {
  const chosen = credentials.resolve(undefined);
  if (chosen instanceof Promise) {
    throw new DtlsError(AlertDescription.internal_error, 'a DTLS 1.3 ClientHello needs its PSK at once: the PSK callback returned a Promise');
  }
  return chosen;
}

function kdf256(provider: CryptoProvider): LabelledHkdf {
  return { provider, hash: EXTERNAL_PSK_HASH, labelPrefix: DTLS13_LABEL_PREFIX };
}

/**
 * `hello` with psk_key_exchange_modes (psk_dhe_ke, then psk_ke: RFC 8446 4.2.9) and, last (4.2.11),
 * pre_shared_key offering `psk` (obfuscated_ticket_age 0 for an external PSK) with its binder
 * (4.2.11.2): HMAC over Transcript-Hash(`prefix`, Truncate(ClientHello)), the ClientHello in its
 * TLS form (RFC 9147 5.2); `prefix` is empty for the first ClientHello, message_hash and the
 * HelloRetryRequest for the second.
 */
export function withPskBinder(provider: CryptoProvider, hello: ClientHello, psk: PskIdentityKey, prefix: Transcript13 | undefined): ClientHello {
  const kdf = kdf256(provider);
  const rest = hello.extensions.filter((e) => e.type !== ExtensionType.pre_shared_key && e.type !== ExtensionType.psk_key_exchange_modes);
  const modes = { type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes([PskKeyExchangeMode.psk_dhe_ke, PskKeyExchangeMode.psk_ke]) };
  const identities = [{ identity: psk.identity, obfuscatedTicketAge: 0 }];
  const placeholder: ClientHello = {
    ...hello,
    extensions: [...rest, modes, { type: ExtensionType.pre_shared_key, data: encodeOfferedPsks({ identities, binders: [new Uint8Array(BINDER_LENGTH)] }) }],
  };
  const truncated = truncateClientHello(tlsHandshakeMessage(HandshakeType.client_hello, encodeClientHello(placeholder)), bindersListLength([BINDER_LENGTH]));
  const hash = prefix === undefined ? provider.hash(EXTERNAL_PSK_HASH, truncated) : prefix.hashWith(provider, EXTERNAL_PSK_HASH, truncated);
  const binder = pskBinder(kdf, binderKey(kdf, earlySecret(kdf, psk.key), 'external'), hash);
  return { ...hello, extensions: [...rest, modes, { type: ExtensionType.pre_shared_key, data: encodeOfferedPsks({ identities, binders: [binder] }) }] };
}
