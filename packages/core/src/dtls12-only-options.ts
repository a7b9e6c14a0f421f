import type { ClientOptions } from './config.js';

/** The options that decide whether a side may offer or accept DTLS 1.3 by default. */
export type Dtls12OnlyView = Pick<ClientOptions, 'srtpProfiles' | 'recordSizeLimit' | 'maxFragmentLength' | 'connectionId'> & {
  readonly x509?: { readonly rawPublicKey?: unknown } | undefined;
};

/**
 * The first option set that our DTLS 1.3 does not carry yet, by its name; undefined when there is
 * none. Such an option keeps the default maxVersion at DTLS 1.2, as GnuTLS turns TLS 1.3 off for
 * a priority string asking for what TLS 1.3 lacks: a client offering 1.3 would otherwise lose the
 * feature without a word whenever the server picks 1.3 (use_srtp for a WebRTC peer, say).
 * - srtpProfiles: use_srtp (RFC 5764) in EncryptedExtensions is not implemented;
 * - recordSizeLimit, maxFragmentLength: RFC 8449 / RFC 6066 4 in 1.3 are not implemented;
 * - connectionId.returnRoutabilityCheck: RFC 9853 for DTLS 1.3 is not implemented;
 * - x509 raw public keys: RFC 7250's certificate types in 1.3 are not implemented.
 */
export function dtls12OnlyOption(options: Dtls12OnlyView): string | undefined {
  if (options.srtpProfiles !== undefined) return 'srtpProfiles';
  if (options.recordSizeLimit !== undefined) return 'recordSizeLimit';
  if (options.maxFragmentLength !== undefined) return 'maxFragmentLength';
  if (options.connectionId?.returnRoutabilityCheck === true) return 'connectionId.returnRoutabilityCheck';
  if (options.x509?.rawPublicKey !== undefined) return 'raw public keys (x509 rawPublicKey)';
  return undefined;
}
