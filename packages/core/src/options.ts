import { checkCookieSecret } from './endpoint/shared-cookie-keys.js';
import type { ALPNCallbackInfo, ClientOptions, DtlsOptions, ServerOptions, SNICallback } from './config.js';
import { KeyShareReserve } from './crypto/key-share-reserve.js';
import { nodeCryptoProvider } from './crypto/node-provider.js';
import type { CryptoProvider, NamedGroupName } from './crypto/provider.js';
import { defaultConnectionIdGenerator, type ConnectionIdGenerator } from './handshake/common/connection-id.js';
import { resolveKeyUpdateOptions, type ResolvedKeyUpdateOptions } from './record/dtls13-key-update-options.js';
import type { RetransmitOptions } from './handshake/common/retransmit-timer.js';
import type { CertificateClientCredentials, CertificateServerCredentials } from './key-exchange/certificate-credentials.js';
import type { PskClientCredentials, PskServerCredentials } from './key-exchange/psk-credentials.js';
import type { CipherSuite, KeyExchangeAlgorithm } from './suites/cipher-suite.js';
import { DEFAULT_CIPHER_SUITES, cipherSuiteById, cipherSuiteByName, parseCipherList } from './suites/registry.js';
import { DEFAULT_MTU, MAX_MTU, MIN_MTU } from './mtu.js';
import { resolveClientSessionOptions, resolveServerSessionOptions, type ResolvedClientSessionOptions, type ResolvedServerSessionOptions } from './session/session-options.js';
import type { SrtpProfile } from './srtp/srtp-profile.js';
import { resolveSrtpMki, resolveSrtpProfiles } from './srtp/srtp-options.js';
import type { MaxFragmentLength } from './handshake/extensions/max-fragment-length.js';
import { maxFragmentLengthOption, recordSizeLimitOption } from './handshake/common/record-size-negotiation.js';
import { dtls12OnlyOption } from './dtls12-only-options.js';
import { resolveVersionRange, type DtlsVersionName } from './protocol-versions.js';
import { requestedTls13Suites, withoutTls13Suites } from './suites/tls13-suite-options.js';
import type { Tls13CipherSuite } from './suites/tls13-cipher-suites.js';
import { resolveGroupOptions } from './handshake/key-exchange/group-options.js';
import type { Tls13GroupName } from './handshake/key-exchange/key-share-groups-13.js';

