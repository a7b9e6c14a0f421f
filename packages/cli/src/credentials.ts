import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pskClient, pskServer } from '@dtls-kit/psk';
import { x509Client, x509Server } from '@dtls-kit/x509';
import type { ClientOptions, ServerOptions } from '@dtls-kit/core';
import { UsageError, type ClientArgs, type ServerArgs } from './args.js';
import { rpkClientCredentials, rpkServerCredentials } from './raw-public-key.js';
import { versionOptions } from './version-flags.js';

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * The --key PEM text, checked for encryption: an encrypted key (PKCS#8 "ENCRYPTED PRIVATE KEY",
 * or a legacy "Proc-Type: 4,ENCRYPTED" block) needs --pass; OpenSSL's own message for it,
 * "interrupted or cancelled", does not say so.
 */
function readKey(file: string, passphrase: string | undefined): string {
  const key = readPem('key', file);
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,\s*ENCRYPTED/.test(key);
  if (encrypted && passphrase === undefined) throw new UsageError(`--key ${file} is encrypted: give its passphrase with --pass (pass:TEXT, env:VAR or file:PATH)`);
  if (encrypted && passphrase !== undefined) {
    try {
      createPrivateKey({ key, format: 'pem', passphrase });
    } catch {
      throw new UsageError(`--pass: the passphrase does not decrypt --key ${file}`);
    }
  }
  return key;
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
  if (args.rpk && args.key !== undefined) {
    // RFC 7250: a raw public key, --cert (if any) for peers without raw-key support.
    const key = readKey(args.key, args.passphrase);
    options.x509 = rpkServerCredentials({ key, passphrase: args.passphrase, cert: args.cert === undefined ? undefined : readPem('cert', args.cert), ca: args.ca === undefined ? undefined : readPem('ca', args.ca), pinFile: args.rpkPin, verify: args.verify });
  } else if (args.cert !== undefined && args.key !== undefined) {
    const cert = readPem('cert', args.cert);
    const key = readKey(args.key, args.passphrase);
    const ca = args.ca === undefined ? undefined : readPem('ca', args.ca);
    options.x509 = build('--cert/--key', () =>
      x509Server({ key, cert, passphrase: args.passphrase, ca, requestCert: args.verify, rejectUnauthorized: args.verify }),
    );
  }
  if (args.cipher !== undefined) options.cipherSuites = args.cipher;
  if (!args.encryptThenMac) options.encryptThenMac = false; // --no-etm (RFC 7366)
  if (args.requireEncryptThenMac) options.requireEncryptThenMac = true; // --require-etm
  if (args.alpn !== undefined) options.ALPNProtocols = args.alpn;
  if (args.srtp !== undefined) options.srtpProfiles = args.srtp;
  if (args.mtu !== undefined) options.mtu = args.mtu;
  if (args.cid !== undefined) options.connectionId = { length: args.cid, ...(args.serverId === undefined ? {} : { serverId: Uint8Array.of(args.serverId) }) };
  if (args.noTicket) options.sessionTickets = false;
  if (args.recordSize !== undefined) options.recordSizeLimit = args.recordSize;
  // --dtls1_3 / --dtls1_2: the one version accepted (RFC 8446 4.2.1).
  Object.assign(options, versionOptions(args.version));
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
  if (args.rpk || args.rpkPin !== undefined) {
    // RFC 7250: pinned server keys, our raw key with --rpk; --ca for servers without raw-key support.
    const key = args.rpk && args.key !== undefined ? readKey(args.key, args.passphrase) : undefined;
    const ca = args.ca === undefined ? undefined : readPem('ca', args.ca);
    const cert = args.cert === undefined ? undefined : readPem('cert', args.cert);
    options.x509 = rpkClientCredentials({ key, passphrase: args.passphrase, cert, ca, pinFile: args.rpkPin, insecure: args.insecure });
  } else if (args.psk === undefined || args.ca !== undefined || args.cert !== undefined || args.insecure) {
    const ca = args.ca === undefined ? undefined : readPem('ca', args.ca);
    const cert = args.cert === undefined ? undefined : readPem('cert', args.cert);
    const key = args.key === undefined ? undefined : readKey(args.key, args.passphrase);
    options.x509 = build('certificate options', () => x509Client({ ca, cert, key, passphrase: args.passphrase, rejectUnauthorized: !args.insecure }));
  }
  if (args.cipher !== undefined) options.cipherSuites = args.cipher;
  if (!args.encryptThenMac) options.encryptThenMac = false; // --no-etm (RFC 7366)
  if (args.requireEncryptThenMac) options.requireEncryptThenMac = true; // --require-etm
  if (args.alpn !== undefined) options.ALPNProtocols = args.alpn;
  if (args.srtp !== undefined) options.srtpProfiles = args.srtp;
  if (args.srtpMki !== undefined) options.srtpMki = args.srtpMki;
  if (args.mtu !== undefined) options.mtu = args.mtu;
  if (args.cid !== undefined) options.connectionId = { length: args.cid };
  if (args.recordSize !== undefined) options.recordSizeLimit = args.recordSize;
  if (args.maxFragLen !== undefined) options.maxFragmentLength = args.maxFragLen;
  // --dtls1_3 / --dtls1_2: that version only (RFC 9147 5.3 / RFC 8446 4.2.1 supported_versions).
  Object.assign(options, versionOptions(args.version));
  if (args.servername !== undefined) options.servername = args.servername;
  if (args.noTicket) options.sessionTickets = false;
  return options;
}
