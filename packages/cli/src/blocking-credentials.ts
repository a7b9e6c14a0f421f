/**
 * The credentials module of `dtls-kit server --runtime blocking` with certificates: imported by
 * each @dtls-kit/blocking worker (functions cannot cross threads), it reads the PEM files named
 * in its args there. Built as its own entry, dist/blocking-credentials.js, next to dist/cli.js.
 */
import { readFileSync } from 'node:fs';
import type { ServerOptions } from '@dtls-kit/core';
import { pskServer } from '@dtls-kit/psk';
import { x509Server } from '@dtls-kit/x509';
import { rpkServerCredentials } from './raw-public-key.js';

/** Plain data: file paths and flags (structured-cloned into the worker). */
export interface BlockingCredentialArgs {
  /** Required without rpk; with rpk, the X.509 fallback. */
  cert?: string | undefined;
  /** --rpk: a raw public key (RFC 7250); rpkPin: the pinned client keys' PEM file. */
  rpk?: boolean;
  rpkPin?: string | undefined;
  key: string;
  /** --pass: the passphrase of an encrypted key. */
  passphrase?: string;
  ca?: string;
  verify: boolean;
  /** PSK next to the certificate: { identity: hexKey }. */
  psk?: { keys: Record<string, string>; pskIdentityHint?: string };
}

export default function credentials(args: BlockingCredentialArgs): ServerOptions {
  const options: ServerOptions = { x509: args.rpk ? rawKeyCredentials(args) : certificateCredentials(args) };
  if (args.psk !== undefined) options.psk = pskServer({ keys: args.psk.keys, pskIdentityHint: args.psk.pskIdentityHint });
  return options;
}

function certificateCredentials(args: BlockingCredentialArgs): ServerOptions['x509'] {
  // server-blocking.ts gives cert whenever rpk is off.
  if (args.cert === undefined) throw new TypeError('cert: a certificate server needs --cert');
  return x509Server({
    cert: readFileSync(args.cert, 'utf8'),
    key: readFileSync(args.key, 'utf8'),
    passphrase: args.passphrase,
    ca: args.ca === undefined ? undefined : readFileSync(args.ca, 'utf8'),
    requestCert: args.verify,
    rejectUnauthorized: args.verify,
  });
}

/** --rpk: rpkServer as the non-blocking server makes it (raw-public-key.ts), from the files. */
function rawKeyCredentials(args: BlockingCredentialArgs): ServerOptions['x509'] {
  return rpkServerCredentials({
    key: readFileSync(args.key, 'utf8'),
    passphrase: args.passphrase,
    cert: args.cert === undefined ? undefined : readFileSync(args.cert, 'utf8'),
    ca: args.ca === undefined ? undefined : readFileSync(args.ca, 'utf8'),
    pinFile: args.rpkPin,
    verify: args.verify,
  });
}
