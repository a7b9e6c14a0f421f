import { readFileSync } from 'node:fs';
import { pskClient, pskServer } from '@dtls-kit/psk';
import { x509Client, x509Server } from '@dtls-kit/x509';
import type { ClientOptions, ServerOptions } from '@dtls-kit/core';
import { UsageError, type ClientArgs, type ServerArgs } from './args.js';

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Turns a library's TypeError (bad key, key not matching the certificate, ...) into a usage error. */
function build<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${what}: ${(error as Error).message}`);
  }
}

/** The engine options of `dtls-kit server`: credentials, suites, MTU, connection IDs. */
export function serverOptions(args: ServerArgs): ServerOptions {
  const options: ServerOptions = {};
  if (args.psk !== undefined) {
    const psk = args.psk;
    options.psk = build('--psk', () => pskServer({ keys: { [args.pskIdentity]: psk }, pskIdentityHint: args.pskHint }));
  }
  if (args.cert !== undefined && args.key !== undefined) {
    const cert = readPem('cert', args.cert);
    const key = readPem('key', args.key);
    const ca = args.ca === undefined ? undefined : readPem('ca', args.ca);
    options.x509 = build('--cert/--key', () => x509Server({ key, cert, ca, requestCert: args.verify, rejectUnauthorized: args.verify }));
  }
  if (args.cipher !== undefined) options.cipherSuites = args.cipher;
  if (args.mtu !== undefined) options.mtu = args.mtu;
  if (args.cid !== undefined) options.connectionId = { length: args.cid };
  return options;
}

/**
 * The engine options of `dtls-kit client`. Certificate credentials are made when a certificate
 * flag is given (--ca, --cert, --insecure) or when there is no --psk (certificate suites,
 * checked against node's bundled roots).
 */
export function clientOptions(args: ClientArgs): ClientOptions {
  const options: ClientOptions = {};
  if (args.psk !== undefined) {
    const psk = args.psk;
    options.psk = build('--psk', () => pskClient({ identity: args.pskIdentity, key: psk }));
  }
  if (args.psk === undefined || args.ca !== undefined || args.cert !== undefined || args.insecure) {
    const ca = args.ca === undefined ? undefined : readPem('ca', args.ca);
    const cert = args.cert === undefined ? undefined : readPem('cert', args.cert);
    const key = args.key === undefined ? undefined : readPem('key', args.key);
    options.x509 = build('certificate options', () => x509Client({ ca, cert, key, rejectUnauthorized: !args.insecure }));
  }
  if (args.cipher !== undefined) options.cipherSuites = args.cipher;
  if (args.mtu !== undefined) options.mtu = args.mtu;
  if (args.cid !== undefined) options.connectionId = { length: args.cid };
  if (args.servername !== undefined) options.servername = args.servername;
  return options;
}
