/**
 * The secrets of the TLS 1.3 key schedule (RFC 8446 7.1), which DTLS 1.3 uses unchanged but
 * for the label prefix (RFC 9147 5.9, see LabelledHkdf):
 *
 *              0
 *              v
 *    PSK ->  HKDF-Extract = Early Secret  --> binder_key, client_early_traffic_secret,
 *              |                              early_exporter_master_secret
 *        Derive-Secret(., "derived", "")
 *              v
 * (EC)DHE -> HKDF-Extract = Handshake Secret --> client/server_handshake_traffic_secret
 *              |
 *        Derive-Secret(., "derived", "")
 *              v
 *    0 -> HKDF-Extract = Master Secret --> client/server_application_traffic_secret_0,
 *                                          exporter_master_secret, resumption_master_secret
 *
 * Each function takes the transcript hash its RFC line names (Transcript13 computes it), so the
 * caller states which messages a secret covers at the place it derives it.
 */

import { HASH_LENGTH, hkdfExtract } from './hkdf.js';
import { type LabelledHkdf, deriveSecret, emptyHash } from './hkdf-label.js';

/** HashLen zero bytes: the PSK without one, the (EC)DHE input of psk_ke, the IKM of the master secret (RFC 8446 7.1). */
function zeros(kdf: LabelledHkdf): Uint8Array {
  return new Uint8Array(HASH_LENGTH[kdf.hash]);
}

/**
 * Early Secret = HKDF-Extract(0, PSK), where PSK is HashLen zeros when no PSK is used (RFC 8446 7.1).
 * A PSK is checked non-empty: an empty one would be the no-PSK case in disguise.
 */
export function earlySecret(kdf: LabelledHkdf, psk?: Uint8Array): Uint8Array {
  if (psk !== undefined && psk.length === 0) throw new RangeError('a PSK must not be empty');
  return hkdfExtract(kdf.provider, kdf.hash, zeros(kdf), psk ?? zeros(kdf));
}

/**
 * binder_key = Derive-Secret(Early Secret, "ext binder" | "res binder", ""): "ext" for an
 * external PSK, "res" for a resumption PSK, so one can never pass for the other (RFC 8446 7.1).
 */
export function binderKey(kdf: LabelledHkdf, early: Uint8Array, kind: 'external' | 'resumption'): Uint8Array {
  return deriveSecret(kdf, early, kind === 'external' ? 'ext binder' : 'res binder', emptyHash(kdf));
}

/** client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello) (RFC 8446 7.1). */
export function clientEarlyTrafficSecret(kdf: LabelledHkdf, early: Uint8Array, clientHelloHash: Uint8Array): Uint8Array {
  return deriveSecret(kdf, early, 'c e traffic', clientHelloHash);
}

/** early_exporter_master_secret = Derive-Secret(Early Secret, "e exp master", ClientHello) (RFC 8446 7.1). */
export function earlyExporterMasterSecret(kdf: LabelledHkdf, early: Uint8Array, clientHelloHash: Uint8Array): Uint8Array {
  return deriveSecret(kdf, early, 'e exp master', clientHelloHash);
}

/**
 * Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE), where
 * the (EC)DHE input is HashLen zeros for psk_ke (no key share, RFC 8446 7.1).
 */
export function handshakeSecret(kdf: LabelledHkdf, early: Uint8Array, sharedSecret?: Uint8Array): Uint8Array {
  const salt = deriveSecret(kdf, early, 'derived', emptyHash(kdf));
  return hkdfExtract(kdf.provider, kdf.hash, salt, sharedSecret ?? zeros(kdf));
}

/** client_handshake_traffic_secret = Derive-Secret(Handshake Secret, "c hs traffic", ClientHello...ServerHello). */
export function clientHandshakeTrafficSecret(kdf: LabelledHkdf, handshake: Uint8Array, helloHash: Uint8Array): Uint8Array {
  return deriveSecret(kdf, handshake, 'c hs traffic', helloHash);
}

/** server_handshake_traffic_secret = Derive-Secret(Handshake Secret, "s hs traffic", ClientHello...ServerHello). */
export function serverHandshakeTrafficSecret(kdf: LabelledHkdf, handshake: Uint8Array, helloHash: Uint8Array): Uint8Array {
  return deriveSecret(kdf, handshake, 's hs traffic', helloHash);
}

/** Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0) (RFC 8446 7.1). */
export function masterSecret(kdf: LabelledHkdf, handshake: Uint8Array): Uint8Array {
  const salt = deriveSecret(kdf, handshake, 'derived', emptyHash(kdf));
  return hkdfExtract(kdf.provider, kdf.hash, salt, zeros(kdf));
}

/** client_application_traffic_secret_0 = Derive-Secret(Master Secret, "c ap traffic", ClientHello...server Finished). */
export function clientApplicationTrafficSecret(kdf: LabelledHkdf, master: Uint8Array, serverFinishedHash: Uint8Array): Uint8Array {
  return deriveSecret(kdf, master, 'c ap traffic', serverFinishedHash);
}

/** server_application_traffic_secret_0 = Derive-Secret(Master Secret, "s ap traffic", ClientHello...server Finished). */
export function serverApplicationTrafficSecret(kdf: LabelledHkdf, master: Uint8Array, serverFinishedHash: Uint8Array): Uint8Array {
  return deriveSecret(kdf, master, 's ap traffic', serverFinishedHash);
}

/** exporter_master_secret = Derive-Secret(Master Secret, "exp master", ClientHello...server Finished). */
export function exporterMasterSecret(kdf: LabelledHkdf, master: Uint8Array, serverFinishedHash: Uint8Array): Uint8Array {
  return deriveSecret(kdf, master, 'exp master', serverFinishedHash);
}

/** resumption_master_secret = Derive-Secret(Master Secret, "res master", ClientHello...client Finished). */
export function resumptionMasterSecret(kdf: LabelledHkdf, master: Uint8Array, clientFinishedHash: Uint8Array): Uint8Array {
  return deriveSecret(kdf, master, 'res master', clientFinishedHash);
}
