import type { CryptoProvider, NamedGroupName } from './crypto/provider.js';
import type { ConnectionIdGenerator } from './handshake/common/connection-id.js';
import type { KeyUpdateOptions } from './record/dtls13-key-update-options.js';
import type { RetransmitOptions } from './handshake/common/retransmit-timer.js';
import type { CertificateClientCredentials, CertificateServerCredentials } from './key-exchange/certificate-credentials.js';
import type { PskClientCredentials, PskServerCredentials } from './key-exchange/psk-credentials.js';
import type { SessionStore } from './session/session-store.js';

/** Options shared by clients and servers; every limit has a safe default. */
export interface DtlsOptions {
  /** Crypto implementation; defaults to node:crypto. */
  provider?: CryptoProvider;
  /**
   * Cipher suites in preference order: IANA or OpenSSL names, ids, or one comma/colon
   * separated string. Defaults to every AEAD suite the given credentials can run
   * (DEFAULT_CIPHER_SUITES); the CBC suites (RFC 5246 6.2.3.2, with RFC 7366 encrypt-then-MAC)
   * run only when named here.
   */
  cipherSuites?: string | readonly (string | number)[];
  /**
   * Largest datagram we send (UDP payload), in bytes: handshake messages are fragmented to fit,
   * and one send() must fit one datagram (see DtlsConnection.maxPayload). 64..65507, default 1200
   * (MIN_MTU, MAX_MTU, DEFAULT_MTU).
   */
  mtu?: number;
  /** Retransmission timer (RFC 6347 4.2.4.1): initial 1000 ms, cap 60000 ms by default. */
  retransmit?: RetransmitOptions;
  /** The whole handshake must finish within this many ms of its start. Default 60000. */
  handshakeTimeoutMs?: number;
  /** Replay window size in records (RFC 6347 4.1.2.6). Default 64. */
  replayWindowSize?: number;
  /** Refuse peers that do not negotiate extended_master_secret (RFC 7627). Default false: offered and used when the peer has it. */
  requireExtendedMasterSecret?: boolean;
  /**
   * With a CBC suite, refuse a peer that does not negotiate encrypt_then_mac (RFC 7366): no
   * MAC-then-encrypt records. Default false: encrypt-then-MAC is offered (client) and accepted
   * (server) whenever a CBC suite is, and used when the peer has it. No effect on AEAD suites.
   */
  requireEncryptThenMac?: boolean;
  /**
   * Offer (client) and accept (server) encrypt_then_mac (RFC 7366) with CBC suites. Default true;
   * false talks MAC-then-encrypt only, as OpenSSL's -no_etm does (e.g. to test a peer's).
   */
  encryptThenMac?: boolean;
  /**
   * Key exchange groups in preference order. Default x25519, secp256r1, secp384r1. DTLS 1.2's ECDHE
   * uses the elliptic curves of the list; DTLS 1.3 every group of it, and a client sends its key
   * share for the first (RFC 8446 4.2.8). 'x25519mlkem768' (the hybrid post-quantum X25519MLKEM768,
   * draft-ietf-tls-ecdhe-mlkem, codepoint 0x11EC) is DTLS 1.3 only and never on by default: no
   * peer we can test against has it yet (no Debian-packaged DTLS stack does).
   */
  groups?: readonly (NamedGroupName | 'x25519mlkem768')[];
  /**
   * DTLS 1.3 with TLS_CHACHA20_POLY1305_SHA256 only: how the record number mask reads its block
   * counter from the record's first 4 ciphertext bytes (RFC 9147 4.2.3). 'little-endian' (default)
   * is RFC 8439 2.3's word order, as RFC 9147 means it; 'big-endian' talks to wolfSSL 5.5.4 and
   * earlier on little-endian Linux, which byte-swap that counter (fixed after 5.5.4, wolfSSL PR
   * 6641). Not detected: the mask hides the record number the AEAD nonce is built from, so trying
   * both orders would double the decryptions a forger gets per record (RFC 9147 4.5.3 counts them).
   */
  chacha20MaskCounter?: 'little-endian' | 'big-endian';
  /**
   * Largest handshake message accepted, in bytes (a Certificate chain included); a longer one ends
   * the handshake with an illegal_parameter alert (RFC 5246 7.2.2). Default 65536.
   */
  maxHandshakeMessageLength?: number;
  /**
   * Bytes (headers included) of records of the next epoch held while the handshake waits for the
   * peer's ChangeCipherSpec (a Finished may overtake it, RFC 6347 4.1); past it the oldest are
   * dropped. Nothing is held once the handshake's keys are in place. Default 4096; 0 holds nothing.
   */
  maxHeldRecordBytes?: number;
  /** ALPN protocols offered (client) or accepted in preference order (server), RFC 7301. */
  ALPNProtocols?: readonly string[];
  /**
   * Connection IDs (RFC 9146): when set, the connection_id extension is offered (client) or
   * answered when the client offered it (server), and once the handshake's keys are in use
   * records carry a CID (tls12_cid records, RFC 9146 4), so the peer can find the connection
   * whatever address they come from. `length` (0..255) is the length of the CID we ask the peer
   * to put in the records it sends us, made once per connection; 0 means "we send CIDs but
   * receive none" (RFC 9146 3). Default: off (no extension, plain DTLS 1.2 records).
   *
   * The CID is `serverId` (default empty, so a load balancer can route by server) followed by
   * random bytes up to `length`; a non-empty serverId must leave at least 4 random bytes (RFC 9146
   * 7, 8: unguessable, unlinkable). Or `generate(length)` makes the whole CID (serverId must then
   * be absent): it must return `length` bytes, different for every live connection, or the
   * handshake ends with internal_error.
   * `returnRoutabilityCheck`: see below.
   */
  connectionId?: {
    length: number;
    serverId?: Uint8Array;
    generate?: ConnectionIdGenerator;
    /**
     * RFC 9853: offer (client) or accept (server) the `rrc` extension; when both sides have it, a
     * peer that moves to a new address gets a path_challenge there, and its path_response
     * validates the address (lifting the anti-amplification bound). Default false.
     */
    returnRoutabilityCheck?: boolean;
  };
  /**
   * With connection IDs the peer's address can move (RFC 9146 6); a new address is unvalidated,
   * and gets at most 3 times the bytes received from it (anti-amplification, RFC 9853). What does
   * not fit waits, at most this many bytes of datagrams; past it the oldest are dropped (counted
   * in `stats.unvalidatedDropped`). Default 65536; 0 holds nothing.
   */
  maxUnvalidatedHeldBytes?: number;
  /**
   * DTLS 1.3 (RFC 9147 4.5.3, 8): we send a KeyUpdate of our own once our write key has protected
   * `afterRecords` records (default 3/4 of its AEAD's limit; CCM and CCM_8 2^23 records, GCM
   * 2^24.5), well before the limit; `limit` lowers the limit itself (application data then waits
   * near it until the KeyUpdate is acknowledged). See KeyUpdateOptions.
   */
  keyUpdate?: KeyUpdateOptions;
  /**
   * Session tickets (RFC 5077): a client asks for one (an empty session_ticket extension) and
   * offers it to resume; a server issues them and resumes from them. Default true (node:tls, OpenSSL).
   */
  sessionTickets?: boolean;
  /**
   * DTLS-SRTP (RFC 5764): the SRTP protection profiles offered (client) or accepted in preference
   * order (server), by IANA or OpenSSL name (SRTP_AES128_CM_HMAC_SHA1_80 or SRTP_AES128_CM_SHA1_80,
   * SRTP_AES128_CM_HMAC_SHA1_32, SRTP_AEAD_AES_128_GCM, SRTP_AEAD_AES_256_GCM) or id, as an array
   * or one colon-separated string as OpenSSL's `-use_srtp` takes it. When set, the use_srtp
   * extension is offered (client) or answered (server); a server with no profile in common answers
   * without it and the handshake goes on (RFC 5764 4.1.1). Default: off.
   * After the handshake, `getSrtpKeyingMaterial()` gives the SRTP master keys and salts (4.2).
   */
  srtpProfiles?: string | readonly (string | number)[];
  /**
   * RFC 8449 record_size_limit: the largest record plaintext we accept, 64..16384 (RFC 8449 4,
   * DTLS 1.2). A client offers it; a server answers a client's offer with it (16384 when not
   * set). A record over it from the peer ends the connection with record_overflow. The peer's own
   * limit bounds what we send (with the MTU: `maxPayload`). Default: not offered by a client.
   */
  recordSizeLimit?: number;
  /**
   * The oldest DTLS version offered (client) or accepted (server), as node:tls's minVersion:
   * 'DTLSv1.2' (default) or 'DTLSv1.3'. With 'DTLSv1.3' a client refuses a 1.2 server
   * (protocol_version).
   */
  minVersion?: 'DTLSv1.2' | 'DTLSv1.3';
  /**
   * The newest DTLS version offered or accepted, as node:tls's maxVersion: 'DTLSv1.2' (default
   * for now) or 'DTLSv1.3' (RFC 9147). A client with 'DTLSv1.3' and minVersion 'DTLSv1.2' offers
   * both in one ClientHello (supported_versions, RFC 8446 4.2.1) and checks a 1.2 server's random
   * for the downgrade sentinel (RFC 8446 4.1.3).
   */
  maxVersion?: 'DTLSv1.2' | 'DTLSv1.3';
}

