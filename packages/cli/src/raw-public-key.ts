/**
 * The CLI's raw public keys (RFC 7250): `--rpk` sends the public half of --key as a raw key,
 * `--rpk-pin FILE` names the peer keys we accept (PEM PUBLIC KEY blocks; a CERTIFICATE block
 * pins its key). The flags' checks, the credentials they make, and how a raw key shows on the
 * connection line.
 */
import { readFileSync } from 'node:fs';
import { rpkClient, rpkServer, type RpkClientCredentials, type RpkServerCredentials } from '@dtls-kit/x509';
import { UsageError } from './args.js';

/** The flags parseArgs gave, as far as raw keys are concerned. */
export interface RpkFlagValues {
  readonly rpk?: boolean | undefined;
  readonly 'rpk-pin'?: string | undefined;
  readonly key?: string | undefined;
  readonly cert?: string | undefined;
  readonly verify?: boolean | undefined;
  readonly insecure?: boolean | undefined;
}

/** Throws UsageError for raw-key flags that cannot work together. */
export function checkRpkFlags(command: 'server' | 'client', values: RpkFlagValues): void {
  if (values.rpk && values.key === undefined) throw new UsageError('--rpk needs --key (the private key whose public half is sent as the raw public key)');
  if (command === 'server' && values['rpk-pin'] !== undefined && !values.rpk) {
    throw new UsageError('--rpk-pin needs --rpk on the server (the pinned keys are client keys, asked for only by a raw-key server)');
  }
  if (command === 'client' && values.rpk && values['rpk-pin'] === undefined && !values.insecure) {
    throw new UsageError("--rpk needs --rpk-pin FILE (the server's public key) or --insecure");
  }
}

function readPins(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--rpk-pin: cannot read ${file}: ${error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : String(error)}`);
  }
}

function built<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--rpk: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface RpkServerFlags {
  key: string;
  passphrase: string | undefined;
  cert: string | undefined;
  ca: string | undefined;
  /** --rpk-pin: a file of pinned client keys. */
  pinFile: string | undefined;
  verify: boolean;
}

/** rpkServer from the flags: --cert is the X.509 fallback, --rpk-pin asks for the client's key, --verify --ca for a certificate too. */
export function rpkServerCredentials(flags: RpkServerFlags): RpkServerCredentials {
  const pinnedPublicKeys = flags.pinFile === undefined ? undefined : readPins(flags.pinFile);
  return built(() =>
    rpkServer({
      key: flags.key,
      passphrase: flags.passphrase,
      cert: flags.cert,
      pinnedPublicKeys,
      ca: flags.verify ? flags.ca : undefined,
      requestCert: pinnedPublicKeys !== undefined || flags.verify,
      rejectUnauthorized: true,
    }),
  );
}

export interface RpkClientFlags {
  key: string | undefined;
  passphrase: string | undefined;
  cert: string | undefined;
  ca: string | undefined;
  pinFile: string | undefined;
  insecure: boolean;
}

/** rpkClient from the flags: --ca is the X.509 fallback; --insecure lets any server key in (not authorized). */
export function rpkClientCredentials(flags: RpkClientFlags): RpkClientCredentials {
  const pinnedPublicKeys = flags.pinFile === undefined ? [] : readPins(flags.pinFile);
  return built(() =>
    rpkClient({ pinnedPublicKeys, key: flags.key, passphrase: flags.passphrase, cert: flags.cert, ca: flags.ca, rejectUnauthorized: !flags.insecure }),
  );
}
