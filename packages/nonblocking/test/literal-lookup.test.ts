import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { literalLookup } from '../src/literal-lookup.js';

const LOOKUP = literalLookup;

describe('literalLookup (node:dgram lookup)', () => {
  it('answers IPv4 and IPv6 literals in the same call, with their family', () => {
    const answers: Array<[string, number]> = [];
    literalLookup('127.0.0.1', 4, (error, address, family) => {
      expect(error).toBeNull();
      answers.push([address, family]);
    });
    literalLookup('::1', 6, (error, address, family) => {
      expect(error).toBeNull();
      answers.push([address, family]);
    });
    // Synchronously: both already answered here.
    expect(answers).toEqual([
      ['127.0.0.1', 4],
      ['::1', 6],
    ]);
  });

  it('answers each literal with its own family when literals alternate (the last one is remembered)', () => {
    const answers: Array<[string, number]> = [];
    const take = (error: NodeJS.ErrnoException | null, address: string, family: number): void => {
      expect(error).toBeNull();
      answers.push([address, family]);
    };
    for (const address of ['::1', '::1', '10.0.0.1', '10.0.0.1', '::ffff:10.0.0.1', '10.0.0.1']) literalLookup(address, 0, take);
    expect(answers).toEqual([
      ['::1', 6],
      ['::1', 6],
      ['10.0.0.1', 4],
      ['10.0.0.1', 4],
      ['::ffff:10.0.0.1', 6],
      ['10.0.0.1', 4],
    ]);
  });

  /** Looks `host` up: whether the answer came within the call, and the answer. */
  function lookUp(host: string): { answeredAtOnce: boolean; found: Promise<[string, number]> } {
    let answered = false;
    const found = new Promise<[string, number]>((resolve, reject) =>
      literalLookup(host, 4, (error, address, family) => {
        answered = true;
        if (error) reject(error);
        else resolve([address, family]);
      }),
    );
    return { answeredAtOnce: answered, found };
  }

  it('still sends a host name to dns.lookup right after a literal was answered', async () => {
    literalLookup('127.0.0.1', 4, () => {});
    const { answeredAtOnce, found } = lookUp('localhost');
    // Not in the same call: only a literal is answered at once.
    expect(answeredAtOnce).toBe(false);
    expect(await found).toEqual(['127.0.0.1', 4]);
  });

  it('resolves a host name through dns.lookup, later', async () => {
    const { answeredAtOnce, found } = lookUp('localhost');
    expect(answeredAtOnce).toBe(false);
    expect(await found).toEqual(['127.0.0.1', 4]);
  });

  it('makes an unconnected socket send in the same call, not on a later tick', async () => {
    const receiver = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
    const got = new Promise<string>((resolve) => receiver.once('message', (m) => resolve(m.toString())));
    const sender = dgram.createSocket({ type: 'udp4', lookup: LOOKUP });
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
    sender.send(Buffer.from('x'), receiver.address().port, '127.0.0.1');
    // Closed in the same call: a send still waiting for its lookup's tick would find no socket.
    sender.close();
    const silence = new Promise<string>((resolve) => setTimeout(() => resolve('nothing arrived'), 1000));
    expect(await Promise.race([got, silence])).toBe('x');
    receiver.close();
  });
});
