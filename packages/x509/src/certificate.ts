/**
 * One decoded X.509 certificate (RFC 5280 4.1): the fields and extensions that TLS validation
 * reads, decoded with @peculiar/asn1-x509, next to node's X509Certificate for the public key
 * and signature checks.
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  KeyUsage,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_nameConstraints,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  type KeyUsageType,
  type Name,
} from '@peculiar/asn1-x509';
import { certificateNames, childrenOf, readTlv } from './der.js';
import { decodeGeneralNames, normalizedRdns } from './general-names.js';
import { decodeNameConstraints, type ConstrainedNames, type NameConstraints } from './name-constraints.js';
import { keySecurityBits, RSASSA_PSS, signatureSecurityBits } from './security-level.js';

/** One subjectAltName entry (RFC 5280 4.2.1.6) in the spelling node:tls uses for its types. */
export interface SubjectAltName {
  readonly type: 'DNS' | 'IP Address' | 'email' | 'URI' | 'DirName' | 'Registered ID' | 'othername';
  readonly value: string;
}

export interface ParsedCertificate {
  /** The certificate as received. */
  readonly der: Uint8Array;
  /** SHA-256 of `der` (base64): the key of the caches (parsed-certificates.ts, verified-signatures.ts), which compare `der` itself too. */
  readonly sha256: string;
  /** node:crypto's view of it: public key, signature checks, fingerprints. */
  readonly node: X509Certificate;
  /** 1, 2 or 3 (the encoded value + 1). */
  readonly version: number;
  /** RFC 4514 string forms of the names, most significant RDN last (`CN=host, O=Org, C=US`). */
  readonly subject: string;
  readonly issuer: string;
  /** Exact DER of the names (for CertificateRequest and byte comparison, RFC 5280 7.1). */
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Uppercase hex, as node shows it. */
  readonly serialNumber: string;
  /** OID of the signatureAlgorithm that signed this certificate. */
  readonly signatureAlgorithm: string;
  /** basicConstraints (RFC 5280 4.2.1.9), undefined when absent. */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLength: number | undefined } | undefined;
  /** keyUsage bits that are set (RFC 5280 4.2.1.3), undefined when the extension is absent. */
  readonly keyUsage: ReadonlySet<KeyUsageType> | undefined;
  /** extKeyUsage purposes as OIDs (RFC 5280 4.2.1.12), undefined when absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  /** subjectAltName entries (RFC 5280 4.2.1.6), undefined when the extension is absent. */
  readonly subjectAltNames: readonly SubjectAltName[] | undefined;
  /** Key identifiers in lowercase hex (RFC 5280 4.2.1.1/4.2.1.2). */
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  /** OIDs of critical extensions we do not process (RFC 5280 4.2: such a certificate MUST be rejected). */
  readonly unhandledCriticalExtensions: readonly string[];
  /** nameConstraints (RFC 5280 4.2.1.10), critical or not; undefined when absent. */
  readonly nameConstraints: NameConstraints | undefined;
  /** The names that the name constraints of the CAs above apply to (name-constraints.ts). */
  readonly constrainedNames: ConstrainedNames;
  /** The strength of the public key in bits (security-level.ts); 0 when node cannot read the key. */
  readonly keySecurityBits: number;
  /** The strength of the signature on this certificate in bits (security-level.ts). */
  readonly signatureSecurityBits: number;
  /**
   * True for an elliptic-curve key whose parameters are not a named curve (specifiedCurve or
   * implicitCurve), which RFC 5480 2.1.1 forbids in certificates.
   */
  readonly unnamedCurve: boolean;
}

// RFC 4514 3 short names (plus the common ones OpenSSL prints).
const ATTRIBUTE_NAMES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.4', 'SN'],
  ['2.5.4.5', 'serialNumber'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.9', 'STREET'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.12', 'title'],
  ['2.5.4.42', 'GN'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['1.2.840.113549.1.9.1', 'emailAddress'],
]);

