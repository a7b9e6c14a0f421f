import { decodeCbor, encodeCbor } from './codec/cbor.js';
import type { FinishedHandshakeState } from './handshake/common/finished-handshake-state.js';
import type { NegotiatedParameters } from './handshake/common/negotiated-parameters.js';
import type { RecordSizeLimit } from './handshake/common/record-size-negotiation.js';
import { CertificateType } from './handshake/extensions/certificate-type.js';
import type { PeerAddress } from './endpoint/peer-address.js';
import type { EstablishedRecordLayerState } from './record/record-layer.js';
import { srtpProfileById } from './srtp/srtp-profile.js';
import { CIPHER_SUITES } from './suites/registry.js';

/** The tag of this snapshot layout: a snapshot of another layout is refused, not misread. */
export const ESTABLISHED_SNAPSHOT_FORMAT = 'dtls-kit/established/1';

/**
 * What was negotiated, as plain data: the suite and the SRTP profile by their IANA ids, the
 * authorization error by its message, everything else as it was (copies of the bytes).
 */
export interface NegotiatedSnapshot {
  readonly suiteId: number;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  /** The session's master secret: the record keys are derived again from it (RFC 5246 6.3). */
  readonly masterSecret: Uint8Array;
  readonly extendedMasterSecret: boolean;
  readonly encryptThenMac: boolean;
  readonly pskIdentity: Uint8Array | undefined;
  readonly alpnProtocol: string | undefined;
  readonly servername: string | undefined;
  readonly peerCertificates: readonly Uint8Array[];
  readonly peerRawPublicKey: Uint8Array | undefined;
  readonly clientCertificateType: number;
  readonly serverCertificateType: number;
  readonly authorized: boolean;
  readonly authorizationError: { readonly name: string; readonly message: string; readonly code: string | undefined } | undefined;
  readonly connectionId: { readonly receive: Uint8Array; readonly send: Uint8Array } | undefined;
  readonly returnRoutabilityCheck: boolean;
  readonly sessionReused: boolean;
  readonly session: Uint8Array | undefined;
  readonly srtp: { readonly profileId: number; readonly mki: Uint8Array } | undefined;
  readonly recordSizeLimit: RecordSizeLimit | undefined;
}

/** An event the connection had queued and not yet given out (a 'close' never is: a closed connection is not exported). */
export type SnapshotEvent =
  | { readonly type: 'handshake-complete' }
  | { readonly type: 'data'; readonly data: Uint8Array }
  | { readonly type: 'alert'; readonly description: number; readonly name: string };

/**
 * An established DTLS 1.2 connection as plain data — Uint8Arrays, numbers, strings, booleans,
 * arrays and plain objects, so it crosses postMessage (structured clone) or can be encoded into a
 * shared ring — for DtlsConnection.importEstablished() to take it up in another thread or
 * process: a runtime runs the handshake in one place and the established connection in another.
 * It holds the session's secrets: treat it as a key.
 */
export interface EstablishedSnapshot {
  readonly format: typeof ESTABLISHED_SNAPSHOT_FORMAT;
  readonly negotiated: NegotiatedSnapshot;
  readonly records: EstablishedRecordLayerState;
  readonly handshake: FinishedHandshakeState;
  readonly traffic: {
    readonly recordsIn: number;
    readonly applicationRecordsIn: number;
    readonly applicationBytesIn: number;
    readonly applicationRecordsOut: number;
    readonly applicationBytesOut: number;
  };
  readonly wallNow: number;
  readonly peer: PeerAddress | undefined;
  readonly validatedPeers: readonly PeerAddress[];
  /** The peer's current address is not validated (RFC 9146 6 move): sends to it stay bounded. */
  readonly peerUnvalidated: boolean;
  readonly newestEpoch: number;
  readonly newestSequence: number;
  readonly events: readonly SnapshotEvent[];
  /** Datagrams the connection had queued for the peer and not yet given out. */
  readonly datagrams: readonly Uint8Array[];
}

/**
 * A snapshot as bytes (CBOR, RFC 8949: its maps keyed by the field names), for a runtime that
 * hands an established connection to another thread or process through memory of its own (a
 * shared ring, a pipe). Cheaper than node:v8's serializer (no call back into JavaScript per
 * typed array) and readable in any JavaScript runtime. The bytes hold the session's secrets.
 */
export function encodeEstablishedSnapshot(snapshot: EstablishedSnapshot): Uint8Array {
  return encodeCbor(snapshot);
}

function hasSnapshotFormat(value: unknown): value is EstablishedSnapshot {
  return typeof value === 'object' && value !== null && Reflect.get(value, 'format') === ESTABLISHED_SNAPSHOT_FORMAT;
}

