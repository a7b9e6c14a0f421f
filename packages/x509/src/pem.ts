/**
 * Keys and certificates as node:tls takes them (`key`, `cert`, `ca`): PEM text (RFC 7468) in
 * a string or in bytes, DER bytes, or a list of those. A PEM may hold a whole chain.
 */
import { createPrivateKey, KeyObject, X509Certificate, type PrivateKeyInput as NodePrivateKeyInput } from 'node:crypto';

/** One certificate or several, as node:tls `cert` and `ca`: PEM (one or many blocks), DER, or a list. */
export type CertificateInput = string | Uint8Array | readonly (string | Uint8Array)[];

/**
 * A private key as node:tls `key`: PEM (PKCS#8 `PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, SEC1
 * `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`), the same in DER bytes, or a node KeyObject.
 */
export type PrivateKeyInput = string | Uint8Array | KeyObject;

/** A decoded PEM block (RFC 7468 section 2). */
export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

// RFC 7468 2: "-----BEGIN label-----", base64 text, "-----END label-----" with the same label.
// Legacy encapsulated headers (RFC 1421, e.g. Proc-Type of an encrypted key) end in a blank line.
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 #-]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
const BASE64_TEXT = /^[A-Za-z0-9+/=\s]*$/;

/** Every PEM block in `text`, in order; text outside the blocks is ignored (RFC 7468 2). */
export function decodePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const label = match[1] ?? '';
    let body = match[2] ?? '';
    const headerEnd = body.search(/\r?\n\r?\n/);
    if (body.includes(':') && headerEnd >= 0) body = body.slice(headerEnd);
    if (!BASE64_TEXT.test(body)) throw new TypeError(`PEM block "${label}" is not base64`);
    blocks.push({ label, der: new Uint8Array(Buffer.from(body.replace(/\s+/g, ''), 'base64')) });
  }
  return blocks;
}

/** DER starts with a SEQUENCE tag; PEM text starts with '-' or whitespace, never 0x30 ('0'). */
function looksLikeDer(bytes: Uint8Array): boolean {
  return bytes.length > 1 && bytes[0] === 0x30;
}

// RFC 7468 5.1 (CERTIFICATE) and 5.3's legacy "X509 CERTIFICATE" label.
const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE']);

function certificatesOf(item: string | Uint8Array, what: string): Uint8Array[] {
  let ders: Uint8Array[];
  if (typeof item !== 'string' && looksLikeDer(item)) {
    ders = [new Uint8Array(item)];
  } else {
    const text = typeof item === 'string' ? item : Buffer.from(item).toString('latin1');
    ders = decodePem(text)
      .filter((b) => CERTIFICATE_LABELS.has(b.label))
      .map((b) => b.der);
    if (ders.length === 0) throw new TypeError(`${what}: no "-----BEGIN CERTIFICATE-----" block found`);
  }
  for (const der of ders) {
    try {
      new X509Certificate(der);
    } catch (err) {
      throw new TypeError(`${what}: not a valid X.509 certificate`, { cause: err });
    }
  }
  return ders;
}

/**
 * The DER certificates in `input`, in the order given (for `cert`: leaf first, then its
 * intermediates, as RFC 5246 7.4.2 sends them). Throws a TypeError when something is not a
 * certificate. `what` names the option in messages.
 */
export function parseCertificates(input: CertificateInput, what = 'certificate'): Uint8Array[] {
  const items: readonly (string | Uint8Array)[] = typeof input === 'string' || input instanceof Uint8Array ? [input] : input;
  return items.flatMap((item) => certificatesOf(item, what));
}

// The DER encodings node can read a private key from, tried in turn (PKCS#8 covers encrypted
// PKCS#8 too when a passphrase is given).
const DER_KEY_TYPES = ['pkcs8', 'sec1', 'pkcs1'] as const;

/**
 * A private KeyObject from PEM or DER: PKCS#8 (RFC 5208/5958), SEC1 EC (RFC 5915) or PKCS#1 RSA
 * (RFC 8017 A.1.2), encrypted ones with `passphrase`. Throws a TypeError when it is none of these.
 */
export function parsePrivateKey(input: PrivateKeyInput, passphrase?: string): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type !== 'private') throw new TypeError(`key: a private key is required, got a ${input.type} key`);
    return input;
  }
  const options: { passphrase?: string } = passphrase === undefined ? {} : { passphrase };
  if (typeof input !== 'string' && looksLikeDer(input)) {
    const der = Buffer.from(input);
    let lastError: unknown;
    for (const type of DER_KEY_TYPES) {
      try {
        const spec: NodePrivateKeyInput = { key: der, format: 'der', type, ...options };
        return createPrivateKey(spec);
      } catch (err) {
        lastError = err;
      }
    }
    throw new TypeError('key: DER bytes that are neither PKCS#8, SEC1 nor PKCS#1', { cause: lastError });
  }
  try {
    return createPrivateKey({ key: typeof input === 'string' ? input : Buffer.from(input), format: 'pem', ...options });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new TypeError(`key: not a readable private key (${detail})`, { cause: err });
  }
}
