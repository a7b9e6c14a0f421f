import { IllegalParameterError } from '../errors.js';
import { type Extension, findExtension } from '../handshake/extensions/extension.js';
import { ExtensionType } from '../handshake/extensions/extension-type.js';
import { decodeUseSrtp, encodeUseSrtp } from '../handshake/extensions/use-srtp.js';
import type { NegotiatedParameters } from '../handshake/common/negotiated-parameters.js';
import type { ResolvedClientOptions, ResolvedOptions } from '../options.js';
import { bytesEqual } from '../bytes.js';

/**
 * The server's answer to the client's use_srtp (RFC 5764 4.1.1), recorded in `negotiated.srtp`:
 * the first of our profiles (our preference, as for cipher suites) that the client offers, with
 * the client's MKI echoed (a server that accepts an MKI answers with the matching srtp_mki). No
 * extension when we do not do DTLS-SRTP, the client did not offer it, or no profile is common:
 * "the server SHOULD NOT return the use_srtp extension", and the handshake goes on without SRTP.
 */
export function answerUseSrtp(clientHelloExtensions: readonly Extension[], config: ResolvedOptions, negotiated: NegotiatedParameters): Extension | undefined {
  negotiated.srtp = undefined;
  if (config.srtpProfiles.length === 0) return undefined;
  const ext = findExtension(clientHelloExtensions, ExtensionType.use_srtp);
  if (ext === undefined) return undefined;
  const offer = decodeUseSrtp(ext.data);
  const profile = config.srtpProfiles.find((p) => offer.profiles.includes(p.id));
  if (profile === undefined) return undefined;
  negotiated.srtp = { profile, mki: offer.mki };
  return { type: ExtensionType.use_srtp, data: encodeUseSrtp({ profiles: [profile.id], mki: offer.mki }) };
}

/** The client's use_srtp offer (RFC 5764 4.1.1): our profiles in our order, and our MKI; undefined when off. */
export function offerUseSrtp(config: ResolvedClientOptions): Extension | undefined {
  if (config.srtpProfiles.length === 0) return undefined;
  return { type: ExtensionType.use_srtp, data: encodeUseSrtp({ profiles: config.srtpProfiles.map((p) => p.id), mki: config.srtpMki }) };
}

/**
 * The client's check of the server's use_srtp (RFC 5764 4.1.1), recorded in `negotiated.srtp`.
 * The answer carries exactly one profile, one we offered ("The server MUST NOT select a value that
 * the client has not offered"); a non-empty MKI other than ours aborts the handshake with
 * illegal_parameter ("the client MUST abort the handshake and SHOULD send an invalid_parameter
 * alert"). An answer without an MKI leaves the connection without one. That the server answers
 * only an offer is checked with every other extension (RFC 5246 7.4.1.4).
 */
export function checkUseSrtp(serverHelloExtensions: readonly Extension[], config: ResolvedClientOptions, negotiated: NegotiatedParameters): void {
  negotiated.srtp = undefined;
  const ext = findExtension(serverHelloExtensions, ExtensionType.use_srtp);
  if (ext === undefined) return;
  const answer = decodeUseSrtp(ext.data);
  const id = answer.profiles[0];
  if (answer.profiles.length !== 1 || id === undefined) {
    throw new IllegalParameterError(`server's use_srtp names ${answer.profiles.length} SRTP profiles; exactly one is allowed (RFC 5764 4.1.1)`);
  }
  const profile = config.srtpProfiles.find((p) => p.id === id);
  if (profile === undefined) {
    throw new IllegalParameterError(`server chose SRTP profile 0x${id.toString(16).padStart(4, '0')}, which we did not offer (RFC 5764 4.1.1)`);
  }
  if (answer.mki.length > 0 && !bytesEqual(answer.mki, config.srtpMki)) {
    throw new IllegalParameterError('server answered use_srtp with an srtp_mki other than the one we offered (RFC 5764 4.1.1)');
  }
  negotiated.srtp = { profile, mki: answer.mki };
}
