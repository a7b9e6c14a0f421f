/**
 * Our side of the PSK interop tests: the engine with this package's credentials, run by the
 * test kit's interop harness over UDP on 127.0.0.1.
 * - runOurClient: connects to a peer server, sends each message after the previous one came
 *   back, then close_notify.
 * - startOurServer: our server in echo mode, recording each connection's PSK identity.
 */
import { DtlsConnection, ServerEndpoint, loadNativeCryptoProvider, loadSodiumCryptoProvider, nobleCryptoProvider, nodeCryptoProvider, type DtlsError } from '@dtls-kit/core';
import { connectInteropClient, startInteropServer, type FragmentTap, type InteropServer } from '@dtls-kit/test-kit';
import { pskClient, pskServer } from '../../src/index.js';

export const PSK = '000102030405060708090a0b0c0d0e0f';
export const IDENTITY = 'Client_identity';

export type ProviderName = 'node' | 'noble' | 'sodium' | 'native';
// sodium-native and @dtls-kit/native-aead are core's optional dependencies, installed (and built)
// here: failing to load either fails the tests.
const PROVIDERS = { node: nodeCryptoProvider, noble: nobleCryptoProvider, sodium: loadSodiumCryptoProvider(), native: loadNativeCryptoProvider() } as const;

const decoder = new TextDecoder();

export interface OurClientOptions {
  port: number;
  /** OpenSSL name(s) of the suite(s) (OPENSSL_PSK_SUITES, or any PSK suite of the registry). */
  suite: string;
  provider?: ProviderName;
  identity?: string;
  /** The key in hex (default PSK). */
  psk?: string;
  mtu?: number;
  messages: readonly string[];
  timeoutMs?: number;
  /** Called once the handshake is complete, before any message is sent. */
  onEstablished?: () => void;
  /** After the messages, wait for the peer to end the connection instead of closing it. */
  waitForPeerClose?: boolean;
  /** The versions offered (node:tls names); default the engine's. */
  minVersion?: 'DTLSv1.2' | 'DTLSv1.3';
  maxVersion?: 'DTLSv1.2' | 'DTLSv1.3';
}

export interface OurClientResult {
  /** OpenSSL name of the suite our client negotiated. */
  suite: string | undefined;
  /** What came back, decoded, concatenated. */
  received: string;
  events: string;
  /** Hint the server sent, as our pskCallback saw it. */
  hint: string | null | undefined;
  fragments: FragmentTap;
}

/**
 * Connects our client to 127.0.0.1:port, waits for the handshake, sends each message and
 * waits until the bytes come back (the peer echoes), then sends close_notify.
 * Throws with the events seen if any step does not happen in time.
 */
export async function runOurClient(options: OurClientOptions): Promise<OurClientResult> {
  let hint: string | null | undefined;
  const identity = options.identity ?? IDENTITY;
  const connection = DtlsConnection.client({
    psk: pskClient({
      pskCallback: (h) => {
        hint = h;
        return { identity, psk: options.psk ?? PSK };
      },
    }),
    cipherSuites: options.suite,
    provider: PROVIDERS[options.provider ?? 'node'],
    mtu: options.mtu,
    ...(options.minVersion === undefined ? {} : { minVersion: options.minVersion }),
    ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
  });
  const client = await connectInteropClient(connection, { port: options.port, timeoutMs: options.timeoutMs });
  try {
    if (!client.established) throw new Error(`handshake failed: ${client.describeEvents()}`);
    options.onEstablished?.();
    const received = await client.exchange(options.messages);
    if (options.waitForPeerClose) await client.waitForClose();
    return { suite: connection.cipherSuite?.opensslName, received, events: client.describeEvents(), hint, fragments: client.tap };
  } finally {
    await client.close();
  }
}

export interface OurServerOptions {
  /** OpenSSL name(s) of the suite(s) (OPENSSL_PSK_SUITES, or any PSK suite of the registry). */
  suite: string;
  hint?: string;
  mtu?: number;
  provider?: ProviderName;
  /** Identities accepted, all with PSK (default: IDENTITY). */
  identities?: readonly string[];
  /** The key of every identity, in hex (default PSK). */
  psk?: string;
}

/** What our server saw of one connection: the base fields and the PSK identity the client used. */
export type OurServer = InteropServer<DtlsConnection, DtlsError, { identity: string | undefined }>;

/** Our server on 127.0.0.1 (a free port), cookie exchange on, echoing every message. */
export function startOurServer(options: OurServerOptions): Promise<OurServer> {
  const keys = Object.fromEntries((options.identities ?? [IDENTITY]).map((id) => [id, options.psk ?? PSK]));
  const endpoint = new ServerEndpoint({
    psk: pskServer({ keys, pskIdentityHint: options.hint }),
    cipherSuites: options.suite,
    mtu: options.mtu,
    provider: PROVIDERS[options.provider ?? 'node'],
  });
  return startInteropServer(endpoint, {
    details: (c) => ({ identity: c.pskIdentity ? decoder.decode(c.pskIdentity) : undefined }),
  });
}
