/** recv() waited `timeoutMs` and nothing came (the connection stays usable). */
export class BlockingTimeoutError extends Error {
  override readonly name = 'BlockingTimeoutError';
  readonly code = 'ERR_DTLS_TIMEOUT';
  constructor(message: string) {
    super(message);
  }
}

/** The connection ended with a fatal alert (sent by the peer, or by us). */
export class BlockingAlertError extends Error {
  override readonly name = 'BlockingAlertError';
  readonly code = 'ERR_DTLS_ALERT';
  constructor(
    message: string,
    /** The RFC 5246 AlertDescription number. */
    readonly alert: number,
    /** True when the peer sent the alert. */
    readonly fromPeer: boolean,
  ) {
    super(message);
  }
}

/** A plain-data description of an error, as it crosses from a worker back to the main thread. */
export interface SerializedError {
  name: string;
  message: string;
  alert?: number;
  fromPeer?: boolean;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof BlockingAlertError) return { name: err.name, message: err.message, alert: err.alert, fromPeer: err.fromPeer, stack: err.stack };
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

export function deserializeError(e: SerializedError): Error {
  let err: Error;
  if (e.name === 'BlockingAlertError') err = new BlockingAlertError(e.message, e.alert ?? 80, e.fromPeer ?? false);
  else if (e.name === 'BlockingTimeoutError') err = new BlockingTimeoutError(e.message);
  else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack) err.stack = e.stack;
  return err;
}
