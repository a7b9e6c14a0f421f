/**
 * The peer's certificate as node:tls `getPeerCertificate()` shows it, built from the DER chain
 * the peer sent (RFC 5246 7.4.2: leaf first, each following certificate certifying the one before
 * it). The fields are node's own: node:crypto's X509Certificate encodes them exactly as node:tls
 * does (`toLegacyObject()`), so an application written against node:tls reads the same values.
 */
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate as NodePeerCertificate } from 'node:tls';

/**
 * node:tls's certificate object: `subject`, `issuer` (objects of RDN fields: `{ CN, O, OU, ... }`,
 * a repeated field as an array), `subjectaltname`, `ca`, `valid_from`, `valid_to`, `fingerprint`,
 * `fingerprint256`, `fingerprint512`, `serialNumber`, `raw` (DER), and the key's `bits`, `pubkey`
 * (with `modulus`/`exponent` for RSA, `asn1Curve`/`nistCurve` for EC). The same type as node's,
 * so it can be passed to `tls.checkServerIdentity()`.
 */
export type PeerCertificate = NodePeerCertificate;

/**
 * With `detailed`: each certificate links to its issuer's. Optional, unlike in node's typings,
 * because node leaves it out when the issuer is unknown (a chain that stops at an intermediate);
 * a self-signed certificate at the end links to itself, as in node:tls.
 */
/**
 * What getPeerCertificate() returns when the peer sent no certificate (PSK suites, a client the
 * server did not ask for one): node:tls's empty object `{}`. Test with `if (cert.raw)`.
 */
export type NoPeerCertificate = { readonly [K in keyof DetailedPeerCertificate]?: undefined };

export interface DetailedPeerCertificate extends PeerCertificate {
  issuerCertificate?: DetailedPeerCertificate;
}

/**
 * The peer's leaf certificate as node's X509Certificate, or undefined when the peer sent none
 * (PSK suites, a server that did not ask for a client certificate). Throws node's error if the
 * bytes are not a certificate; the engine has already parsed and verified every certificate it
 * accepted, so a chain it hands out decodes.
 */
export function peerX509Certificate(chain: readonly Uint8Array[]): X509Certificate | undefined {
  const leaf = chain[0];
  return leaf === undefined ? undefined : new X509Certificate(leaf);
}

/**
 * node:tls `getPeerCertificate(detailed)` from the peer's chain (DER, leaf first); undefined for an
 * empty chain (node:tls answers `{}` there: the socket does). With `detailed`, `issuerCertificate`
 * links each certificate to the one in the chain that issued it, found by issuer name and key
 * identifier (`X509Certificate.checkIssued`, OpenSSL's X509_check_issued as node uses) whatever the order it was sent in, as node does; a chain that
 * ends in a self-signed certificate ends in a loop (its `issuerCertificate` is itself). Unlike
 * node, which also looks the last issuer up in the client's trust store, only the certificates the
 * peer sent are linked: the engine keeps the trust store inside the credentials.
 */
export function peerCertificate(chain: readonly Uint8Array[], detailed = false): DetailedPeerCertificate | undefined {
  const certs = chain.map((der) => new X509Certificate(der));
  const leaf = certs[0];
  if (leaf === undefined) return undefined;
  const first: DetailedPeerCertificate = leaf.toLegacyObject();
  if (!detailed) return first;
  // RFC 5246 7.4.2 says each certificate certifies the one before it, but peers do send extra or
  // misordered certificates: link by who issued whom, each certificate used once (no cycles).
  const unused = certs.slice(1);
  let current = leaf;
  let object = first;
  for (;;) {
    const at = unused.findIndex((candidate) => current.checkIssued(candidate));
    if (at === -1) break;
    const [issuer] = unused.splice(at, 1);
    if (issuer === undefined) break;
    const next: DetailedPeerCertificate = issuer.toLegacyObject();
    object.issuerCertificate = next;
    object = next;
    current = issuer;
  }
  if (current.checkIssued(current)) object.issuerCertificate = object;
  return first;
}
