import { AlertDescription } from '../../../alert.js';
import { HandshakeType } from '../../handshake-type.js';
import type { ServerState } from './server-state.js';

/** The handshake is over. */
export const ESTABLISHED: ServerState = {
  name: 'established',
  handle(m, cx) {
    // RFC 5746 / RFC 5246 7.4.1.2: renegotiation is refused with a warning.
    if (m.msgType === HandshakeType.client_hello) {
      cx.sendWarning(AlertDescription.no_renegotiation);
      return ESTABLISHED;
    }
    throw cx.unexpected(m);
  },
};
