import type { CipherSuite } from '../../suites/cipher-suite.js';
import { ECDHE_PSK } from './ecdhe-psk.js';
import { ECDHE_SIGNED } from './ecdhe-signed.js';
import type { KeyExchange } from './key-exchange.js';
import { PSK } from './psk.js';

/** The key exchange a suite names (the one place that maps suites to strategies). */
export function keyExchangeFor(suite: CipherSuite): KeyExchange {
  switch (suite.keyExchange) {
    case 'psk':
      return PSK;
    case 'ecdhe_psk':
      return ECDHE_PSK;
    case 'ecdhe_ecdsa':
    case 'ecdhe_rsa':
      return ECDHE_SIGNED;
  }
}