/** RFC 4514 2.4 escaping of an attribute value. */
function escapeValue(value: string): string {
  let out = value.replace(/[\\",+;<>=]/g, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** RFC 4514 2.1: RDNs in reverse order of the encoding, joined by commas (we add a space). */
export function formatName(name: Name): string {
  const rdns = [...name].reverse().map((rdn) =>
    [...rdn]
      .map((atv) => {
        const type = ATTRIBUTE_NAMES.get(atv.type) ?? atv.type;
        const value =
          atv.value.anyValue !== undefined ? `#${Buffer.from(atv.value.anyValue).toString('hex')}` : escapeValue(atv.value.toString());
        return `${type}=${value}`;
      })
      .join('+'),
  );
  return rdns.join(', ');
}

function hex(buffer: ArrayBuffer | Uint8Array): string {
  return Buffer.from(buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer)).toString('hex');
}

function decodeAltNames(value: ArrayBuffer): SubjectAltName[] {
  const names = AsnConvert.parse(value, SubjectAlternativeName);
  return [...names].map((n): SubjectAltName => {
    if (n.dNSName !== undefined) return { type: 'DNS', value: n.dNSName };
    if (n.iPAddress !== undefined) return { type: 'IP Address', value: n.iPAddress };
    if (n.rfc822Name !== undefined) return { type: 'email', value: n.rfc822Name };
    if (n.uniformResourceIdentifier !== undefined) return { type: 'URI', value: n.uniformResourceIdentifier };
    if (n.directoryName !== undefined) return { type: 'DirName', value: formatName(n.directoryName) };
    if (n.registeredID !== undefined) return { type: 'Registered ID', value: n.registeredID };
    if (n.otherName !== undefined) return { type: 'othername', value: n.otherName.typeId };
    return { type: 'othername', value: '' };
  });
}

// Extensions whose meaning we check (or that carry no constraint we must enforce).
const HANDLED_EXTENSIONS = new Set([
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_extKeyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_nameConstraints,
]);

const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const COMMON_NAME = '2.5.4.3';
const EMAIL_ADDRESS = '1.2.840.113549.1.9.1';

/** RFC 4055 3.1: the hash of RSASSA-PSS-params ([0] hashAlgorithm, SHA-1 when absent). */
function pssHash(parameters: ArrayBuffer | null | undefined): string | undefined {
  if (parameters === null || parameters === undefined) return undefined;
  const der = new Uint8Array(parameters);
  const params = readTlv(der, 0, der.length);
  const hashField = params.tag === 0x30 ? childrenOf(der, params).find((f) => f.tag === 0xa0) : undefined;
  if (hashField === undefined) return undefined;
  const inner = readTlv(der, hashField.contentStart, hashField.end);
  return AsnConvert.parse(der.subarray(hashField.contentStart, inner.end), AlgorithmIdentifier).algorithm;
}

/** node's KeyObject for the certificate's key, or undefined for a key OpenSSL cannot load. */
function publicKeyOf(node: X509Certificate): KeyObject | undefined {
  try {
    return node.publicKey;
  } catch {
    return undefined;
  }
}

/** SHA-256 of a certificate's DER, base64 (ParsedCertificate.sha256). */
export function sha256Of(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64');
}

/**
 * Decodes a DER certificate. Throws (a RangeError or the decoder's error) when the bytes are
 * not a well-formed certificate; callers turn that into bad_certificate. `sha256` is that of
 * `der`, for a caller that has it already (parsed-certificates.ts).
 */
export function parseCertificate(der: Uint8Array, sha256: string = sha256Of(der)): ParsedCertificate {
  const node = new X509Certificate(der);
  const cert = AsnConvert.parse(der, Certificate);
  const tbs = cert.tbsCertificate;
  const names = certificateNames(der);
  let basicConstraints: ParsedCertificate['basicConstraints'];
  let keyUsage: Set<KeyUsageType> | undefined;
  let extendedKeyUsage: string[] | undefined;
  let subjectAltNames: SubjectAltName[] | undefined;
  let altNames: ConstrainedNames['altNames'];
  let nameConstraints: NameConstraints | undefined;
  let subjectKeyId: string | undefined;
  let authorityKeyId: string | undefined;
  const unhandledCriticalExtensions: string[] = [];
  const seen = new Set<string>();
  for (const ext of tbs.extensions ?? []) {
    // RFC 5280 4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (seen.has(ext.extnID)) throw new RangeError(`extension ${ext.extnID} appears twice`);
    seen.add(ext.extnID);
    const value = ext.extnValue.buffer;
    switch (ext.extnID) {
      case id_ce_basicConstraints: {
        const bc = AsnConvert.parse(value, BasicConstraints);
        basicConstraints = { ca: bc.cA, pathLength: bc.pathLenConstraint };
        break;
      }
      case id_ce_keyUsage:
        keyUsage = new Set(AsnConvert.parse(value, KeyUsage).toJSON());
        break;
      case id_ce_extKeyUsage:
        extendedKeyUsage = [...AsnConvert.parse(value, ExtendedKeyUsage)];
        break;
      case id_ce_subjectAltName:
        subjectAltNames = decodeAltNames(value);
        altNames = decodeGeneralNames(new Uint8Array(value));
        break;
      case id_ce_nameConstraints:
        nameConstraints = decodeNameConstraints(new Uint8Array(value));
        break;
      case id_ce_subjectKeyIdentifier:
        subjectKeyId = hex(AsnConvert.parse(value, SubjectKeyIdentifier).buffer);
        break;
      case id_ce_authorityKeyIdentifier: {
        const aki = AsnConvert.parse(value, AuthorityKeyIdentifier);
        authorityKeyId = aki.keyIdentifier === undefined ? undefined : hex(aki.keyIdentifier.buffer);
        break;
      }
      default:
        if (ext.critical && !HANDLED_EXTENSIONS.has(ext.extnID)) unhandledCriticalExtensions.push(ext.extnID);
    }
  }
  const spki = tbs.subjectPublicKeyInfo;
  const curveParameters = spki.algorithm.parameters;
  const attributes = [...tbs.subject].flatMap((rdn) => [...rdn]);
  const textOf = (type: string): string[] => attributes.filter((a) => a.type === type).map((a) => a.value.toString());
  return {
    der,
    sha256,
    node,
    version: tbs.version + 1,
    subject: formatName(tbs.subject),
    issuer: formatName(tbs.issuer),
    subjectDer: names.subject,
    issuerDer: names.issuer,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    serialNumber: node.serialNumber.toUpperCase(),
    signatureAlgorithm: cert.signatureAlgorithm.algorithm,
    basicConstraints,
    keyUsage,
    extendedKeyUsage,
    subjectAltNames,
    subjectKeyId,
    authorityKeyId,
    unhandledCriticalExtensions,
    nameConstraints,
    constrainedNames: {
      subjectRdns: normalizedRdns(tbs.subject),
      subjectEmails: textOf(EMAIL_ADDRESS),
      subjectCommonNames: textOf(COMMON_NAME),
      altNames,
    },
    keySecurityBits: keySecurityBits(publicKeyOf(node), new Uint8Array(spki.subjectPublicKey)),
    signatureSecurityBits: signatureSecurityBits(
      cert.signatureAlgorithm.algorithm,
      cert.signatureAlgorithm.algorithm === RSASSA_PSS ? pssHash(cert.signatureAlgorithm.parameters) : undefined,
    ),
    // RFC 5480 2.1.1: ECParameters is a namedCurve OID in PKIX; specifiedCurve (a SEQUENCE)
    // and implicitCurve (NULL) MUST NOT be used.
    unnamedCurve:
      spki.algorithm.algorithm === ID_EC_PUBLIC_KEY &&
      (curveParameters === null || curveParameters === undefined || new Uint8Array(curveParameters)[0] !== 0x06),
  };
}