/**
 * The whole handshake must finish within this many ms by default (handshakeTimeoutMs), in the
 * engine and in both runtimes: the figure RFC 6347 4.2.4.1 caps the doubled retransmission timer
 * at (from 1 s "up to no less than ... 60 seconds").
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 60_000;

/** Options with every default filled in and every value checked once, up front. */
export interface ResolvedOptions {
  readonly provider: CryptoProvider;
  readonly suites: readonly CipherSuite[];
  readonly mtu: number;
  readonly retransmit: RetransmitOptions;
  readonly handshakeTimeoutMs: number;
  readonly replayWindowSize: number;
  readonly requireExtendedMasterSecret: boolean;
  /** With a CBC suite, refuse a peer without encrypt_then_mac (RFC 7366). */
  readonly requireEncryptThenMac: boolean;
  /** Offer (client) and accept (server) encrypt_then_mac (RFC 7366) with CBC suites. */
  readonly encryptThenMac: boolean;
  /** DTLS 1.2's ECDHE curves: the elliptic curves of the `groups` option. */
  readonly groups: readonly NamedGroupName[];
  /** DTLS 1.3's key_share groups (RFC 8446 4.2.7), X25519MLKEM768 included when named. */
  readonly groups13: readonly Tls13GroupName[];
  /** How the ChaCha20 record number mask reads its counter (RFC 9147 4.2.3; DtlsOptions.chacha20MaskCounter). */
  readonly chacha20MaskCounter: 'little-endian' | 'big-endian';
  readonly maxHandshakeMessageLength: number;
  readonly maxHeldRecordBytes: number;
  readonly alpnProtocols: readonly string[];
  /** Length of the CID we ask to receive (RFC 9146 3); undefined when CIDs are off. */
  readonly connectionIdLength: number | undefined;
  /** What makes that CID (the option's `generate`, or serverId + random bytes); undefined when CIDs are off. */
  readonly connectionIdGenerator: ConnectionIdGenerator | undefined;
  /** Outgoing bytes held for an unvalidated new peer address (RFC 9146 6) past its 3x budget. */
  readonly maxUnvalidatedHeldBytes: number;
  /** Offer (client) or accept (server) the RFC 9853 return routability check; only with connection IDs. */
  readonly returnRoutabilityCheck: boolean;
  /**
   * Ephemeral key pairs made ahead of need (DtlsConnection.prepare); undefined when no suite
   * has an ECDHE key exchange and, on a server, DTLS 1.3 is off. A client's options (resolved per connection) hold its own; a
   * server's are shared by its handshakes.
   */
  readonly keyShares: KeyShareReserve | undefined;
  /** DTLS-SRTP profiles offered or accepted, in preference order (RFC 5764 4.1.1); empty: off. */
  readonly srtpProfiles: readonly SrtpProfile[];
  /** Our record_size_limit (RFC 8449 4), 64..2^14; undefined when not set. */
  readonly recordSizeLimit: number | undefined;
  /** The oldest DTLS version offered or accepted (minVersion). */
  readonly minVersion: DtlsVersionName;
  /** The newest DTLS version offered or accepted (maxVersion). */
  readonly maxVersion: DtlsVersionName;
  /** The TLS 1.3 cipher suites offered or accepted in DTLS 1.3 (RFC 8446 B.4), in preference order; empty below 1.3. */
  readonly tls13Suites: readonly Tls13CipherSuite[];
  /** When we update our DTLS 1.3 write key ourselves (RFC 9147 4.5.3). */
  readonly keyUpdate: ResolvedKeyUpdateOptions;
}

export interface ResolvedClientOptions extends ResolvedOptions, ResolvedClientSessionOptions {
  readonly psk: PskClientCredentials | undefined;
  readonly x509: CertificateClientCredentials | undefined;
  readonly servername: string | undefined;
  /** srtp_mki we offer (RFC 5764 4.1.1); empty: none. */
  readonly srtpMki: Uint8Array;
  /** The max_fragment_length we ask for (RFC 6066 4); undefined when not. */
  readonly maxFragmentLength: MaxFragmentLength | undefined;
}

export interface ResolvedServerOptions extends ResolvedOptions, ResolvedServerSessionOptions {
  readonly psk: PskServerCredentials | undefined;
  readonly x509: CertificateServerCredentials | undefined;
  readonly cookieRotationMs: number;
  /** The shared cookie secret (a checked copy); undefined: random per-process secrets. */
  readonly cookieSecret: Uint8Array | undefined;
  readonly maxPskIdentityLength: number;
  /** Credentials per server name (node:tls SNICallback); with it, psk and x509 are only the defaults. */
  readonly sniCallback: SNICallback | undefined;
  /** The protocol for the client's ALPN offer (node:tls ALPNCallback); never given with alpnProtocols. */
  readonly alpnCallback: ((info: ALPNCallbackInfo) => string | undefined) | undefined;
}

