/**
 * An optional crypto provider cannot be used here: its native module is not installed, does not
 * load on this platform, or does not compute what it must. The application picks another provider
 * (node:crypto is always there); nothing about a connection or a peer is involved.
 */
export class ProviderUnavailableError extends Error {
  override readonly name: string = 'ProviderUnavailableError';
  /** As node's errors carry one: tells this error from others without parsing the message. */
  readonly code = 'ERR_DTLS_PROVIDER_UNAVAILABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
