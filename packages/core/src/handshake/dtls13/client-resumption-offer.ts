import { HASH_LENGTH } from '../../crypto/hkdf.js';
import { DTLS13_LABEL_PREFIX, type LabelledHkdf } from '../../crypto/hkdf-label.js';
import { binderKey, earlySecret } from '../../crypto/key-schedule-13.js';
import { bindersListLength, pskBinder, truncateClientHello } from '../../crypto/psk-binder.js';
import type { CryptoProvider, HashAlgorithm } from '../../crypto/provider.js';
import { tlsHandshakeMessage, type Transcript13 } from '../../crypto/transcript-13.js';
import type { PskIdentityKey } from '../../key-exchange/psk-credentials.js';
import type { ResolvedClientOptions } from '../../options.js';
import { type ClientSession13, obfuscatedTicketAge, ticketUsable13 } from '../../session/client-session-13.js';
import { tls13CipherSuiteById } from '../../suites/tls13-cipher-suites.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { encodeOfferedPsks } from '../extensions/pre-shared-key.js';
import { encodePskKeyExchangeModes, PskKeyExchangeMode } from '../extensions/psk-key-exchange-modes.js';
import { HandshakeType } from '../handshake-type.js';
import { encodeClientHello, type ClientHello } from '../messages/client-hello.js';
import { EXTERNAL_PSK_HASH } from './client-psk-offer.js';

/** One PSK of our pre_shared_key extension (RFC 8446 4.2.11), with what its binder needs. */
export interface OfferedPsk13 {
  readonly kind: 'external' | 'resumption';
  readonly identity: Uint8Array;
  /** 0 for an external PSK (4.2.11); for a ticket, its age obfuscated with ticket_age_add (4.2.11.1). */
  readonly obfuscatedTicketAge: number;
  readonly key: Uint8Array;
  /** The hash the PSK goes with: the binder's, and the only one the server may pick a suite of. */
  readonly hash: HashAlgorithm;
  /** The session a resumption PSK comes from. */
  readonly session: ClientSession13 | undefined;
}

/**
 * The external PSK as offered, tied to `hash` (externalPskHash13; RFC 8446 4.2.11: "If no hash
 * [is associated], SHA-256 MUST be used").
 */
export function externalOffer13(psk: PskIdentityKey, hash: HashAlgorithm = EXTERNAL_PSK_HASH): OfferedPsk13 {
  return { kind: 'external', identity: psk.identity, obfuscatedTicketAge: 0, key: psk.key, hash, session: undefined };
}

/**
 * The session given to connect() as a resumption PSK (RFC 8446 2.2), when it can be offered: a
 * ticket within its lifetime (4.6.1) whose suite we still offer; its identity is the ticket, its
 * age obfuscated (4.2.11.1).
 */
export function resumptionOffer13(config: ResolvedClientOptions, wallNow: number): OfferedPsk13 | undefined {
  const s = config.session13;
  if (s === undefined || !ticketUsable13(s, wallNow)) return undefined;
  const suite = tls13CipherSuiteById(s.suiteId);
  if (suite === undefined || !config.tls13Suites.some((t) => t.id === suite.id)) return undefined;
  if (s.psk.length !== HASH_LENGTH[suite.hash]) return undefined;
  return { kind: 'resumption', identity: s.ticket, obfuscatedTicketAge: obfuscatedTicketAge(s, wallNow), key: s.psk, hash: suite.hash, session: s };
}

/**
 * `hello` with psk_key_exchange_modes (psk_dhe_ke, then psk_ke: RFC 8446 4.2.9) and, last
 * (4.2.11), pre_shared_key offering `psks` with their binders (4.2.11.2): each an HMAC under its
 * PSK's binder_key ("ext binder" or "res binder") over Transcript-Hash(`prefix`,
 * Truncate(ClientHello)) in the PSK's own hash, the ClientHello in its TLS form (RFC 9147 5.2) and
 * truncated before the whole binders list; `prefix` is empty for the first ClientHello, message_hash
 * and the HelloRetryRequest for the second. With no PSK left, both extensions go.
 */
export function withPskBinders(provider: CryptoProvider, hello: ClientHello, psks: readonly OfferedPsk13[], prefix: Transcript13 | undefined): ClientHello {
  const rest = hello.extensions.filter((e) => e.type !== ExtensionType.pre_shared_key && e.type !== ExtensionType.psk_key_exchange_modes);
  if (psks.length === 0) return { ...hello, extensions: rest };
  const modes = { type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes([PskKeyExchangeMode.psk_dhe_ke, PskKeyExchangeMode.psk_ke]) };
  const identities = psks.map((p) => ({ identity: p.identity, obfuscatedTicketAge: p.obfuscatedTicketAge }));
  const lengths = psks.map((p) => HASH_LENGTH[p.hash]);
  const placeholder: ClientHello = {
    ...hello,
    extensions: [...rest, modes, { type: ExtensionType.pre_shared_key, data: encodeOfferedPsks({ identities, binders: lengths.map((n) => new Uint8Array(n)) }) }],
  };
  const truncated = truncateClientHello(tlsHandshakeMessage(HandshakeType.client_hello, encodeClientHello(placeholder)), bindersListLength(lengths));
  const binders = psks.map((p) => {
    const kdf: LabelledHkdf = { provider, hash: p.hash, labelPrefix: DTLS13_LABEL_PREFIX };
    const hash = prefix === undefined ? provider.hash(p.hash, truncated) : prefix.hashWith(provider, p.hash, truncated);
    return pskBinder(kdf, binderKey(kdf, earlySecret(kdf, p.key), p.kind), hash);
  });
  return { ...hello, extensions: [...rest, modes, { type: ExtensionType.pre_shared_key, data: encodeOfferedPsks({ identities, binders }) }] };
}
