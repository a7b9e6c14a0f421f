import { AlertDescription } from '../../alert.js';
import { DtlsError } from '../../errors.js';
import type { ResolvedOptions } from '../../options.js';
import type { Dtls13RecordLayer } from '../../record/dtls13-record-layer.js';
import { newConnectionId } from '../common/connection-id.js';
import type { NegotiatedParameters } from '../common/negotiated-parameters.js';
import { decodeConnectionId, encodeConnectionId } from '../extensions/connection-id.js';
import { findExtension, type Extension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import type { ClientHello } from '../messages/client-hello.js';

/*
 * RFC 9147 9: DTLS 1.3 negotiates connection IDs with RFC 9146's connection_id extension, in the
 * ClientHello and the ServerHello (RFC 9147 14 / RFC 8446 4.2 table: CH, SH). Each side puts in
 * its hello the CID it wants to RECEIVE; the peer writes it, with the C bit, in the unified header
 * of every record it protects (epoch 2 on; DTLSPlaintext records have no CID). The same
 * `connectionId` options as DTLS 1.2 make ours (newConnectionId).
 */

/** The connection_id extension a ClientHello offers (the DTLS 1.2 part of our hello made it), if any. */
export function offeredConnectionId13(hello: ClientHello): Extension | undefined {
  return findExtension(hello.extensions, ExtensionType.connection_id);
}

/**
 * The client reads the ServerHello's connection_id (RFC 9146 3: answered only when offered; one
 * we did not offer is unsupported_extension, RFC 8446 4.2). Sets the negotiated CIDs and the
 * record layer: the CID we offered frames the server's records, the server's goes in ours. Without
 * the extension no record may carry a CID either way.
 */
export function acceptServerConnectionId13(serverHelloExtensions: readonly Extension[], hello: ClientHello, n: NegotiatedParameters, layer: Dtls13RecordLayer): void {
  const answer = findExtension(serverHelloExtensions, ExtensionType.connection_id);
  const offered = offeredConnectionId13(hello);
  if (answer === undefined) {
    layer.setReceiveConnectionIds([]);
    return;
  }
  if (offered === undefined) throw new DtlsError(AlertDescription.unsupported_extension, 'the ServerHello carries connection_id, which we did not offer (RFC 8446 4.2)');
  const receive = decodeConnectionId(offered.data);
  const send = decodeConnectionId(answer.data);
  n.connectionId = { receive, send };
  layer.setReceiveConnectionIds([receive]);
  layer.setWriteConnectionId(send);
}

/**
 * The server answers a ClientHello's connection_id with its own CID (RFC 9146 3), when CIDs are
 * configured; sets the negotiated CIDs and the record layer (the client's CID in our records,
 * ours framing the client's). The ServerHello extension, or undefined when none is answered.
 */
export function answerConnectionId13(config: ResolvedOptions, hello: ClientHello, n: NegotiatedParameters, layer: Dtls13RecordLayer): Extension | undefined {
  const offered = findExtension(hello.extensions, ExtensionType.connection_id);
  if (offered === undefined) return undefined;
  const send = decodeConnectionId(offered.data);
  // Made only for a client that offered the extension (a custom generator may keep state).
  const receive = newConnectionId(config);
  if (receive === undefined) return undefined;
  n.connectionId = { receive, send };
  layer.setReceiveConnectionIds([receive]);
  layer.setWriteConnectionId(send);
  return { type: ExtensionType.connection_id, data: encodeConnectionId(receive) };
}

/** The CID a client offered (its records from epoch 2 may carry it before the ServerHello is read), or none. */
export function offeredReceiveConnectionId13(hello: ClientHello): Uint8Array | undefined {
  const offered = offeredConnectionId13(hello);
  return offered === undefined ? undefined : decodeConnectionId(offered.data);
}
