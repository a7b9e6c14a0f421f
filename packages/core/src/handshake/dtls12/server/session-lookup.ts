import { answerEncryptThenMac } from '../../extensions/encrypt-then-mac.js';
import { AlertDescription } from '../../../alert.js';
import { DtlsError } from '../../../errors.js';
import { credentialsRun } from '../../../options.js';
import { presentedTicket } from '../../../session/session-ticket-answer.js';
import { decodeSessionState, RecordProtection, sessionFresh, type SessionState } from '../../../session/session-state.js';
import type { CipherSuite } from '../../../suites/cipher-suite.js';
import { cipherSuiteById } from '../../../suites/registry.js';
import { findExtension } from '../../extensions/extension.js';
import { ExtensionType } from '../../extensions/extension-type.js';
import type { ClientHello } from '../../messages/client-hello.js';
import type { ServerContext } from './server-state.js';

/** A session the ClientHello asks to resume, as found: from its ticket or in our store by its session ID. */
export interface FoundSession {
  readonly state: SessionState;
  readonly via: 'ticket' | 'id';
}

function decoded(bytes: Uint8Array | undefined, via: FoundSession['via']): FoundSession | undefined {
  if (bytes === undefined) return undefined;
  try {
    return { state: decodeSessionState(bytes), via };
  } catch {
    return undefined; // not a session we wrote (another version, a store's corruption): a full handshake
  }
}

/**
 * The session the ClientHello offers, if we can find it: its ticket first (RFC 5077 3.4; one we
 * cannot open means a full handshake), then its session ID in the store (RFC 5246 7.4.1.2), which
 * may answer later. A store that fails is a miss, not an error.
 */
export function findSession(ch: ClientHello, cx: ServerContext): FoundSession | undefined | Promise<FoundSession | undefined> {
  const config = cx.config;
  const ticket = presentedTicket(ch);
  if (ticket !== undefined && config.ticketKeys !== undefined) {
    const found = decoded(config.ticketKeys.open(ticket), 'ticket');
    if (found !== undefined) return found;
  }
  const store = config.sessionStore;
  if (ch.sessionId.length === 0 || store === undefined) return undefined;
  let got: Uint8Array | undefined | Promise<Uint8Array | undefined>;
  try {
    got = store.get(ch.sessionId);
  } catch {
    return undefined;
  }
  if (got instanceof Promise) {
    return got.then(
      (bytes) => decoded(bytes, 'id'),
      () => undefined,
    );
  }
  return decoded(got, 'id');
}

/**
 * Whether a found session may be resumed by this ClientHello, and with which suite; undefined
 * means a full handshake. RFC 7627 5.3: a session without extended master secret is not resumed,
 * and a ClientHello without the extension for a session that had it is refused (handshake_failure).
 * RFC 5246 7.4.1.2: the session's suite must be offered again; RFC 6066 3: the server_name must be
 * the session's; the ALPN protocol chosen now must be the session's; the session is within its
 * lifetime (wall clock). `alpnProtocol`: what we would choose for this ClientHello.
 */
export function resumableSuite(found: FoundSession, ch: ClientHello, cx: ServerContext, alpnProtocol: string | undefined): CipherSuite | undefined {
  const s = found.state;
  const config = cx.config;
  if (!sessionFresh(s, cx.wallNow, config.sessionLifetimeMs)) {
    if (found.via === 'id') forget(cx, ch.sessionId);
    return undefined;
  }
  if (!s.extendedMasterSecret) return undefined;
  if (findExtension(ch.extensions, ExtensionType.extended_master_secret) === undefined) {
    // RFC 7627 5.3: "If the original session used the extension but the new ClientHello does not
    // contain it, the server MUST abort the abbreviated handshake."
    throw new DtlsError(AlertDescription.handshake_failure, 'the client resumes a session with extended master secret but does not offer the extension (RFC 7627 5.3)');
  }
  const suite = cipherSuiteById(s.suiteId);
  if (suite === undefined || !config.suites.includes(suite) || !ch.cipherSuites.includes(suite.id) || !credentialsRun(config, suite.keyExchange)) return undefined;
  if (s.servername !== cx.negotiated.servername) return undefined;
  if (s.alpnProtocol !== alpnProtocol) return undefined;
  // RFC 7366: the session's encrypt-then-MAC state must be what this ClientHello negotiates now;
  // otherwise a full handshake (the record protection of a session never changes on resumption).
  const etmNow = answerEncryptThenMac(ch.extensions, suite, config) !== undefined;
  if (((s.recordProtection & RecordProtection.encryptThenMac) !== 0) !== etmNow) return undefined;
  return suite;
}

function forget(cx: ServerContext, id: Uint8Array): void {
  try {
    const done = cx.config.sessionStore?.delete(id);
    if (done instanceof Promise) done.catch(() => undefined);
  } catch {
    // A store that fails to forget: the session is refused again next time.
  }
}
