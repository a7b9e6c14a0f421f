import type { CryptoProvider, KeyShare, NamedGroupName } from './provider.js';

/**
 * At most one ephemeral (EC)DH key pair made ahead of need, so that making it is not on a
 * handshake's round trip: a runtime calls fill() while it waits for the peer (see
 * DtlsConnection.prepare), and the key exchange take()s the pair when its flight needs one.
 *
 * Each pair is handed out once (take() forgets it) and comes from the provider's CSPRNG like
 * any other: ECDHE stays ephemeral, one fresh key per handshake (RFC 8422 2, RFC 5489 2). A
 * client's reserve serves its one handshake and is cleared when the connection ends; a
 * server's serves its handshakes one after the other.
 */
export class KeyShareReserve {
  private share: KeyShare | undefined;
  /** The group fill() makes: the first of ours, then the one the last handshake used. */
  private group: NamedGroupName;

  constructor(
    private readonly provider: CryptoProvider,
    group: NamedGroupName,
  ) {
    this.group = group;
  }

  /** Whether a pair is waiting to be taken. */
  get held(): boolean {
    return this.share !== undefined;
  }

  /** Makes a pair of the expected group now, unless one is already waiting. */
  fill(): void {
    if (this.share === undefined) this.share = this.provider.generateKeyShare(this.group);
  }

  /**
   * A pair of `group` that nobody else gets: the waiting one when it is of that group, else a
   * new one. Either way nothing waits afterwards (a pair of another group is dropped), and the
   * next fill() makes one of `group`.
   */
  take(group: NamedGroupName): KeyShare {
    this.group = group;
    const share = this.share;
    this.share = undefined;
    return share !== undefined && share.group === group ? share : this.provider.generateKeyShare(group);
  }

  /** Drops the waiting pair, if any (its private key is then unreachable). */
  clear(): void {
    this.share = undefined;
  }
}

/** A fresh ephemeral key pair of `group` for one handshake: the reserve's when there is one. */
export function ephemeralKeyShare(
  config: { readonly provider: CryptoProvider; readonly keyShares: KeyShareReserve | undefined },
  group: NamedGroupName,
): KeyShare {
  return config.keyShares?.take(group) ?? config.provider.generateKeyShare(group);
}
