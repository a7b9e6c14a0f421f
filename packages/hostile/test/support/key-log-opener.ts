/**
 * Opens the DTLS 1.3 records of one session as they cross a relay, with the key log our client
 * writes (NSS format, tls13-key-log.ts), so that the relay can tell application data from ACKs
 * and handshake messages: RFC 9147 4 hides the content type of every unified-header record
 * inside the encryption. Without it a 1.3 session's application records are invisible to the
 * relay's accounting (delivered = sent - destroyed).
 */
import { Dtls13KeyLogReader, TLS13_KEY_LOG_LABELS, tls13CipherSuiteByName, type Dtls13Sender } from '@dtls-kit/core/internal';
import type { RelayDirection } from '@dtls-kit/test-kit';

/** The secrets that key epochs 2 and 3 both ways (RFC 9147 6.1). */
const TRAFFIC_LABELS: readonly string[] = [
  TLS13_KEY_LOG_LABELS.clientHandshakeTraffic,
  TLS13_KEY_LOG_LABELS.serverHandshakeTraffic,
  TLS13_KEY_LOG_LABELS.clientApplicationTraffic0,
  TLS13_KEY_LOG_LABELS.serverApplicationTraffic0,
];

export class KeyLogOpener {
  private readonly secrets = new Map<string, Uint8Array>();
  private reader: Dtls13KeyLogReader | undefined;

  /** For the client's `keylog` option: one `<LABEL> <client random> <secret>` line at a time. */
  readonly onLine = (line: string): void => {
    const [label, , secret] = line.trim().split(' ');
    if (label !== undefined && secret !== undefined && /^[0-9a-f]+$/i.test(secret)) this.secrets.set(label, Buffer.from(secret, 'hex'));
  };

  /**
   * Keys the reader once the handshake has ended, with the suite it chose (getCipher().standardName)
   * and the client's connection IDs (DtlsSocket.connectionId) when negotiated;
   * a DTLS 1.2 session (no TLS 1.3 suite, no traffic secrets) leaves it unkeyed.
   */
  established(standardName: string, connectionId?: { readonly receive: Uint8Array; readonly send: Uint8Array }): void {
    const suite = tls13CipherSuiteByName(standardName);
    if (suite === undefined || TRAFFIC_LABELS.some((l) => !this.secrets.has(l))) return;
    // The client's records carry the server's CID (its `send`), the server's the client's (RFC 9147 9).
    this.reader = new Dtls13KeyLogReader(suite, this.secrets, connectionId === undefined ? {} : { connectionId: { client: connectionId.send, server: connectionId.receive } });
  }

  /** Whether the session is DTLS 1.3 and keyed here. */
  get keyed(): boolean {
    return this.reader !== undefined;
  }

  /** For the relay's revealContentType: the real content type of a record (or a datagram's first that opens), once keyed. */
  readonly reveal = (direction: RelayDirection, record: Uint8Array): number | undefined => {
    const sender: Dtls13Sender = direction === 'toServer' ? 'client' : 'server';
    return this.reader?.open(sender, record)[0]?.type;
  };
}
