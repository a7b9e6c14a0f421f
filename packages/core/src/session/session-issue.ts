import type { NegotiatedParameters } from '../handshake/common/negotiated-parameters.js';
import type { FlightMessage } from '../handshake/common/flight.js';
import { type Extension } from '../handshake/extensions/extension.js';
import { ExtensionType } from '../handshake/extensions/extension-type.js';
import { HandshakeType } from '../handshake/handshake-type.js';
import { encodeNewSessionTicket } from '../handshake/messages/new-session-ticket.js';
import type { ServerContext } from '../handshake/dtls12/server/server-state.js';
import type { ResolvedServerOptions } from '../options.js';
import { encodeSessionState, RecordProtection, type SessionState } from './session-state.js';

/** Bytes of the session IDs we make (RFC 5246 7.4.1.2: up to 32). */
export const SESSION_ID_LENGTH = 32;

/** How a full handshake's session will be kept: by the ID in our ServerHello, or in a ticket we promised (RFC 5077 3.2). */
export interface SessionIssue {
  readonly sessionId: Uint8Array;
  readonly ticket: boolean;
}

/**
 * Decided with the ServerHello of a full handshake: a ticket when we answered session_ticket
 * (the session then needs no ID: RFC 5077 3.4 lets the server give an empty one), otherwise a
 * new random session ID when we keep sessions by ID and the session could be resumed (extended
 * master secret, RFC 7627 5.3); nothing otherwise (an empty session_id, RFC 5246 7.4.1.3).
 */
export function planSessionIssue(config: ResolvedServerOptions, serverHelloExtensions: readonly Extension[]): SessionIssue | undefined {
  if (serverHelloExtensions.some((e) => e.type === ExtensionType.session_ticket)) return { sessionId: new Uint8Array(0), ticket: true };
  if (config.sessionStore === undefined) return undefined;
  if (!serverHelloExtensions.some((e) => e.type === ExtensionType.extended_master_secret)) return undefined;
  return { sessionId: config.provider.randomBytes(SESSION_ID_LENGTH), ticket: false };
}

/** What a session keeps of a completed handshake (its master secret, and what must stay equal on resumption). */
export function sessionStateOf(n: NegotiatedParameters, wallNow: number): SessionState | undefined {
  const suite = n.suite;
  const master = n.masterSecret;
  if (suite === undefined || master === undefined) return undefined;
  return {
    suiteId: suite.id,
    masterSecret: master,
    extendedMasterSecret: n.extendedMasterSecret,
    // RFC 7366: a session made with encrypt-then-MAC is resumed only with it (session-lookup.ts).
    recordProtection: n.encryptThenMac ? RecordProtection.encryptThenMac : 0,
    alpnProtocol: n.alpnProtocol,
    servername: n.servername,
    pskIdentity: n.pskIdentity,
    peerCertificates: n.peerCertificates,
    issuedAt: Math.max(0, Math.floor(wallNow)),
  };
}

/**
 * The client's Finished verified a full handshake: keep its session. By ID: into the store (not
 * waited for; a store that fails only loses the session). By ticket: the NewSessionTicket that
 * starts our last flight (RFC 5077 3.3, before ChangeCipherSpec), entered in the transcript.
 */
export function issueSession(cx: ServerContext): FlightMessage[] {
  const plan = cx.sessionIssue;
  if (plan === undefined) return [];
  // Used once: an established connection keeps nothing of it (idle connections are counted in bytes).
  cx.sessionIssue = undefined;
  const config = cx.config;
  const state = sessionStateOf(cx.negotiated, cx.wallNow);
  if (!plan.ticket) {
    const store = config.sessionStore;
    if (state !== undefined && store !== undefined) {
      try {
        const done = store.set(plan.sessionId, encodeSessionState(state));
        if (done instanceof Promise) done.catch(() => undefined);
      } catch {
        // A store that throws keeps no session: the client's next handshake is a full one.
      }
    }
    return [];
  }
  const keys = config.ticketKeys;
  // RFC 5077 3.3: a server that changed its mind after promising a ticket sends an empty one.
  let ticket: Uint8Array = new Uint8Array(0);
  if (state !== undefined && keys !== undefined) {
    const sealed = keys.seal(encodeSessionState(state));
    if (sealed.length <= 0xffff) ticket = sealed; // a huge client certificate chain: no ticket
  }
  const body = encodeNewSessionTicket({ lifetimeHint: Math.min(0xffffffff, Math.ceil(config.sessionLifetimeMs / 1000)), ticket });
  const m = cx.message(HandshakeType.new_session_ticket, body);
  cx.transcript.add(m.msgType, m.messageSeq, body);
  return [m];
}
