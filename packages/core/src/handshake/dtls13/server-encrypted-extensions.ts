import type { ResolvedServerOptions } from '../../options.js';
import { chooseAlpn } from '../dtls12/server/choose-alpn.js';
import { encodeAlpn } from '../extensions/alpn.js';
import type { Extension } from '../extensions/extension.js';
import { findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { decodeServerName } from '../extensions/server-name.js';
import type { ClientHello } from '../messages/client-hello.js';

/** What the server's EncryptedExtensions say, and what they settle. */
export interface ServerEncryptedExtensions13 {
  readonly extensions: Extension[];
  readonly alpnProtocol: string | undefined;
  readonly servername: string | undefined;
}

/**
 * RFC 8446 4.3.1: the answers to the client's extensions that do not shape the keys, under the
 * handshake keys. ALPN (RFC 7301 3.1: the one protocol chosen, as in DTLS 1.2, chosen the same
 * way: choose-alpn.ts); server_name (RFC 6066 3: an empty server_name tells the client we used the
 * name it sent, which we do when it sent one: it reaches ALPNCallback and the connection).
 */
export function serverEncryptedExtensions13(config: ResolvedServerOptions, hello: ClientHello): ServerEncryptedExtensions13 {
  const sni = findExtension(hello.extensions, ExtensionType.server_name);
  const servername = sni === undefined ? undefined : decodeServerName(sni.data);
  const alpnProtocol = chooseAlpn(config, hello, servername);
  const extensions: Extension[] = [];
  if (servername !== undefined) extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
  if (alpnProtocol !== undefined) extensions.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn([alpnProtocol]) });
  return { extensions, alpnProtocol, servername };
}
