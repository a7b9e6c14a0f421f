/**
 * --trace: prints what the runtime publishes on node:diagnostics_channel (handshake start and
 * end, alerts, retransmissions, closes, refusals) on stderr, one line per event, with the time
 * in ms since the command started.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import {
  CHANNELS,
  type AlertMessage,
  type CloseMessage,
  type HandshakeMessage,
  type HandshakeStartMessage,
  type RefuseMessage,
  type RetransmitMessage,
} from '@dtls-kit/nonblocking';

type Write = (line: string) => void;

function peer(m: { remoteAddress: string; remotePort: number }): string {
  return m.remoteAddress.includes(':') ? `[${m.remoteAddress}]:${m.remotePort}` : `${m.remoteAddress}:${m.remotePort}`;
}

/** Subscribes to every channel; returns the function that unsubscribes. */
export function startTrace(write: Write, started = performance.now()): () => void {
  const line = (role: string, m: { remoteAddress: string; remotePort: number }, arrow: string, text: string): void => {
    const ms = (performance.now() - started).toFixed(1).padStart(8);
    write(`trace ${ms} ms  ${role.padEnd(6)} ${arrow} ${peer(m).padEnd(21)} ${text}\n`);
  };
  const handlers: Array<[string, (message: unknown) => void]> = [
    [CHANNELS.handshakeStart, (m) => {
      const s = m as HandshakeStartMessage;
      line(s.role, s, s.role === 'client' ? '──▶' : '◀──', s.role === 'client' ? 'ClientHello (handshake start)' : 'ClientHello with valid cookie (handshake start)');
    }],
    [CHANNELS.handshake, (m) => {
      const h = m as HandshakeMessage;
      const took = `${h.durationMs.toFixed(1)} ms`;
      line(h.role, h, '───', h.error ? `handshake FAILED after ${took}: ${h.error.message}` : `handshake done in ${took}: ${h.cipher ?? '?'}`);
    }],
    [CHANNELS.alert, (m) => {
      const a = m as AlertMessage;
      line(a.role, a, a.direction === 'sent' ? '──▶' : '◀──', `alert ${a.level} ${a.name} (${a.description}) ${a.direction}`);
    }],
    [CHANNELS.retransmit, (m) => {
      const r = m as RetransmitMessage;
      line(r.role, r, '──▶', `retransmission #${r.retransmissions} of the last flight (state ${r.handshakeState})`);
    }],
    [CHANNELS.close, (m) => {
      const c = m as CloseMessage;
      line(c.role, c, '───', `closed${c.established ? '' : ' before the handshake finished'}${c.error ? `: ${c.error.message}` : ''}`);
    }],
    [CHANNELS.refuse, (m) => {
      const r = m as RefuseMessage;
      line('server', r, '✗──', `ClientHello refused: ${r.reason} reached`);
    }],
  ];
  for (const [name, handler] of handlers) diagnosticsChannel.subscribe(name, handler);
  return () => {
    for (const [name, handler] of handlers) diagnosticsChannel.unsubscribe(name, handler);
  };
}
