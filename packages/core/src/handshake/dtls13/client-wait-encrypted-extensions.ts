import { DtlsError, IllegalParameterError } from '../../errors.js';
import { AlertDescription } from '../../alert.js';
import type { HandshakeMessage } from '../common/handshake-engine.js';
import { decodeAlpn } from '../extensions/alpn.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { HandshakeType } from '../handshake-type.js';
import type { ClientHello } from '../messages/client-hello.js';
import { decodeEncryptedExtensions } from '../messages/encrypted-extensions.js';
import type { ClientContext, ClientState } from '../dtls12/client/client-state.js';
import type { Dtls13ClientSecrets } from './client-handshake-secrets.js';
import { WaitServerFinished13 } from './client-wait-finished.js';
import { WaitCertificateOrRequest } from './client-wait-certificate.js';

/** RFC 8446 4.2 table: extensions that never belong in EncryptedExtensions (they have their own messages). */
const NOT_IN_ENCRYPTED_EXTENSIONS: readonly number[] = [
  ExtensionType.supported_versions,
  ExtensionType.key_share,
  ExtensionType.pre_shared_key,
  ExtensionType.psk_key_exchange_modes,
  ExtensionType.cookie,
  ExtensionType.signature_algorithms,
];

/** The ServerHello is in and the handshake keys are set: EncryptedExtensions comes first under them (RFC 8446 4.3.1). */
export class WaitEncryptedExtensions implements ClientState {
  readonly name = 'wait_encrypted_extensions';

  constructor(
    private readonly secrets: Dtls13ClientSecrets,
    private readonly hello: ClientHello,
  ) {}

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType !== HandshakeType.encrypted_extensions) throw cx.unexpected(m);
    const { extensions } = decodeEncryptedExtensions(m.body);
    const offered = new Set(this.hello.extensions.map((e) => e.type));
    for (const e of extensions) {
      if (NOT_IN_ENCRYPTED_EXTENSIONS.includes(e.type)) throw new IllegalParameterError(`EncryptedExtensions carries extension ${e.type} (RFC 8446 4.2)`);
      // RFC 8446 4.2: only answers to what we offered.
      if (!offered.has(e.type)) throw new DtlsError(AlertDescription.unsupported_extension, `server sent extension ${e.type} we did not offer`);
      if (e.type === ExtensionType.application_layer_protocol_negotiation) {
        const chosen = decodeAlpn(e.data);
        const first = chosen[0];
        // RFC 7301 3.1: exactly one protocol, one that we offered.
        if (chosen.length !== 1 || first === undefined || !cx.config.alpnProtocols.includes(first)) throw new IllegalParameterError('server selected an ALPN protocol we did not offer');
        cx.negotiated.alpnProtocol = first;
      }
    }
    this.secrets.transcript.add(m.msgType, m.body);
    // RFC 8446 2.2: with a PSK the server proves itself by its Finished alone.
    return this.secrets.pskAuthenticated ? new WaitServerFinished13(this.secrets, undefined) : new WaitCertificateOrRequest(this.secrets);
  }
}
