import { AlertDescription } from '../../../alert.js';
import { HandshakeType } from '../../handshake-type.js';
import type { ClientState } from './client-state.js';

/** The handshake is over. */
export const ESTABLISHED: ClientState = {
  name: 'established',
  handle(m, cx) {
    // RFC 5746 4.2 / RFC 5246 7.4.1.1: we never renegotiate; say so and carry on.
    if (m.msgType === HandshakeType.hello_request) {
      cx.sendWarning(AlertDescription.no_renegotiation);
      return ESTABLISHED;
    }
    throw cx.unexpected(m);
  },
};
