/**
 * How a peer's raw public key (RFC 7250) shows on the connection line: its kind and the SHA-256
 * of its SubjectPublicKeyInfo, the value to pin. Its own file: the blocking echo handler (a
 * worker entry) imports it without the flag parsing.
 */
import { createHash, createPublicKey } from 'node:crypto';

/** `rawkey=ec prime256v1 sha256:ab12...` (the SPKI's SHA-256, as a pin), or undefined without a raw key. */
export function rawKeyNote(spki: Uint8Array | undefined, authorized: boolean): string | undefined {
  if (spki === undefined) return undefined;
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const kind = key.asymmetricKeyDetails?.namedCurve === undefined ? (key.asymmetricKeyType ?? 'unknown') : `${key.asymmetricKeyType ?? 'unknown'} ${key.asymmetricKeyDetails.namedCurve}`;
  const digest = createHash('sha256').update(spki).digest('hex');
  return `rawkey=${JSON.stringify(`${kind} sha256:${digest}`)}${authorized ? '' : ' (not authorized)'}`;
}
