/**
 * GeneralName (RFC 5280 4.2.1.6) read from its DER as name constraints compare it (RFC 5280
 * 4.2.1.10): the text of dNSName, rfc822Name and uniformResourceIdentifier (IA5String), the
 * exact octets of iPAddress (4 or 16 in a certificate's name, 8 or 32 in a constraint: address
 * then mask; a decoder that turns them into text would lose a non-contiguous mask), and the
 * RDNs of directoryName, normalised for comparison (RFC 5280 7.1). Other forms keep their
 * form only: we constrain none of them, and refuse a certificate whose names a constraint of
 * such a form would apply to (name-constraints.ts).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { childrenOf, contentOf, readTlv, type Tlv } from './der.js';

export type GeneralName =
  | { readonly form: 'dNSName' | 'rfc822Name' | 'uniformResourceIdentifier'; readonly text: string }
  | { readonly form: 'iPAddress'; readonly octets: Uint8Array }
  | { readonly form: 'directoryName'; readonly rdns: readonly string[] }
  | { readonly form: 'otherName' | 'x400Address' | 'ediPartyName' | 'registeredID' };

export type GeneralNameForm = GeneralName['form'];

// RFC 5280 4.2.1.6: GeneralName ::= CHOICE { otherName [0], rfc822Name [1], dNSName [2],
// x400Address [3], directoryName [4], ediPartyName [5], uniformResourceIdentifier [6],
// iPAddress [7], registeredID [8] }, all context-specific.
const FORMS: readonly GeneralNameForm[] = [
  'otherName',
  'rfc822Name',
  'dNSName',
  'x400Address',
  'directoryName',
  'ediPartyName',
  'uniformResourceIdentifier',
  'iPAddress',
  'registeredID',
];
const CONTEXT_CLASS = 0x80;

/**
 * The normalised RDNs of a Name, most significant first (the encoding's order): each RDN is
 * its attributes as `oid=value`, sorted and joined by '+'; a string value is compared with
 * case folded and runs of white space collapsed (RFC 5280 7.1, RFC 4518 caseIgnoreMatch, as
 * OpenSSL canonicalises names), any other value by its encoding.
 */
export function normalizedRdns(name: Name): string[] {
  return [...name].map((rdn) =>
    [...rdn]
      .map((atv) => {
        const raw = atv.value.anyValue;
        const value = raw !== undefined ? `#${Buffer.from(raw).toString('hex')}` : atv.value.toString().toLowerCase().replace(/\s+/g, ' ').trim();
        return `${atv.type}=${value}`;
      })
      .sort()
      .join('+'),
  );
}

/** Decodes the GeneralName element `tlv` of `der`. Throws a RangeError when it is malformed. */
export function decodeGeneralName(der: Uint8Array, tlv: Tlv): GeneralName {
  if ((tlv.tag & 0xc0) !== CONTEXT_CLASS) throw new RangeError('GeneralName: not a context-specific tag');
  const form = FORMS[tlv.tag & 0x1f];
  if (form === undefined) throw new RangeError(`GeneralName: unknown choice [${tlv.tag & 0x1f}]`);
  const content = contentOf(der, tlv);
  switch (form) {
    case 'dNSName':
    case 'rfc822Name':
    case 'uniformResourceIdentifier':
      // IA5String: one byte per character; latin1 keeps any stray byte distinct from ASCII.
      return { form, text: Buffer.from(content).toString('latin1') };
    case 'iPAddress':
      return { form, octets: new Uint8Array(content) };
    case 'directoryName': {
      // [4] is EXPLICIT (a CHOICE), so it wraps the Name's own SEQUENCE.
      const inner = readTlv(der, tlv.contentStart, tlv.end);
      if (inner.end !== tlv.end) throw new RangeError('GeneralName: trailing bytes after a directoryName');
      return { form, rdns: normalizedRdns(AsnConvert.parse(der.subarray(tlv.contentStart, inner.end), Name)) };
    }
    default:
      return { form };
  }
}

/** Decodes a GeneralNames SEQUENCE (the value of subjectAltName). Throws a RangeError when malformed. */
export function decodeGeneralNames(der: Uint8Array): GeneralName[] {
  const outer = readTlv(der, 0, der.length);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new RangeError('GeneralNames: not one SEQUENCE');
  return childrenOf(der, outer).map((tlv) => decodeGeneralName(der, tlv));
}
