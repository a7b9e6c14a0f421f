import { AlertDescription } from '../../alert.js';
import type { ServerCredentials, SNICallback } from '../../config.js';
import { DtlsError } from '../../errors.js';

/** What SNICallback answered: credentials (or none: keep the defaults), or an error. */
export type SniAnswer = { readonly ok: true; readonly credentials: ServerCredentials | undefined } | { readonly ok: false; readonly error: unknown };

/**
 * Asks SNICallback once for the credentials of `servername`. It may answer node:tls's way, through
 * its callback (at once or later), or return a Promise; the first answer counts and later ones are
 * ignored (node:tls also takes one). A throw is an error answer. The result is a plain value when
 * the callback answered before returning, so a synchronous callback costs no pause; otherwise a
 * Promise that never rejects (an error is an answer the handshake turns into an alert).
 */
export function askSni(callback: SNICallback, servername: string): SniAnswer | Promise<SniAnswer> {
  let answer: SniAnswer | undefined;
  let deliver: ((a: SniAnswer) => void) | undefined;
  const settle = (a: SniAnswer): void => {
    if (answer !== undefined) return;
    answer = a;
    deliver?.(a);
  };
  try {
    const returned = callback(servername, (err, credentials) =>
      settle(err !== null && err !== undefined ? { ok: false, error: err } : { ok: true, credentials: credentials ?? undefined }),
    );
    if (returned instanceof Promise) {
      returned.then(
        (credentials) => settle({ ok: true, credentials: credentials ?? undefined }),
        (error: unknown) => settle({ ok: false, error }),
      );
    }
  } catch (error) {
    settle({ ok: false, error });
  }
  if (answer !== undefined) return answer;
  return new Promise<SniAnswer>((resolve) => {
    deliver = resolve;
  });
}

/**
 * The credentials SNICallback's answer puts in force for this handshake (DTLS 1.2 and 1.3 alike),
 * or undefined when the defaults serve. RFC 6066 3: a server that does not recognize the name may
 * end the handshake with a fatal unrecognized_name alert; we do when the application says so (an
 * error; a DtlsError keeps its own alert) or has no credentials for the name and there are no
 * defaults (`hasDefaults`). No credentials with defaults: the defaults serve (node:tls keeps its
 * default context).
 */
export function sniCredentials(answer: SniAnswer, servername: string, hasDefaults: boolean): ServerCredentials | undefined {
  if (!answer.ok) {
    const err = answer.error;
    if (err instanceof DtlsError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new DtlsError(AlertDescription.unrecognized_name, `SNICallback refused ${JSON.stringify(servername)}: ${detail}`, { cause: err });
  }
  const credentials = answer.credentials;
  checkSniCredentials(credentials);
  if (credentials !== undefined && (credentials.psk !== undefined || credentials.x509 !== undefined)) {
    // As resolveServerOptions checks the defaults: a certificate request needs a verifier; the fault is ours.
    if (credentials.x509?.requestCert && !credentials.x509.verifier && !credentials.x509.rawPublicKey?.verifier) {
      throw new DtlsError(AlertDescription.internal_error, 'SNICallback credentials: requestCert needs a verifier (pass ca to x509Server)');
    }
    return credentials;
  }
  if (!hasDefaults) {
    throw new DtlsError(AlertDescription.unrecognized_name, `SNICallback has no credentials for ${JSON.stringify(servername)}, and there are no default ones`);
  }
  return undefined;
}

/**
 * SNICallback's credentials are `{ psk?, x509? }` as pskServer() and x509Server() make them. A
 * code port from node:tls may answer with a SecureContext or the options of one: that would
 * otherwise read as "no credentials" and silently serve the defaults. Our own error: internal_error.
 */
function checkSniCredentials(credentials: ServerCredentials | undefined): void {
  if (credentials === undefined) return;
  const wrong =
    typeof credentials !== 'object' ||
    Object.keys(credentials).some((k) => k !== 'psk' && k !== 'x509') ||
    (credentials.psk !== undefined && credentials.psk.type !== 'psk') ||
    (credentials.x509 !== undefined && credentials.x509.type !== 'x509');
  if (wrong) {
    throw new DtlsError(
      AlertDescription.internal_error,
      'SNICallback answered something that is not { psk?, x509? } credentials from pskServer()/x509Server() (a node:tls SecureContext is not one)',
    );
  }
}