export interface ClientOptions extends DtlsOptions {
  psk?: PskClientCredentials;
  /** Certificate credentials from @dtls-kit/x509 (`x509Client`): the CAs we trust, and our own certificate if the server asks. */
  x509?: CertificateClientCredentials;
  /** server_name (RFC 6066 3); not sent for IP literals. */
  servername?: string;
  /**
   * A session to resume (node:tls): what `getSession()` of an earlier connection returned. The
   * server decides; a resumed handshake is abbreviated (RFC 5246 7.3, see `isSessionReused()`).
   * Sessions without extended_master_secret are never offered (RFC 7627 5.3).
   */
  session?: Uint8Array;
  /**
   * The SRTP Master Key Identifier offered in use_srtp (RFC 5764 4.1.1, srtp_mki, 1..255 bytes);
   * only with srtpProfiles. A server that answers with another non-empty MKI is refused
   * (illegal_parameter); one that answers with none leaves the connection without an MKI.
   */
  srtpMki?: Uint8Array;
  /**
   * RFC 6066 4 max_fragment_length: ask the server to bound records both ways to 512, 1024, 2048
   * or 4096 bytes of plaintext (for servers without record_size_limit, such as OpenSSL 3.0). A
   * server always honours a client's request. Default: not asked.
   */
  maxFragmentLength?: 512 | 1024 | 2048 | 4096;
}

