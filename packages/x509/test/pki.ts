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

export type KeySpec = 'p256' | 'p384' | 'rsa' | 'secp256k1';

function keyArgs(key: KeySpec): string[] {
  switch (key) {
    case 'p256':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    case 'p384':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'];
    case 'secp256k1':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1'];
    case 'rsa':
      return ['-newkey', 'rsa:2048'];
  }
}

export interface Issued {
  readonly name: string;
  readonly der: Uint8Array;
  readonly certFile: string;
  readonly keyFile: string;
}

export class OpenSslPki {
  constructor(private readonly scratch: Scratch) {
    scratch.write('pki.cnf', CONFIG);
  }

  /** A self-signed root with the [root] section (or another). */
  root(name: string, options: { key?: KeySpec; section?: string; days?: number } = {}): Issued {
    const s = this.scratch;
    s.openssl([
      'req', '-x509', '-config', 'pki.cnf', '-extensions', options.section ?? 'root',
      ...keyArgs(options.key ?? 'p256'), '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
      '-subj', `/O=dtls-kit tests/CN=${name}`, '-days', String(options.days ?? 30), '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    ]);
    return this.loaded(name);
  }

  /** A certificate for a new key, signed by `issuer` with the extensions of `section`. */
  issue(name: string, issuer: Issued, section: string, options: { key?: KeySpec; days?: number; digest?: string } = {}): Issued {
    const s = this.scratch;
    s.openssl(['req', '-new', '-config', 'pki.cnf', ...keyArgs(options.key ?? 'p256'), '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=dtls-kit tests/CN=${name}`]);
    s.openssl([
      'x509', '-req', '-in', `${name}.csr`, '-CA', issuer.certFile, '-CAkey', issuer.keyFile,
      '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', String(options.days ?? 30),
      '-extfile', 'pki.cnf', '-extensions', section, `-${options.digest ?? 'sha256'}`, '-out', `${name}.pem`,
    ]);
    return this.loaded(name);
  }

  private loaded(name: string): Issued {
    const der = parseCertificates(this.scratch.readText(`${name}.pem`))[0];
    if (der === undefined) throw new Error(`openssl wrote no certificate for ${name}`);
    return { name, der, certFile: this.scratch.path(`${name}.pem`), keyFile: this.scratch.path(`${name}.key`) };
  }
}
