/**
 * What the engine needs from pre-shared-key credentials (RFC 4279, RFC 5489). The engine
 * runs the message flow; @dtls-kit/psk builds these objects from what users type
 * (hex keys, string identities, maps, async lookups).
 */

export interface PskIdentityKey {
  /** psk_identity as sent in the ClientKeyExchange (RFC 4279 5.1: UTF-8 text, up to 128 bytes). */
  readonly identity: Uint8Array;
  readonly key: Uint8Array;
}

export interface PskClientCredentials {
  readonly type: 'psk';
  /**
   * RFC 4279 2: picks the identity and key, given the server's identity hint when it sent
   * one. May return a Promise: the handshake waits for it.
   */
  resolve(hint: Uint8Array | undefined): PskIdentityKey | Promise<PskIdentityKey>;
}

export interface PskServerCredentials {
  readonly type: 'psk';
  /** Sent in the ServerKeyExchange when present (RFC 4279 2: omitted when there is no hint). */
  readonly identityHint: Uint8Array | undefined;
  /**
   * The key for a client's identity, or undefined when the identity is unknown (the handshake
   * then ends with unknown_psk_identity, RFC 4279 2). May return a Promise: the handshake waits.
   */
  lookup(identity: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}