/** Every key exchange: what a server whose credentials SNICallback picks per handshake may run. */
const ANY_KEY_EXCHANGE: readonly KeyExchangeAlgorithm[] = ['psk', 'ecdhe_psk', 'ecdhe_ecdsa', 'ecdhe_rsa'];

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min} (got ${String(value)})`);
  return v;
}

/** RFC 4279 5.3: identities up to 128 bytes MUST work; psk_identity is opaque <0..2^16-1>. */
function pskIdentityLimit(value: number | undefined): number {
  const v = positiveInt('maxPskIdentityLength', value, 256, 128);
  if (v > 0xffff) throw new RangeError(`maxPskIdentityLength must be at most 65535 (got ${v})`);
  return v;
}

/**
 * Random bytes a CID keeps after a non-empty server id prefix. RFC 9146 8: a CID is an identifier
 * seen in the clear for the whole connection, and every identifier brings a risk of linkability;
 * a CID that is mostly a fixed server id is also guessable by an off-path attacker, who can then
 * aim forged records at live connections (RFC 9146 7). 4 random bytes (2^32 values) per
 * connection keep CIDs of one server apart and out of reach of guessing.
 */
const MIN_RANDOM_CID_BYTES = 4;

/** RFC 9146 3: opaque cid<0..2^8-1>; the generator, checked once, up front. */
function connectionIdOption(
  option: DtlsOptions['connectionId'],
  provider: CryptoProvider,
): { length: number | undefined; generator: ConnectionIdGenerator | undefined } {
  if (option === undefined) return { length: undefined, generator: undefined };
  const n = option.length;
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new RangeError(`connectionId.length must be an integer 0..255 (got ${String(n)})`);
  const { serverId, generate } = option;
  if (generate !== undefined) {
    if (typeof generate !== 'function') throw new TypeError('connectionId.generate must be a function (length) => Uint8Array');
    if (serverId !== undefined) {
      throw new TypeError('give connectionId.serverId or connectionId.generate, not both: a custom generator makes the whole CID');
    }
    return { length: n, generator: generate };
  }
  if (serverId !== undefined && !(serverId instanceof Uint8Array)) throw new TypeError('connectionId.serverId must be a Uint8Array');
  const prefix = serverId ?? new Uint8Array(0);
  if (prefix.length > n) {
    throw new RangeError(`connectionId.serverId (${prefix.length} bytes) is longer than connectionId.length (${n})`);
  }
  if (n > 0 && prefix.length > 0 && n - prefix.length < MIN_RANDOM_CID_BYTES) {
    throw new RangeError(
      `connectionId.length ${n} leaves ${n - prefix.length} random bytes after the ${prefix.length}-byte serverId; at least ` +
        `${MIN_RANDOM_CID_BYTES} are needed so a CID cannot be guessed or linked across connections (RFC 9146 7, 8)`,
    );
  }
  return { length: n, generator: defaultConnectionIdGenerator({ serverId: prefix, provider }) };
}

/** RFC 7366: encrypt-then-MAC is on unless turned off, and cannot be both off and required. */
function encryptThenMacOption(options: DtlsOptions): boolean {
  const on = options.encryptThenMac ?? true;
  if (!on && options.requireEncryptThenMac === true) throw new TypeError('encryptThenMac: false contradicts requireEncryptThenMac: true');
  return on;
}

function requestedSuites(list: DtlsOptions['cipherSuites']): CipherSuite[] {
  if (list === undefined) return [...DEFAULT_CIPHER_SUITES];
  if (typeof list === 'string') return parseCipherList(list);
  const out: CipherSuite[] = [];
  for (const entry of list) {
    const s = typeof entry === 'number' ? cipherSuiteById(entry) : cipherSuiteByName(entry);
    if (!s) throw new TypeError(`unknown cipher suite: ${String(entry)}`);
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

function resolveCommon(options: DtlsOptions, usable: ReadonlySet<KeyExchangeAlgorithm>, dtls12Only: string | undefined): ResolvedOptions {
  const versions = resolveVersionRange(options.minVersion, options.maxVersion, dtls12Only);
  const tls13Suites = versions.maxVersion === 'DTLSv1.3' ? requestedTls13Suites(options.cipherSuites) : [];
  // DTLS 1.3 only: the 1.2 suites are neither offered nor accepted.
  const suites = versions.minVersion === 'DTLSv1.3' ? [] : requestedSuites(withoutTls13Suites(options.cipherSuites)).filter((s) => usable.has(s.keyExchange));
  if (suites.length === 0 && versions.minVersion !== 'DTLSv1.3') {
    throw new TypeError(
      usable.size === 0
        ? 'no credentials given: pass psk (from @dtls-kit/psk) or x509 (from @dtls-kit/x509) credentials'
        : `none of the requested cipher suites can run with the given credentials (${[...usable].join(', ')})`,
    );
  }
  const mtu = positiveInt('mtu', options.mtu, DEFAULT_MTU, MIN_MTU);
  if (mtu > MAX_MTU) throw new RangeError(`mtu must be at most ${MAX_MTU}, the largest UDP payload (got ${mtu})`);
  // RFC 8422 / RFC 5489: the ECDHE key exchanges are the ones whose names say so.
  const ecdhe = suites.some((s) => s.keyExchange.startsWith('ecdhe'));
  const { groups, groups13 } = resolveGroupOptions(options.groups, versions.maxVersion, ecdhe);
  const chacha20MaskCounter = options.chacha20MaskCounter ?? 'little-endian';
  if (chacha20MaskCounter !== 'little-endian' && chacha20MaskCounter !== 'big-endian') {
    throw new TypeError(`chacha20MaskCounter must be 'little-endian' or 'big-endian' (got ${String(chacha20MaskCounter)})`);
  }
  const alpn = options.ALPNProtocols ?? [];
  for (const p of alpn) {
    const n = new TextEncoder().encode(p).length;
    if (n < 1 || n > 255) throw new RangeError(`ALPN protocol name must be 1..255 bytes: ${JSON.stringify(p)}`);
  }
  const provider = options.provider ?? nodeCryptoProvider;
  const cid = connectionIdOption(options.connectionId, provider);
  return {
    provider,
    suites,
    mtu,
    retransmit: options.retransmit ?? {},
    handshakeTimeoutMs: positiveInt('handshakeTimeoutMs', options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS),
    replayWindowSize: positiveInt('replayWindowSize', options.replayWindowSize, 64, 32),
    requireExtendedMasterSecret: options.requireExtendedMasterSecret ?? false,
    requireEncryptThenMac: options.requireEncryptThenMac ?? false,
    encryptThenMac: encryptThenMacOption(options),
    groups,
    groups13,
    chacha20MaskCounter,
    maxHandshakeMessageLength: positiveInt('maxHandshakeMessageLength', options.maxHandshakeMessageLength, 65_536, 256),
    maxHeldRecordBytes: positiveInt('maxHeldRecordBytes', options.maxHeldRecordBytes, 4096, 0),
    alpnProtocols: alpn,
    connectionIdLength: cid.length,
    connectionIdGenerator: cid.generator,
    returnRoutabilityCheck: options.connectionId?.returnRoutabilityCheck === true,
    maxUnvalidatedHeldBytes: positiveInt('maxUnvalidatedHeldBytes', options.maxUnvalidatedHeldBytes, 65_536, 0),
    keyShares: ecdhe ? new KeyShareReserve(provider, groups[0] ?? 'x25519') : undefined,
    srtpProfiles: resolveSrtpProfiles(options.srtpProfiles),
    recordSizeLimit: recordSizeLimitOption(options.recordSizeLimit),
    minVersion: versions.minVersion,
    maxVersion: versions.maxVersion,
    tls13Suites,
    keyUpdate: resolveKeyUpdateOptions(options.keyUpdate),
  };
}

function usableKeyExchanges(psk: unknown, certificates: readonly KeyExchangeAlgorithm[]): Set<KeyExchangeAlgorithm> {
  const usable = new Set<KeyExchangeAlgorithm>(certificates);
  if (psk !== undefined) {
    usable.add('psk');
    usable.add('ecdhe_psk');
  }
  return usable;
}

export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  // A client with trusted CAs can run either certificate key exchange: the server's key decides.
  const certificates: KeyExchangeAlgorithm[] = options.x509 ? ['ecdhe_ecdsa', 'ecdhe_rsa'] : [];
  // Object.assign onto the common object, not `{ ...common, psk, ... }`: V8 (Node 20) gives every
  // object spread and then extended in optimized code a hidden class of its own, a slow copy and,
  // with one resolved options object per client connection, megamorphic reads of each option.
  const resumption = resolveClientSessionOptions(options);
  return Object.assign(resolveCommon(options, usableKeyExchanges(options.psk, certificates), dtls12OnlyOption(options)), {
    psk: options.psk,
    x509: options.x509,
    servername: options.servername,
    session: resumption.session,
    session13: resumption.session13,
    ticketPskLabel: resumption.ticketPskLabel,
    sessionTickets: resumption.sessionTickets,
    srtpMki: resolveSrtpMki(options.srtpMki, options.srtpProfiles),
    maxFragmentLength: maxFragmentLengthOption(options.maxFragmentLength),
  });
}

export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  const x509 = options.x509;
  if (x509?.requestCert && !x509.verifier && !x509.rawPublicKey?.verifier) throw new TypeError('requestCert needs a verifier (pass ca to x509Server)');
  const sniCallback = options.SNICallback;
  if (sniCallback !== undefined && typeof sniCallback !== 'function') throw new TypeError('SNICallback must be a function (servername, cb) => void');
  const alpnCallback = options.ALPNCallback;
  if (alpnCallback !== undefined) {
    if (typeof alpnCallback !== 'function') throw new TypeError('ALPNCallback must be a function ({ servername, protocols }) => string | undefined');
    // node:tls ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS: one or the other decides.
    if (options.ALPNProtocols !== undefined) throw new TypeError('give ALPNProtocols or ALPNCallback, not both: the callback chooses the protocol');
  }
  // With SNICallback the credentials of a handshake are known only once it answers: every
  // requested suite stays, and the handshake keeps those its credentials can run (WaitClientHello).
  const usable = sniCallback ? new Set(ANY_KEY_EXCHANGE) : usableKeyExchanges(options.psk, x509 ? [x509.signer.keyExchange] : []);
  const resumption = resolveServerSessionOptions(options, options.provider ?? nodeCryptoProvider);
  const common = resolveCommon(options, usable, dtls12OnlyOption(options));
  // Object.assign, not a spread: see resolveClientOptions.
  return Object.assign(common, {
    // A DTLS 1.3 server answers a key_share (psk_dhe_ke, certificates) whatever its 1.2 suites:
    // its key pairs too are made ahead (ServerHandshake13.keyShareAhead). Not a client's: its
    // 1.3 share goes in its first flight, before there is any spare time.
    keyShares: common.keyShares ?? (common.maxVersion === 'DTLSv1.3' ? new KeyShareReserve(common.provider, common.groups[0] ?? 'x25519') : undefined),
    psk: options.psk,
    x509,
    cookieRotationMs: positiveInt('cookieRotationMs', options.cookieRotationMs, 60_000),
    cookieSecret: options.cookieSecret === undefined ? undefined : checkCookieSecret(options.cookieSecret),
    maxPskIdentityLength: pskIdentityLimit(options.maxPskIdentityLength),
    sniCallback,
    alpnCallback,
    sessionStore: resumption.sessionStore,
    ticketKeys: resumption.ticketKeys,
    sessionLifetimeMs: resumption.sessionLifetimeMs,
  });
}

/**
 * Whether the credentials in force for a handshake can run `keyExchange`: the certificate key
 * exchanges are further matched to the key by the key exchange itself (ECDHE_SIGNED.server).
 */
export function credentialsRun(config: ResolvedServerOptions, keyExchange: KeyExchangeAlgorithm): boolean {
  return keyExchange === 'psk' || keyExchange === 'ecdhe_psk' ? config.psk !== undefined : config.x509 !== undefined;
}
