/**
 * What the plaintext (epoch 0) handshake looked like on the wire, seen by our side of an
 * interop test: the message types each way, and the messages that travelled split into
 * several fragments (RFC 6347 4.2.3), to prove a small MTU fragmented what it should.
 */
import { HANDSHAKE_TYPE, handshakeFragments } from '../dtls-wire.js';

export type TapDirection = 'in' | 'out';

export class FragmentTap {
  /** e.g. "out type 11 0+250/1021": a fragment of a Certificate. */
  readonly fragments: string[] = [];
  /** e.g. "in 3" for a HelloVerifyRequest fragment received. */
  readonly messages: string[] = [];

  see(direction: TapDirection, datagram: Uint8Array): void {
    for (const f of handshakeFragments(datagram)) {
      this.messages.push(`${direction} ${f.msgType}`);
      if (f.fragmentLength < f.length) {
        this.fragments.push(`${direction} type ${f.msgType} ${f.fragmentOffset}+${f.fragmentLength}/${f.length}`);
      }
    }
  }

  /** True when a handshake message (of this type, if given: 11 = Certificate) travelled in fragments that way. */
  fragmented(direction: TapDirection, msgType?: number): boolean {
    const prefix = msgType === undefined ? `${direction} ` : `${direction} type ${msgType} `;
    return this.fragments.some((f) => f.startsWith(prefix));
  }

  /** How many ClientHello fragments went out and HelloVerifyRequests came in (a client's view). */
  get cookieExchange(): { clientHellos: number; helloVerifyRequests: number } {
    return {
      clientHellos: this.messages.filter((m) => m === `out ${HANDSHAKE_TYPE.clientHello}`).length,
      helloVerifyRequests: this.messages.filter((m) => m === `in ${HANDSHAKE_TYPE.helloVerifyRequest}`).length,
    };
  }
}
