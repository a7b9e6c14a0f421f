import { AlertDescription } from '../alert.js';
import { bytesEqual } from '../bytes.js';
import { DtlsError, IllegalParameterError } from '../errors.js';
import type { NegotiatedParameters } from '../handshake/common/negotiated-parameters.js';
import { type Extension, findExtension } from '../handshake/extensions/extension.js';
import { ExtensionType } from '../handshake/extensions/extension-type.js';
import { decodeNewSessionTicket } from '../handshake/messages/new-session-ticket.js';
import type { ServerHello } from '../handshake/messages/server-hello.js';
import type { ResolvedClientOptions } from '../options.js';
import { cipherSuiteById } from '../suites/registry.js';
import { type ClientSession, encodeClientSession } from './client-session.js';
import { SESSION_ID_LENGTH, sessionStateOf } from './session-issue.js';

/**
 * The session given to connect() if we may offer it: RFC 7627 5.3 (we resume only sessions with
 * extended master secret), a suite we still offer, and an ID or (tickets on) a ticket to name it.
 */
export function usableSession(c: ResolvedClientOptions): ClientSession | undefined {
  const s = c.session;
  if (s === undefined || !s.state.extendedMasterSecret) return undefined;
  const suite = cipherSuiteById(s.state.suiteId);
  if (suite === undefined || !c.suites.includes(suite)) return undefined;
  const ticket = c.sessionTickets && s.ticket.length > 0;
  return ticket || s.sessionId.length > 0 ? s : undefined;
}

/**
 * RFC 5077 3.2: the session_ticket extension of our ClientHello, when tickets are on: the ticket
 * of the session we offer, or empty to ask for one.
 */
export function sessionTicketToOffer(c: ResolvedClientOptions): Extension | undefined {
  if (!c.sessionTickets) return undefined;
  const offered = usableSession(c);
  return { type: ExtensionType.session_ticket, data: offered !== undefined ? offered.ticket.slice() : new Uint8Array(0) };
}

/**
 * A client's side of resumption through one handshake: what it offers, whether the ServerHello
 * accepted it (RFC 5246 7.4.1.3: the session ID echoed), the ticket that comes (RFC 5077 3.3),
 * and the session to resume the next connection with.
 */
export class ClientResumption {
  readonly offered: ClientSession | undefined;
  /**
   * The session_id of our ClientHello: the session's own, or for a session known by its ticket
   * alone a random one, which the server echoes if it accepts the ticket (RFC 5077 3.4).
   */
  readonly sessionId: Uint8Array;
  private serverSessionId: Uint8Array = new Uint8Array(0);
  private ticketPromised = false;
  private newTicket: { readonly ticket: Uint8Array; readonly lifetimeHint: number } | undefined;

  constructor(config: ResolvedClientOptions) {
    this.offered = usableSession(config);
    const o = this.offered;
    this.sessionId = o === undefined ? new Uint8Array(0) : o.sessionId.length > 0 ? o.sessionId : config.provider.randomBytes(SESSION_ID_LENGTH);
  }

  /**
   * Whether the server resumes our session. RFC 5246 7.4.1.3: it does when it echoes our session
   * ID; the suite must then be the session's. RFC 7627 5.3: a resumed session with extended master
   * secret whose ServerHello lacks the extension is aborted (handshake_failure).
   */
  onServerHello(sh: ServerHello): boolean {
    this.ticketPromised = findExtension(sh.extensions, ExtensionType.session_ticket) !== undefined;
    const o = this.offered;
    const resumed = o !== undefined && this.sessionId.length > 0 && bytesEqual(sh.sessionId, this.sessionId);
    if (!resumed) {
      this.serverSessionId = sh.sessionId;
      return false;
    }
    if (sh.cipherSuite !== o.state.suiteId) {
      throw new IllegalParameterError(`server resumed our session with cipher suite 0x${sh.cipherSuite.toString(16)}, not the session's 0x${o.state.suiteId.toString(16)}`);
    }
    if (findExtension(sh.extensions, ExtensionType.extended_master_secret) === undefined) {
      throw new DtlsError(AlertDescription.handshake_failure, 'server resumed a session with extended master secret without the extension (RFC 7627 5.3)');
    }
    return true;
  }

  /** Whether a NewSessionTicket is due (the ServerHello answered session_ticket) and has not come yet. */
  get ticketDue(): boolean {
    return this.ticketPromised && this.newTicket === undefined;
  }

  /** RFC 5077 3.3: the ticket the server promised. */
  onNewSessionTicket(body: Uint8Array): void {
    const t = decodeNewSessionTicket(body);
    this.newTicket = { ticket: t.ticket, lifetimeHint: t.lifetimeHint };
  }

  /** The session to resume the next connection with, after the handshake (getSession()); undefined when none can be. */
  sessionAfter(n: NegotiatedParameters, wallNow: number): Uint8Array | undefined {
    const t = this.newTicket;
    const o = this.offered;
    if (n.sessionReused && o !== undefined) {
      // Resumed: the same session, with the ticket renewed if the server sent a new one.
      return encodeClientSession(t !== undefined && t.ticket.length > 0 ? { ...o, ticket: t.ticket, ticketLifetimeHint: t.lifetimeHint } : o);
    }
    const state = sessionStateOf(n, wallNow);
    if (state === undefined || !state.extendedMasterSecret) return undefined;
    const ticket = t?.ticket ?? new Uint8Array(0);
    if (ticket.length === 0 && this.serverSessionId.length === 0) return undefined;
    return encodeClientSession({ sessionId: this.serverSessionId, ticket, ticketLifetimeHint: t?.lifetimeHint ?? 0, state });
  }
}
