import { AlertDescription } from '../../alert.js';
import { HASH_LENGTH } from '../../crypto/hkdf.js';
import { binderKey, earlySecret } from '../../crypto/key-schedule-13.js';
import { DTLS13_LABEL_PREFIX, type LabelledHkdf } from '../../crypto/hkdf-label.js';
import { bindersListLength, pskBinder, truncateClientHello } from '../../crypto/psk-binder.js';
import type { CryptoProvider, HashAlgorithm } from '../../crypto/provider.js';
import type { Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';
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

/**
 * The hash our external PSK is tied to: SHA-384 when every TLS 1.3 suite we offer hashes with it
 * (cipherSuites: ['TLS_AES_256_GCM_SHA384'], as wolfSSL's client does with -l
 * TLS13-AES256-GCM-SHA384 -s, and as our server reads such a hello: server-hello-choice.ts), else
 * RFC 8446 4.2.11's default SHA-256. The binder is made with it, and the server may only pair the
 * PSK with a suite of that hash.
 */
export function externalPskHash13(suites: readonly Tls13CipherSuite[]): HashAlgorithm {
  return suites.length > 0 && suites.every((s) => s.hash === 'sha384') ? 'sha384' : EXTERNAL_PSK_HASH;
}

/**
 * The external PSK a DTLS 1.3 ClientHello offers: asked of the credentials without a hint (TLS 1.3
 * has no PSK identity hint). The binder is in the ClientHello itself (RFC 8446 4.2.11.2), so an
 * application that answers asynchronously holds the ClientHello back until it does.
 */
export function externalPskFor13(credentials: PskClientCredentials): PskIdentityKey | Promise<PskIdentityKey> {
  return credentials.resolve(undefined);
}

/** RFC 8446 4.2.11: the identity is opaque<1..2^16-1>; the key must be there and fit our encodings. */
export function checkedExternalPsk13(psk: PskIdentityKey): PskIdentityKey {
  if (psk.identity.length === 0 || psk.identity.length > 0xffff || psk.key.length === 0 || psk.key.length > 0xffff) {
    throw new DtlsError(AlertDescription.internal_error, 'PSK identity or key has an invalid length');
  }
  return psk;
}

/**
 * `hello` with psk_key_exchange_modes (psk_dhe_ke, then psk_ke: RFC 8446 4.2.9) and, last (4.2.11),
 * pre_shared_key offering `psk` (obfuscated_ticket_age 0 for an external PSK) with its binder
 * (4.2.11.2): HMAC over Transcript-Hash(`prefix`, Truncate(ClientHello)), the ClientHello in its
 * TLS form (RFC 9147 5.2); `prefix` is empty for the first ClientHello, message_hash and the
 * HelloRetryRequest for the second.
 */
export function withPskBinder(provider: CryptoProvider, hello: ClientHello, psk: PskIdentityKey, prefix: Transcript13 | undefined, hash: HashAlgorithm = EXTERNAL_PSK_HASH): ClientHello {
  const kdf: LabelledHkdf = { provider, hash, labelPrefix: DTLS13_LABEL_PREFIX };
  // The binder is as long as the hash (RFC 8446 4.2.11.2: an HMAC).
  const binderLength = HASH_LENGTH[hash];
  const rest = hello.extensions.filter((e) => e.type !== ExtensionType.pre_shared_key && e.type !== ExtensionType.psk_key_exchange_modes);
  const modes = { type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes([PskKeyExchangeMode.psk_dhe_ke, PskKeyExchangeMode.psk_ke]) };
  const identities = [{ identity: psk.identity, obfuscatedTicketAge: 0 }];
  const placeholder: ClientHello = {
    ...hello,
    extensions: [...rest, modes, { type: ExtensionType.pre_shared_key, data: encodeOfferedPsks({ identities, binders: [new Uint8Array(binderLength)] }) }],
  };
  const truncated = truncateClientHello(tlsHandshakeMessage(HandshakeType.client_hello, encodeClientHello(placeholder)), bindersListLength([binderLength]));
  const transcriptHash = prefix === undefined ? provider.hash(hash, truncated) : prefix.hashWith(provider, hash, truncated);
  const binder = pskBinder(kdf, binderKey(kdf, earlySecret(kdf, psk.key), 'external'), transcriptHash);
  return { ...hello, extensions: [...rest, modes, { type: ExtensionType.pre_shared_key, data: encodeOfferedPsks({ identities, binders: [binder] }) }] };
}
