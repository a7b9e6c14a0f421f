import { type Extension, findExtension } from '../handshake/extensions/extension.js';
import { ExtensionType } from '../handshake/extensions/extension-type.js';
import type { ClientHello } from '../handshake/messages/client-hello.js';
import type { ResolvedServerOptions } from '../options.js';

/**
 * RFC 5077 3.2: a server that will send a NewSessionTicket answers the client's session_ticket
 * extension with an empty one. We issue tickets in full handshakes only (a resumed session keeps
 * the ticket the client has: 3.1 allows either), only when tickets are on, and only for a
 * session we would resume (extended master secret).
 */
export function answerSessionTicket(ch: ClientHello, config: ResolvedServerOptions, resumed: boolean): Extension | undefined {
  if (resumed || config.ticketKeys === undefined) return undefined;
  if (findExtension(ch.extensions, ExtensionType.session_ticket) === undefined) return undefined;
  // RFC 7627 5.3: a session without extended master secret is never resumed, so none is issued.
  if (findExtension(ch.extensions, ExtensionType.extended_master_secret) === undefined) return undefined;
  return { type: ExtensionType.session_ticket, data: new Uint8Array(0) };
}

/** The ticket a ClientHello presents (a non-empty session_ticket extension), if any. */
export function presentedTicket(ch: ClientHello): Uint8Array | undefined {
  const e = findExtension(ch.extensions, ExtensionType.session_ticket);
  return e !== undefined && e.data.length > 0 ? e.data : undefined;
}