/**
 * The snapshot encodeEstablishedSnapshot() wrote. Only the layout tag is checked, not every field:
 * the bytes must come from a party trusted with the connection's keys (this process's other
 * thread, say), as the snapshot itself. CborError for bytes that are not CBOR this reads,
 * TypeError for a data item that is not a snapshot of this layout.
 */
export function decodeEstablishedSnapshot(bytes: Uint8Array): EstablishedSnapshot {
  const value = decodeCbor(bytes);
  if (!hasSnapshotFormat(value)) throw new TypeError(`not an established-connection snapshot of layout ${ESTABLISHED_SNAPSHOT_FORMAT}`);
  return value;
}

function copy(bytes: Uint8Array): Uint8Array;
function copy(bytes: Uint8Array | undefined): Uint8Array | undefined;
function copy(bytes: Uint8Array | undefined): Uint8Array | undefined {
  return bytes?.slice();
}

/** What was negotiated as plain data; TypeError when no suite or master secret exists (not established). */
export function negotiatedSnapshot(n: NegotiatedParameters): NegotiatedSnapshot {
  if (n.suite === undefined || n.masterSecret === undefined) throw new TypeError('nothing is negotiated yet: no suite or master secret');
  const error = n.authorizationError;
  const code: unknown = error === undefined ? undefined : Reflect.get(error, 'code');
  return {
    suiteId: n.suite.id,
    clientRandom: copy(n.clientRandom),
    serverRandom: copy(n.serverRandom),
    masterSecret: copy(n.masterSecret),
    extendedMasterSecret: n.extendedMasterSecret,
    encryptThenMac: n.encryptThenMac,
    pskIdentity: copy(n.pskIdentity),
    alpnProtocol: n.alpnProtocol,
    servername: n.servername,
    peerCertificates: n.peerCertificates.map((c) => c.slice()),
    peerRawPublicKey: copy(n.peerRawPublicKey),
    clientCertificateType: n.clientCertificateType,
    serverCertificateType: n.serverCertificateType,
    authorized: n.authorized,
    authorizationError: error === undefined ? undefined : { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined },
    connectionId: n.connectionId === undefined ? undefined : { receive: n.connectionId.receive.slice(), send: n.connectionId.send.slice() },
    returnRoutabilityCheck: n.returnRoutabilityCheck,
    sessionReused: n.sessionReused,
    session: copy(n.session),
    srtp: n.srtp === undefined ? undefined : { profileId: n.srtp.profile.id, mki: n.srtp.mki.slice() },
    recordSizeLimit: n.recordSizeLimit === undefined ? undefined : { ...n.recordSizeLimit },
  };
}

function certificateType(value: number): CertificateType {
  switch (value) {
    case CertificateType.x509:
      return CertificateType.x509;
    case CertificateType.raw_public_key:
      return CertificateType.raw_public_key;
  }
  throw new TypeError(`unknown certificate type ${value} in snapshot`);
}

/** NegotiatedParameters again; TypeError for a suite or SRTP profile this build does not know. */
export function negotiatedFromSnapshot(s: NegotiatedSnapshot): NegotiatedParameters {
  const suite = CIPHER_SUITES.find((c) => c.id === s.suiteId);
  if (suite === undefined) throw new TypeError(`unknown cipher suite 0x${s.suiteId.toString(16)} in snapshot`);
  let srtp: NegotiatedParameters['srtp'];
  if (s.srtp !== undefined) {
    const profile = srtpProfileById(s.srtp.profileId);
    if (profile === undefined) throw new TypeError(`unknown SRTP profile ${s.srtp.profileId} in snapshot`);
    srtp = { profile, mki: s.srtp.mki };
  }
  const e = s.authorizationError;
  let authorizationError: Error | undefined;
  if (e !== undefined) {
    authorizationError = new Error(e.message);
    authorizationError.name = e.name;
    if (e.code !== undefined) Object.defineProperty(authorizationError, 'code', { value: e.code, enumerable: true });
  }
  return {
    suite,
    // Snapshots are of DTLS 1.2 connections (a suite and a master secret): no TLS 1.3 suite.
    tls13Suite: undefined,
    clientRandom: s.clientRandom,
    serverRandom: s.serverRandom,
    masterSecret: s.masterSecret,
    extendedMasterSecret: s.extendedMasterSecret,
    encryptThenMac: s.encryptThenMac,
    pskIdentity: s.pskIdentity,
    alpnProtocol: s.alpnProtocol,
    servername: s.servername,
    peerCertificates: s.peerCertificates,
    peerRawPublicKey: s.peerRawPublicKey,
    clientCertificateType: certificateType(s.clientCertificateType),
    serverCertificateType: certificateType(s.serverCertificateType),
    authorized: s.authorized,
    authorizationError,
    connectionId: s.connectionId,
    returnRoutabilityCheck: s.returnRoutabilityCheck,
    sessionReused: s.sessionReused,
    session: s.session,
    srtp,
    recordSizeLimit: s.recordSizeLimit,
  };
}
