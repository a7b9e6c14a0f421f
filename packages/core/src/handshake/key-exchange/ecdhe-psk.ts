import { ephemeralKeyShare } from '../../crypto/key-share-reserve.js';
import type { NamedGroupName } from '../../crypto/provider.js';
import { pskPremasterSecret } from '../../crypto/psk-premaster.js';
import type { ResolvedServerOptions } from '../../options.js';
import { namedGroupId } from '../extensions/named-group.js';
import { decodeEcdhePskClientKeyExchange, encodeEcdhePskClientKeyExchange } from '../messages/client-key-exchange.js';
import { decodeEcdhePskServerKeyExchange, encodeEcdhePskServerKeyExchange } from '../messages/server-key-exchange.js';
import { offeredGroup } from './ecdhe-group.js';
import type { ClientKeyExchange, ClientKeyExchangeReader, KeyExchange, ServerKeyExchanger } from './key-exchange.js';
import { lookupServerPsk, resolveClientPsk } from './psk-lookup.js';

const client: ClientKeyExchange = {
  readServerKeyExchange(body, context, record, _wait, then) {
    const ske = decodeEcdhePskServerKeyExchange(body);
    const group = offeredGroup(ske.params, context.config.groups);
    record();
    const serverPublic = ske.params.publicKey;
    return then({
      clientKeyExchange(ctx, wait, done) {
        return resolveClientPsk(ctx.config, ske.identityHint, wait, (idk) => {
          const share = ephemeralKeyShare(ctx.config, group);
          // RFC 5489 2: other_secret is the ECDH shared secret, the PSK goes beside it.
          const otherSecret = share.deriveSecret(serverPublic);
          return done({
            body: encodeEcdhePskClientKeyExchange({ identity: idk.identity, publicKey: share.publicKey }),
            premaster: pskPremasterSecret(idk.key, otherSecret),
            pskIdentity: idk.identity,
          });
        });
      },
    });
  },
  // RFC 5489 2: the ServerKeyExchange carries the server's ECDHE parameters; it is never omitted.
  withoutServerKeyExchange: () => undefined,
};

function server(config: ResolvedServerOptions, group: NamedGroupName): ServerKeyExchanger {
  return {
    certificates: false,
    serverKeyExchange(_clientRandom, _serverRandom, _wait, then) {
      const share = ephemeralKeyShare(config, group);
      const body = encodeEcdhePskServerKeyExchange({
        identityHint: config.psk?.identityHint ?? new Uint8Array(0),
        params: { namedGroup: namedGroupId(group), publicKey: share.publicKey },
      });
      const reader: ClientKeyExchangeReader = {
        readClientKeyExchange(ckeBody, record, wait, done) {
          const cke = decodeEcdhePskClientKeyExchange(ckeBody);
          return lookupServerPsk(config, cke.identity, record, wait, (key) => {
            return done({ premaster: pskPremasterSecret(key, share.deriveSecret(cke.publicKey)), pskIdentity: cke.identity });
          });
        },
      };
      return then(body, reader);
    },
  };
}

/** ECDHE_PSK (RFC 5489): an ephemeral ECDH secret and the PSK together; no certificates. */
export const ECDHE_PSK: KeyExchange = {
  name: 'ecdhe_psk',
  certificates: false,
  ecdhe: true,
  client: () => client,
  // RFC 8422 5.1: only with a group both sides support, and uncompressed points.
  server: (_suite, offer, config) => (offer.group !== undefined && offer.uncompressedPoints ? server(config, offer.group) : undefined),
};
