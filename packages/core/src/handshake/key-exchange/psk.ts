import { pskPremasterSecret } from '../../crypto/psk-premaster.js';
import type { ResolvedServerOptions } from '../../options.js';
import { decodePskClientKeyExchange, encodePskClientKeyExchange } from '../messages/client-key-exchange.js';
import { decodePskServerKeyExchange, encodePskServerKeyExchange } from '../messages/server-key-exchange.js';
import type { ClientKeyAgreement, ClientKeyExchange, ClientKeyExchangeReader, KeyExchange, ServerKeyExchanger } from './key-exchange.js';
import { lookupServerPsk, resolveClientPsk } from './psk-lookup.js';

/** RFC 4279 2: the premaster secret is built from the pre-shared key alone. */
function pskAgreement(hint: Uint8Array | undefined): ClientKeyAgreement {
  return {
    clientKeyExchange(context, wait, then) {
      return resolveClientPsk(context.config, hint, wait, (idk) => {
        return then({ body: encodePskClientKeyExchange({ identity: idk.identity }), premaster: pskPremasterSecret(idk.key), pskIdentity: idk.identity });
      });
    },
  };
}

const client: ClientKeyExchange = {
  readServerKeyExchange(body, _context, record, _wait, then) {
    const hint = decodePskServerKeyExchange(body).identityHint;
    record();
    return then(pskAgreement(hint));
  },
  // RFC 4279 2: a server without an identity hint omits the ServerKeyExchange.
  withoutServerKeyExchange: () => pskAgreement(undefined),
};

function server(config: ResolvedServerOptions): ServerKeyExchanger {
  const reader: ClientKeyExchangeReader = {
    readClientKeyExchange(body, record, wait, then) {
      const identity = decodePskClientKeyExchange(body).identity;
      return lookupServerPsk(config, identity, record, wait, (key) => then({ premaster: pskPremasterSecret(key), pskIdentity: identity }));
    },
  };
  return {
    certificates: false,
    serverKeyExchange(_clientRandom, _serverRandom, _wait, then) {
      const hint = config.psk?.identityHint;
      // RFC 4279 2: without a hint the ServerKeyExchange is omitted.
      return then(hint === undefined ? undefined : encodePskServerKeyExchange({ identityHint: hint }), reader);
    },
  };
}

/** PSK (RFC 4279): no certificates, no ECDHE. */
export const PSK: KeyExchange = {
  name: 'psk',
  certificates: false,
  ecdhe: false,
  client: () => client,
  server: (_suite, _offer, config) => server(config),
};
