import { AlertDescription, alertName } from './alert.js';

/**
 * Every error the engine raises: it names the RFC alert that ends (or would end) the
 * connection, so a caller can tell a bad MAC from an unknown PSK identity without parsing text.
 */
export class DtlsError extends Error {
  override readonly name: string = 'DtlsError';
  /** The alert sent to (or received from) the peer. */
  readonly alert: AlertDescription;
  /** True when the alert came from the peer rather than from our own checks. */
  readonly fromPeer: boolean;

  constructor(alert: AlertDescription, message: string, options?: { fromPeer?: boolean; cause?: unknown }) {
    super(`${alertName(alert)}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.alert = alert;
    this.fromPeer = options?.fromPeer ?? false;
  }

  /** The alert's readable name, e.g. `handshake_failure`. */
  get alertName(): string {
    return alertName(this.alert);
  }
}

/** Malformed bytes on the wire: RFC 5246 7.2.2 decode_error. */
export class DecodeError extends DtlsError {
  override readonly name: string = 'DecodeError';
  constructor(message: string) {
    super(AlertDescription.decode_error, message);
  }
}

/** A field with a value the RFC forbids: RFC 5246 7.2.2 illegal_parameter. */
export class IllegalParameterError extends DtlsError {
  override readonly name: string = 'IllegalParameterError';
  constructor(message: string) {
    super(AlertDescription.illegal_parameter, message);
  }
}

/**
 * The handshake did not finish within its deadline (no alert exists for this in TLS 1.2;
 * handshake_failure is reported locally and nothing is sent: the peer is presumably gone).
 */
export class HandshakeTimeoutError extends DtlsError {
  override readonly name: string = 'HandshakeTimeoutError';
  /** `hint`: what the handshake's last step suggests about the silence (e.g. a different PSK). */
  constructor(ms: number, hint?: string) {
    super(AlertDescription.handshake_failure, `handshake did not complete within ${ms} ms${hint === undefined ? '' : `: ${hint}`}`);
  }
}

/** Wraps whatever a user callback threw or rejected with into a DtlsError (internal_error). */
export function asDtlsError(err: unknown, what: string): DtlsError {
  if (err instanceof DtlsError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new DtlsError(AlertDescription.internal_error, `${what} failed: ${detail}`, { cause: err });
}