/**
 * The credentials a server presents: what `psk` and `x509` of ServerOptions hold. SNICallback
 * answers with one such object per server name (node:tls answers with a SecureContext; ours are
 * the same credentials objects @dtls-kit/psk and @dtls-kit/x509 make).
 */
export interface ServerCredentials {
  psk?: PskServerCredentials;
  x509?: CertificateServerCredentials;
}

/**
 * node:tls's SNICallback: called once per handshake with the server_name the client sent (RFC
 * 6066 3; never called when it sent none), after the cookie exchange. Answer through `cb(err,
 * credentials)` as in node:tls, or return a Promise of the credentials (use one or the other: the
 * first answer counts). The handshake waits for the answer (retransmitted ClientHellos do not
 * ask again; handshakeTimeoutMs still applies).
 *
 * The credentials answered replace the server's `psk` and `x509` for that handshake (as node's
 * SecureContext replaces the default one): give both if both are wanted. `undefined` (or no
 * credentials) keeps the default ones (node:tls does the same); with no default credentials the
 * handshake ends with an unrecognized_name alert. An error (passed to cb, thrown or rejected) ends
 * it with unrecognized_name too (RFC 6066 3), or with the alert of a DtlsError.
 */
export type SNICallback = (
  servername: string,
  cb: (err: Error | null, credentials?: ServerCredentials) => void,
) => void | Promise<ServerCredentials | undefined>;

/** What ALPNCallback sees (node:tls's shape): the client's server_name, if it sent one, and the protocols it offers. */
export interface ALPNCallbackInfo {
  servername: string | undefined;
  protocols: string[];
}

export interface ServerOptions extends DtlsOptions {
  psk?: PskServerCredentials;
  /** Certificate credentials from @dtls-kit/x509 (`x509Server`): our certificate and key, and client-certificate checks. */
  x509?: CertificateServerCredentials;
  /**
   * Picks the credentials for the server name the client asks for (node:tls's SNICallback; see
   * the type). With it, `psk` and `x509` are the default credentials and may be absent.
   */
  SNICallback?: SNICallback;
  /**
   * node:tls's ALPNCallback: called when the client offers ALPN (RFC 7301), after SNICallback;
   * returns the protocol to use, which must be one the client offered, or undefined to refuse
   * the connection. Either way but a protocol of the client's, the handshake ends with a
   * no_application_protocol alert (RFC 7301 3.2). Cannot be given with ALPNProtocols (TypeError).
   */
  ALPNCallback?: (info: ALPNCallbackInfo) => string | undefined;
  /** How often the cookie secret rotates, in ms (the previous secret stays valid for one period). Default 60000. */
  cookieRotationMs?: number;
  /**
   * A cookie secret (32..1024 random bytes) shared by several server processes, so that a
   * HelloVerifyRequest from one verifies at any (RFC 6347 4.2.1; servers behind a load balancer):
   * each `cookieRotationMs` period's key is derived from it and the wall clock, so clocks must
   * agree within a period. Default: random secrets of this server alone. Replace it at run time
   * with the runtime's `setCookieSecret()`.
   */
  cookieSecret?: Uint8Array;
  /**
   * Longest PSK identity accepted from a client, in bytes; a longer one ends the handshake with an
   * illegal_parameter alert and is never looked up. RFC 4279 5.3 requires identities up to 128
   * bytes to work, so 128..65535. Default 256 (OpenSSL 3's PSK_MAX_IDENTITY_LEN).
   */
  maxPskIdentityLength?: number;
  /**
   * Where sessions by ID are kept (RFC 5246 7.4.1.2) for clients to resume: any object with
   * get/set/delete (values or Promises), e.g. one shared by processes. Default: an in-memory store
   * of `sessionCacheSize` sessions, least recently used out first. false: no sessions by ID.
   */
  sessionStore?: SessionStore | false;
  /** Sessions the default in-memory store holds. Default 10000. */
  sessionCacheSize?: number;
  /** node:tls `sessionTimeout`: seconds after its full handshake during which a session (ID or ticket) may be resumed. Default 300. */
  sessionTimeout?: number;
  /**
   * node:tls `ticketKeys`: the keys that encrypt and authenticate session tickets (RFC 5077 4),
   * 48 bytes each (a 16-byte key name, 32 bytes of secret), newest first; the newest seals, all
   * open. Give the same list to several servers or processes and a ticket from one resumes at any.
   * Default: one random key per server.
   */
  ticketKeys?: Uint8Array | readonly Uint8Array[];
}
