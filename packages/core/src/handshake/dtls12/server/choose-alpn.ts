import { AlertDescription } from '../../../alert.js';
import { asDtlsError, DtlsError } from '../../../errors.js';
import type { ResolvedServerOptions } from '../../../options.js';
import { decodeAlpn } from '../../extensions/alpn.js';
import { findExtension } from '../../extensions/extension.js';
import { ExtensionType } from '../../extensions/extension-type.js';
import type { ClientHello } from '../../messages/client-hello.js';

/**
 * The protocol we answer the client's ALPN offer with (RFC 7301 3.2), or undefined when the
 * client offered none or we take part in no ALPN. With ALPNProtocols: the first of ours the client
 * offers. With ALPNCallback: the protocol it returns. No protocol (none in common, the callback
 * returned undefined or one the client did not offer) is fatal: no_application_protocol.
 */
export function chooseAlpn(config: ResolvedServerOptions, ch: ClientHello, servername: string | undefined): string | undefined {
  const ext = findExtension(ch.extensions, ExtensionType.application_layer_protocol_negotiation);
  if (!ext) return undefined;
  const callback = config.alpnCallback;
  if (callback === undefined) {
    if (config.alpnProtocols.length === 0) return undefined;
    const offered = decodeAlpn(ext.data);
    const chosen = config.alpnProtocols.find((p) => offered.includes(p));
    if (chosen === undefined) throw new DtlsError(AlertDescription.no_application_protocol, 'no ALPN protocol in common with the client');
    return chosen;
  }
  const offered = decodeAlpn(ext.data);
  let chosen: unknown;
  try {
    // A copy: what the callback does with its argument is no business of the handshake.
    chosen = callback({ servername, protocols: [...offered] });
  } catch (err) {
    throw asDtlsError(err, 'ALPNCallback');
  }
  if (chosen === undefined) {
    // node:tls: undefined rejects the connection with a fatal alert.
    throw new DtlsError(AlertDescription.no_application_protocol, `ALPNCallback chose none of the client's protocols (${offered.join(', ')})`);
  }
  if (typeof chosen !== 'string' || !offered.includes(chosen)) {
    // node:tls ERR_TLS_ALPN_CALLBACK_INVALID_RESULT; RFC 7301 3.2: the server answers with one of the client's protocols.
    throw new DtlsError(
      AlertDescription.no_application_protocol,
      `ALPNCallback returned ${JSON.stringify(chosen)}, which the client did not offer (${offered.join(', ')})`,
    );
  }
  return chosen;
}
