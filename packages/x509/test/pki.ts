/**
 * A small PKI made by the openssl command line (not by our code): roots, intermediates and
 * leaves with the extensions of openssl.cnf-style sections, each returned as DER.
 */
import { randomBytes } from 'node:crypto';
import { parseCertificates } from '../src/index.js';
import type { Scratch } from './openssl.js';

const CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[int]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[int_pathlen0]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[int_not_ca]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[int_no_certsign]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[int_name_constraints]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
nameConstraints = critical, permitted;DNS:example.com
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, DNS:*.example.com, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server_rsa]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[client]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[code_signing]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectAltName = DNS:localhost
[key_encipherment_only]
basicConstraints = CA:FALSE
keyUsage = critical, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
[no_san]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
`;

export type KeySpec = 'p256' | 'p384' | 'rsa' | 'secp256k1' | 'rsa512' | 'rsa1024' | 'rsa3072' | 'p256-explicit' | 'ed25519';

/** `openssl genpkey` arguments for a new key of `key`. */
export function genpkeyArgs(key: KeySpec): string[] {
  switch (key) {
    case 'p256':
      return ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    case 'p384':
      return ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'];
    case 'secp256k1':
      return ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'];
    case 'p256-explicit':
      // The curve's parameters written out in the key instead of its name (RFC 5480 forbids it).
      return ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:explicit'];
    case 'rsa':
      return ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
    case 'rsa512':
      return ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:512'];
    case 'rsa1024':
      return ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'];
    case 'rsa3072':
      return ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'];
    case 'ed25519':
      return ['-algorithm', 'ED25519'];
  }
}

/** `openssl ca` configuration: one database per call (the environment names it), names kept as given. */
export const CA_CONFIG = `
[ca]
default_ca = dk
[dk]
database = $ENV::DK_DB
new_certs_dir = $ENV::DK_OUT
serial = $ENV::DK_SERIAL
policy = dk_policy
default_md = sha256
unique_subject = no
email_in_dn = no
[dk_policy]
commonName = optional
`;

/** YYYYMMDDHHMMSSZ, as `openssl ca -startdate/-enddate` take it. */
export function opensslTime(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

export interface Issued {
  readonly name: string;
  readonly der: Uint8Array;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface IssueOptions {
  /** A new key of this kind (default p256); ignored with keyFile. */
  readonly key?: KeySpec;
  /** Certify this existing key (a file in the scratch directory) instead of a new one. */
  readonly keyFile?: string;
  /** Subject (default `/O=dtls-kit tests/CN=<name>`). */
  readonly subject?: string;
  /** Validity from now (default 30 days; negative for an expired certificate), unless dates are given. */
  readonly days?: number;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Signature hash (default sha256; none for Ed25519). */
  readonly digest?: string;
}

export class OpenSslPki {
  private config = CONFIG;

  constructor(private readonly scratch: Scratch) {
    scratch.write('pki.cnf', CONFIG);
    scratch.write('ca.cnf', CA_CONFIG);
  }

  /** Adds an extension section (`[name]` then `body`) for root() and issue(). */
  section(name: string, body: string): string {
    this.config += `\n[${name}]\n${body.trim()}\n`;
    this.scratch.write('pki.cnf', this.config);
    return name;
  }

  /** A new key of `key` in the file `name` of the scratch directory (for certificates that share a key). */
  newKey(name: string, key: KeySpec = 'p256'): string {
    this.scratch.openssl(['genpkey', ...genpkeyArgs(key), '-out', name]);
    return name;
  }

  /** A self-signed root with the [root] section (or another). */
  root(name: string, options: IssueOptions & { section?: string } = {}): Issued {
    return this.make(name, undefined, options.section ?? 'root', options);
  }

  /** A certificate for a new key (or `keyFile`), signed by `issuer` with the extensions of `section`. */
  issue(name: string, issuer: Issued, section: string, options: IssueOptions = {}): Issued {
    return this.make(name, issuer, section, options);
  }

  private make(name: string, issuer: Issued | undefined, section: string, options: IssueOptions): Issued {
    const s = this.scratch;
    const keyFile = options.keyFile ?? `${name}.key`;
    if (options.keyFile === undefined) s.openssl(['genpkey', ...genpkeyArgs(options.key ?? 'p256'), '-out', keyFile]);
    const subject = options.subject ?? `/O=dtls-kit tests/CN=${name}`;
    const digest = options.digest === undefined ? (options.key === 'ed25519' ? [] : ['-sha256']) : [`-${options.digest}`];
    if (options.notBefore !== undefined || options.notAfter !== undefined) {
      // Chosen dates need `openssl ca` (openssl 3.0's req and x509 only count days from now).
      s.openssl(['req', '-new', '-config', 'pki.cnf', '-key', keyFile, '-subj', subject, '-out', `${name}.csr`]);
      s.write(`${name}.db`, '');
      s.write(`${name}.serial`, '01\n');
      const from = options.notBefore ?? new Date();
      const to = options.notAfter ?? new Date(from.getTime() + 30 * 86_400_000);
      s.opensslEnv(
        [
          'ca', '-batch', '-config', 'ca.cnf', '-in', `${name}.csr`, '-out', `${name}.pem`, '-notext', '-preserveDN', '-rand_serial',
          '-startdate', opensslTime(from), '-enddate', opensslTime(to), '-extfile', 'pki.cnf', '-extensions', section, '-outdir', '.',
          ...(digest.length > 0 ? ['-md', (digest[0] ?? '').slice(1)] : []),
          ...(issuer === undefined ? ['-selfsign', '-keyfile', keyFile] : ['-cert', issuer.certFile, '-keyfile', issuer.keyFile]),
        ],
        { DK_DB: `${name}.db`, DK_OUT: '.', DK_SERIAL: `${name}.serial` },
      );
    } else if (issuer === undefined) {
      s.openssl([
        'req', '-x509', '-config', 'pki.cnf', '-extensions', section, '-key', keyFile, '-out', `${name}.pem`, '-subj', subject,
        '-days', String(options.days ?? 30), '-set_serial', `0x${randomBytes(8).toString('hex')}`, ...digest,
      ]);
    } else {
      s.openssl(['req', '-new', '-config', 'pki.cnf', '-key', keyFile, '-out', `${name}.csr`, '-subj', subject]);
      s.openssl([
        'x509', '-req', '-in', `${name}.csr`, '-CA', issuer.certFile, '-CAkey', issuer.keyFile,
        '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', String(options.days ?? 30),
        '-extfile', 'pki.cnf', '-extensions', section, ...digest, '-out', `${name}.pem`,
      ]);
    }
    return this.loaded(name, keyFile);
  }

  private loaded(name: string, keyFile: string): Issued {
    const der = parseCertificates(this.scratch.readText(`${name}.pem`))[0];
    if (der === undefined) throw new Error(`openssl wrote no certificate for ${name}`);
    return { name, der, certFile: this.scratch.path(`${name}.pem`), keyFile: this.scratch.path(keyFile) };
  }
}
