import type { ServerCredentials, SNICallback } from '../../../config.js';

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
