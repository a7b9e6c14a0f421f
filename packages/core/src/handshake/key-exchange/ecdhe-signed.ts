import { AlertDescription } from '../../alert.js';
import { ephemeralKeyShare } from '../../crypto/key-share-reserve.js';
import type { NamedGroupName } from '../../crypto/provider.js';
import { DtlsError, IllegalParameterError } from '../../errors.js';
import type { CertificateSigner } from '../../key-exchange/certificate-credentials.js';
import type { ResolvedServerOptions } from '../../options.js';
import { x509Credentials } from '../common/x509-credentials.js';
import { peerVerifier } from '../common/certificate-types.js';
import { namedGroupId } from '../extensions/named-group.js';
import { decodeEcdheClientKeyExchange, encodeEcdheClientKeyExchange } from '../messages/client-key-exchange.js';
import { decodeEcdheServerKeyExchange, encodeEcdheServerKeyExchange } from '../messages/server-key-exchange.js';
import { chooseScheme, schemeKeyExchange, signedParamsContent } from '../dtls12/signature-selection.js';
import { offeredGroup } from './ecdhe-group.js';
import type { ClientKeyExchange, ClientKeyExchangeReader, KeyExchange, ServerKeyExchanger } from './key-exchange.js';

const client: ClientKeyExchange = {
  /** RFC 8422 5.4: ECDHE parameters signed by the certificate's key over both randoms. */
  readServerKeyExchange(body, context, record, wait, then) {
    const verifier = peerVerifier(x509Credentials(context.config), context.serverCertificateType);
    if (!verifier) throw new DtlsError(AlertDescription.internal_error, 'no verifier for the negotiated server certificate type');
    const ske = decodeEcdheServerKeyExchange(body);
    const scheme = ske.signed.scheme;
    // RFC 5246 7.4.1.4.1: only a scheme we offered, of the kind the suite calls for.
    if (!verifier.signatureSchemes.includes(scheme) || schemeKeyExchange(scheme) !== context.suite.keyExchange) {
      throw new IllegalParameterError(`server signed with scheme 0x${scheme.toString(16)}, which we did not offer for ${context.suite.name}`);
    }
    const group = offeredGroup(ske.params, context.config.groups);
    record();
    const leaf = context.serverLeaf;
    // RFC 5246 7.3: the Certificate comes first; without it there is nothing to check the signature with.
    if (!leaf) throw new DtlsError(AlertDescription.unexpected_message, 'ServerKeyExchange without a server certificate');
    const content = signedParamsContent(context.clientRandom, context.serverRandom, ske.params);
    return wait(verifier.verifySignature(leaf, scheme, content, ske.signed.signature), 'ServerKeyExchange signature check', (ok) => {
      if (!ok) throw new DtlsError(AlertDescription.decrypt_error, 'the ServerKeyExchange signature does not verify with the server certificate');
      const serverPublic = ske.params.publicKey;
      return then({
        clientKeyExchange(ctx, _wait, done) {
          // RFC 8422 5.10: the premaster secret is the ECDH shared secret itself.
          const share = ephemeralKeyShare(ctx.config, group);
          const premaster = share.deriveSecret(serverPublic);
          return done({ body: encodeEcdheClientKeyExchange({ publicKey: share.publicKey }), premaster, pskIdentity: undefined });
        },
      });
    });
  },
  // RFC 8422 5.4: the ServerKeyExchange carries the signed parameters; it is never omitted.
  withoutServerKeyExchange: () => undefined,
};

function server(config: ResolvedServerOptions, signer: CertificateSigner, scheme: number, group: NamedGroupName): ServerKeyExchanger {
  return {
    certificates: true,
    serverKeyExchange(clientRandom, serverRandom, wait, then) {
      const share = ephemeralKeyShare(config, group);
      const params = { namedGroup: namedGroupId(group), publicKey: share.publicKey };
      // RFC 8422 5.4: the signature covers both randoms and the parameters.
      const content = signedParamsContent(clientRandom, serverRandom, params);
      return wait(signer.sign(scheme, content), 'ServerKeyExchange signing', (signature) => {
        const reader: ClientKeyExchangeReader = {
          /** RFC 8422 5.7: the client's ECDHE public value; the premaster secret is the shared secret (5.10). */
          readClientKeyExchange(body, record, _wait, done) {
            const cke = decodeEcdheClientKeyExchange(body);
            record();
            return done({ premaster: share.deriveSecret(cke.publicKey), pskIdentity: undefined });
          },
        };
        return then(encodeEcdheServerKeyExchange({ params, signed: { scheme, signature } }), reader);
      });
    },
  };
}

/** ECDHE_ECDSA and ECDHE_RSA (RFC 8422, RFC 5246): ECDHE parameters signed with the server's certificate key. */
export const ECDHE_SIGNED: KeyExchange = {
  name: 'ecdhe_signed',
  certificates: true,
  ecdhe: true,
  client: () => client,
  server: (suite, offer, config) => {
    // RFC 5246 7.4.1.4.1: sign with a scheme the client lists; without the extension it would
    // mean SHA-1, which we do not do, so certificate suites are then off.
    const signer = config.x509?.signer;
    const scheme = signer && offer.signatureSchemes ? chooseScheme(signer.signatureSchemes, offer.signatureSchemes) : undefined;
    // RFC 8422 5.1: a group both sides support, uncompressed points, and a key of the suite's kind.
    if (!signer || scheme === undefined || offer.group === undefined || !offer.uncompressedPoints) return undefined;
    if (schemeKeyExchange(scheme) !== suite.keyExchange) return undefined;
    return server(config, signer, scheme, offer.group);
  },
};
