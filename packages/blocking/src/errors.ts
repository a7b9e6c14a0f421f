import { alertName, DtlsError, type AlertDescription } from '@dtls-kit/core';

/** recv() waited `timeoutMs` and nothing came (the connection stays usable). */
export class BlockingTimeoutError extends Error {
  override readonly name = 'BlockingTimeoutError';
  readonly code = 'ERR_DTLS_TIMEOUT';
  constructor(message: string) {
    super(message);
  }
}

/** A plain-data description of an error, as it crosses from a worker back to the main thread. */
export interface SerializedError {
  name: string;
  message: string;
  /** A DtlsError's alert (RFC 5246 7.2): the error is rebuilt as a DtlsError. */
  alert?: number;
  fromPeer?: boolean;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof DtlsError) return { name: err.name, message: err.message, alert: err.alert, fromPeer: err.fromPeer, stack: err.stack };
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

/**
 * The error again, on this side: a DtlsError (any of core's subclasses) comes back as a DtlsError
 * with the same alert, fromPeer and message (its class name stays in `name`).
 */
export function deserializeError(e: SerializedError): Error {
  let err: Error;
  if (e.alert !== undefined) {
    const alert: AlertDescription = e.alert;
    // DtlsError puts "<alert name>: " before its message; the serialized message has it already.
    const prefix = `${alertName(alert)}: `;
    const dtls = new DtlsError(alert, e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message, { fromPeer: e.fromPeer ?? false });
    if (e.name !== dtls.name) Object.defineProperty(dtls, 'name', { value: e.name, enumerable: false, configurable: true, writable: true });
    err = dtls;
  } else if (e.name === 'BlockingTimeoutError') err = new BlockingTimeoutError(e.message);
  else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack) err.stack = e.stack;
  return err;
}
