import { DTLS13_LABEL_PREFIX, type LabelledHkdf } from '../crypto/hkdf-label.js';
import { nodeCryptoProvider } from '../crypto/node-provider.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { nextApplicationTrafficSecret, trafficKeys13 } from '../crypto/traffic-keys-13.js';
import type { Tls13CipherSuite } from '../suites/tls13-cipher-suites.js';
import { TLS13_KEY_LOG_LABELS } from '../tls13-key-log.js';
import { dtls13EpochKeys } from './dtls13-epoch-keys.js';
import { Dtls13RecordLayer, type Dtls13ReadRecord } from './dtls13-record-layer.js';

/** Who sent a record: its keys are that side's. */
export type Dtls13Sender = 'client' | 'server';

/** A session's TLS 1.3 key log secrets by NSS label (tls13-key-log.ts), as read from key log lines. */
export type Tls13KeyLogSecretsByLabel = ReadonlyMap<string, Uint8Array>;

export interface Dtls13KeyLogReaderOptions {
  provider?: CryptoProvider;
  /** The connection ID each sender's records carry (the receiver's, RFC 9147 9); none by default. */
  connectionId?: { readonly client: Uint8Array; readonly server: Uint8Array };
  /** The ChaCha20 record number mask's counter order (Dtls13RecordLayerOptions; wolfSSL 5.5.4 sends 'big-endian'). */
  chacha20MaskCounter?: 'little-endian' | 'big-endian';
}

/**
 * Opens the records of a DTLS 1.3 session seen from outside — a capture, or a trace of datagrams
 * going by — with the secrets of its key log, as Wireshark does with an SSLKEYLOGFILE: each
 * sender's epoch 2 from its *_HANDSHAKE_TRAFFIC_SECRET, epoch 3 from its *_TRAFFIC_SECRET_0
 * (RFC 9147 6.1), and each later epoch from the one before (RFC 8446 7.2 "traffic upd", one per
 * KeyUpdate, RFC 9147 8), keyed once a record of the epoch before it opened. The records go
 * through a Dtls13RecordLayer per sender (record number decryption, reconstruction, the AEAD):
 * the engine's own reading, with the keys a key log gives.
 */
export class Dtls13KeyLogReader {
  private readonly kdf: LabelledHkdf;
  private readonly layers: Record<Dtls13Sender, Dtls13RecordLayer>;
  /** Each sender's newest application traffic secret and its epoch. */
  private readonly traffic: Record<Dtls13Sender, { epoch: number; secret: Uint8Array } | undefined>;

  constructor(
    private readonly suite: Tls13CipherSuite,
    secrets: Tls13KeyLogSecretsByLabel,
    options: Dtls13KeyLogReaderOptions = {},
  ) {
    this.kdf = { provider: options.provider ?? nodeCryptoProvider, hash: suite.hash, labelPrefix: DTLS13_LABEL_PREFIX };
    // Nothing held: a record whose epoch has no keys is simply not readable here.
    const layer = (cid: Uint8Array | undefined): Dtls13RecordLayer => new Dtls13RecordLayer({ maxHeldRecords: 0, ...(options.chacha20MaskCounter === undefined ? {} : { chacha20MaskCounter: options.chacha20MaskCounter }), ...(cid === undefined ? {} : { receiveConnectionId: cid }) });
    this.layers = { client: layer(options.connectionId?.client), server: layer(options.connectionId?.server) };
    this.traffic = { client: undefined, server: undefined };
    const labels = {
      client: [TLS13_KEY_LOG_LABELS.clientHandshakeTraffic, TLS13_KEY_LOG_LABELS.clientApplicationTraffic0],
      server: [TLS13_KEY_LOG_LABELS.serverHandshakeTraffic, TLS13_KEY_LOG_LABELS.serverApplicationTraffic0],
    } as const;
    for (const sender of ['client', 'server'] as const) {
      const [handshake, application] = labels[sender];
      const hs = secrets.get(handshake);
      if (hs !== undefined) this.layers[sender].setReadKeys(2, this.keys(hs));
      const ap = secrets.get(application);
      if (ap !== undefined) {
        this.layers[sender].setReadKeys(3, this.keys(ap));
        this.traffic[sender] = { epoch: 3, secret: ap };
      }
    }
  }

  /**
   * The records of `datagram` (sent by `sender`) that open: epoch-0 plaintext ones as they are,
   * protected ones decrypted (their real content type, epoch and full sequence number); a record
   * without keys here, failing authentication or seen before is left out. Never throws for
   * what it cannot read.
   */
  open(sender: Dtls13Sender, datagram: Uint8Array): Dtls13ReadRecord[] {
    let records: Dtls13ReadRecord[];
    try {
      records = this.layers[sender].open(datagram);
    } catch {
      return [];
    }
    const traffic = this.traffic[sender];
    if (traffic !== undefined && records.some((r) => r.epoch === traffic.epoch)) {
      // The next epoch's keys, for the records after a KeyUpdate (RFC 9147 8).
      const secret = nextApplicationTrafficSecret(this.kdf, traffic.secret);
      this.layers[sender].setReadKeys(traffic.epoch + 1, this.keys(secret));
      this.traffic[sender] = { epoch: traffic.epoch + 1, secret };
    }
    return records;
  }

  private keys(secret: Uint8Array): ReturnType<typeof dtls13EpochKeys> {
    const { kdf, suite } = this;
    return dtls13EpochKeys(kdf.provider, suite.aead, trafficKeys13(kdf, secret, suite.keyLength, suite.ivLength));
  }
}
