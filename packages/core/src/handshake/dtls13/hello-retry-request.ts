import { encodeCookie } from '../extensions/cookie.js';
import type { Extension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { encodeKeyShareHelloRetryRequest } from '../extensions/key-share.js';
import { encodeSupportedVersionsServerHello } from '../extensions/supported-versions.js';
import { DTLS_1_3 } from '../protocol-version.js';
import { encodeServerHello } from '../messages/server-hello.js';
import { dtls13HelloRetryRequest } from '../messages/server-hello-13.js';

/** What a HelloRetryRequest of ours says: everything else in it is fixed. */
export interface HelloRetryRequestFields {
  /** The client's legacy_session_id, echoed (RFC 8446 4.1.3). */
  readonly legacySessionId: Uint8Array;
  readonly cipherSuite: number;
  /** The group the client must send a share for (RFC 8446 4.2.8), if any. */
  readonly selectedGroup: number | undefined;
  /** RFC 9147 5.1: the cookie the client must echo. */
  readonly cookie: Uint8Array;
}

/**
 * The body of our HelloRetryRequest (RFC 8446 4.1.4), byte for byte a function of its fields: the
 * stateless endpoint sends it and forgets it, and the connection made from the second ClientHello
 * builds it again from the cookie for the transcript (RFC 8446 4.4.1). Extensions: only what the
 * client needs ("SHOULD contain the minimal set"): supported_versions, cookie, and key_share when a
 * group is asked for.
 */
export function helloRetryRequestBody(f: HelloRetryRequestFields): Uint8Array {
  const extensions: Extension[] = [
    { type: ExtensionType.supported_versions, data: encodeSupportedVersionsServerHello(DTLS_1_3) },
    { type: ExtensionType.cookie, data: encodeCookie(f.cookie) },
  ];
  if (f.selectedGroup !== undefined) extensions.push({ type: ExtensionType.key_share, data: encodeKeyShareHelloRetryRequest(f.selectedGroup) });
  return encodeServerHello(dtls13HelloRetryRequest({ legacySessionIdEcho: f.legacySessionId, cipherSuite: f.cipherSuite, extensions }));
}
