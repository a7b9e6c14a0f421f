/**
 * Certificates for the differential test, made by the openssl command line (not by our code)
 * from declarative specs, with at most `concurrency` openssl processes at a time: each
 * certificate waits for its issuer (and for the key it shares, if any), unrelated ones are
 * made in parallel. Every command runs in one scratch directory.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseCertificates } from '../src/index.js';
import type { Scratch } from './openssl.js';
import { CA_CONFIG, genpkeyArgs, opensslTime, type KeySpec } from './pki.js';

export interface CertSpec {
  /** The issuing certificate's name; self-signed when absent. */
  readonly issuer?: string;
  /**
   * The extensions (openssl x509v3_config lines, of a section that becomes [ext]; further
   * sections may follow for dirName values). Absent: a version 1 certificate, no extensions.
   */
  readonly ext?: string;
  /** A new key of this kind (default p256). */
  readonly key?: KeySpec;
  /** Certify the key of this other spec instead of a new one. */
  readonly sameKeyAs?: string;
  /** Default `/O=dtls-kit diff/CN=<name>`. */
  readonly subject?: string;
  /** Validity from now in days (default 30; negative: expired since yesterday), unless dates are given. */
  readonly days?: number;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Signature hash (default sha256; ignored when the signer is Ed25519). */
  readonly digest?: string;
  /** Sign with RSASSA-PSS (the signer must be RSA). */
  readonly pss?: boolean;
}

export interface Made {
  readonly name: string;
  readonly der: Uint8Array;
  readonly pem: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly keyPem: string;
  readonly key: KeySpec;
}

export class AsyncPki {
  private readonly specs = new Map<string, CertSpec>();
  private readonly certs = new Map<string, Promise<Made>>();
  private readonly keys = new Map<string, Promise<{ file: string; spec: KeySpec }>>();
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** openssl processes run, for the summary. */
  processes = 0;

  constructor(
    private readonly scratch: Scratch,
    private readonly concurrency: number,
  ) {
    scratch.write('diff-ca.cnf', CA_CONFIG);
  }

  define(name: string, spec: CertSpec): string {
    if (this.specs.has(name)) throw new Error(`certificate ${name} defined twice`);
    if (!/^[\w.-]+$/.test(name)) throw new Error(`certificate name ${name}: letters, digits, '.', '-', '_' only`);
    this.specs.set(name, spec);
    return name;
  }

  /** Runs openssl once a slot is free; resolves with its stdout, rejects with its stderr. */
  async run(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<string> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    this.processes++;
    try {
      return await new Promise<string>((resolve, reject) => {
        execFile('openssl', args, { cwd: this.scratch.dir, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
          if (err) reject(new Error(`openssl ${args.join(' ')}: ${stderr}`, { cause: err }));
          else resolve(stdout);
        });
      });
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** Like run, but resolves with the exit status and both outputs, never rejects for a non-zero exit. */
  async status(args: readonly string[]): Promise<{ ok: boolean; output: string }> {
    try {
      return { ok: true, output: await this.run(args) };
    } catch (err) {
      return { ok: false, output: err instanceof Error ? err.message : String(err) };
    }
  }

  cert(name: string): Promise<Made> {
    let made = this.certs.get(name);
    if (made === undefined) {
      made = this.make(name);
      this.certs.set(name, made);
    }
    return made;
  }

  private spec(name: string): CertSpec {
    const spec = this.specs.get(name);
    if (spec === undefined) throw new Error(`no certificate named ${name}`);
    return spec;
  }

  private key(name: string): Promise<{ file: string; spec: KeySpec }> {
    let key = this.keys.get(name);
    if (key === undefined) {
      const spec = this.spec(name);
      key =
        spec.sameKeyAs !== undefined
          ? this.key(spec.sameKeyAs)
          : this.run(['genpkey', ...genpkeyArgs(spec.key ?? 'p256'), '-out', `${name}.key`]).then(() => ({ file: `${name}.key`, spec: spec.key ?? 'p256' }));
      this.keys.set(name, key);
    }
    return key;
  }

  private async make(name: string): Promise<Made> {
    const spec = this.spec(name);
    const [key, issuer] = await Promise.all([this.key(name), spec.issuer === undefined ? undefined : this.cert(spec.issuer)]);
    const signerKey = issuer?.key ?? key.spec;
    const subject = spec.subject ?? `/O=dtls-kit diff/CN=${name}`;
    this.scratch.write(`${name}.cnf`, `[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = x\n[ext]\n${spec.ext ?? ''}\n`);
    await this.run(['req', '-new', '-config', `${name}.cnf`, '-key', key.file, '-subj', subject, '-out', `${name}.csr`]);
    const digest = signerKey === 'ed25519' ? [] : [`-${spec.digest ?? 'sha256'}`];
    const pss = spec.pss === true ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest'] : [];
    const extensions = spec.ext === undefined ? [] : ['-extfile', `${name}.cnf`, '-extensions', 'ext'];
    if (spec.notBefore !== undefined || spec.notAfter !== undefined) {
      // Chosen dates need `openssl ca` (openssl 3.0's x509 only counts days from now).
      this.scratch.write(`${name}.db`, '');
      this.scratch.write(`${name}.serial`, '01\n');
      const from = spec.notBefore ?? new Date();
      const to = spec.notAfter ?? new Date(from.getTime() + 30 * 86_400_000);
      await this.run(
        [
          'ca', '-batch', '-config', 'diff-ca.cnf', '-in', `${name}.csr`, '-out', `${name}.pem`, '-notext', '-preserveDN', '-rand_serial',
          '-startdate', opensslTime(from), '-enddate', opensslTime(to), '-outdir', '.', ...extensions,
          ...(digest.length > 0 ? ['-md', spec.digest ?? 'sha256'] : []),
          ...(issuer === undefined ? ['-selfsign', '-keyfile', key.file] : ['-cert', issuer.certFile, '-keyfile', issuer.keyFile]),
        ],
        { DK_DB: `${name}.db`, DK_OUT: '.', DK_SERIAL: `${name}.serial` },
      );
    } else {
      await this.run([
        'x509', '-req', '-in', `${name}.csr`, '-out', `${name}.pem`, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
        '-days', String(spec.days ?? 30), ...extensions, ...digest, ...pss,
        ...(issuer === undefined ? ['-signkey', key.file] : ['-CA', issuer.certFile, '-CAkey', issuer.keyFile]),
      ]);
    }
    const pem = this.scratch.readText(`${name}.pem`);
    const der = parseCertificates(pem)[0];
    if (der === undefined) throw new Error(`openssl wrote no certificate for ${name}`);
    return { name, der, pem, certFile: `${name}.pem`, keyFile: key.file, keyPem: this.scratch.readText(key.file), key: key.spec };
  }
}
