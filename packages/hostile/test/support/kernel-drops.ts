import { readFileSync } from 'node:fs';

/**
 * The kernel's count of UDP datagrams dropped for want of socket buffer (Linux, machine-wide,
 * /proc/net/snmp RcvbufErrors): such a drop is a loss no relay can count, so a test that balances
 * the relay's counts exactly allows this many, and reports it. Undefined where the file is absent.
 */
export function udpRcvbufErrors(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const at = names.indexOf('RcvbufErrors');
    return at < 0 ? undefined : Number(values[at]);
  } catch {
    return undefined;
  }
}
