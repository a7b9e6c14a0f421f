/**
 * The credentials module of `dtls-kit server --runtime blocking` with certificates: imported by
 * each @dtls-kit/blocking worker (functions cannot cross threads), it reads the PEM files named
 * in its args there. Built as its own entry, dist/blocking-credentials.js, next to dist/cli.js.
 */
import { readFileSync } from 'node:fs';
import type { ServerOptions } from '@dtls-kit/core';
import { pskServer } from '@dtls-kit/psk';
import { x509Server } from '@dtls-kit/x509';

/** Plain data: file paths and flags (structured-cloned into the worker). */
export interface BlockingCredentialArgs {
  cert: string;
  key: string;
  /** --pass: the passphrase of an encrypted key. */
  passphrase?: string;
  ca?: string;
  verify: boolean;
  /** PSK next to the certificate: { identity: hexKey }. */
  psk?: { keys: Record<string, string>; pskIdentityHint?: string };
}

export default function credentials(args: BlockingCredentialArgs): ServerOptions {
  const options: ServerOptions = {
    x509: x509Server({
      cert: readFileSync(args.cert, 'utf8'),
      key: readFileSync(args.key, 'utf8'),
      passphrase: args.passphrase,
      ca: args.ca === undefined ? undefined : readFileSync(args.ca, 'utf8'),
      requestCert: args.verify,
      rejectUnauthorized: args.verify,
    }),
  };
  if (args.psk !== undefined) options.psk = pskServer({ keys: args.psk.keys, pskIdentityHint: args.psk.pskIdentityHint });
  return options;
}
