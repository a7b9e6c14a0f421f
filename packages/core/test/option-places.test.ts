/**
 * The option-place check both runtimes use (issue 14): an entry point's own keys pass, a key with
 * advice gets it, a key of another entry point is sent there, anything else is unknown with the
 * list of what is taken; undefined values and inherited names are not options. Both runtimes'
 * tests check their exact messages; this one checks the rules.
 */
import { describe, expect, it } from 'vitest';
import { checkOptionPlaces, ENGINE_CLIENT_OPTION_KEYS, ENGINE_SERVER_OPTION_KEYS, setSocketTimeout, type OptionPlaces } from '../src/internal.js';

const places: OptionPlaces = {
  fn: 'open()',
  accepted: new Set(['b', 'a', 'shared']),
  elsewhere: (key, value) => (key === 'old' ? `\`old\` is gone; give ${JSON.stringify(value)} as \`a\`` : key === 'shared' || key === 'other' ? 'advice first' : undefined),
  others: [{ fn: 'listen()', described: 'a listening option', accepted: new Set(['other', 'port']) }],
};

function message(options: object): string | undefined {
  try {
    checkOptionPlaces(options, places);
    return undefined;
  } catch (error) {
    if (error instanceof TypeError) return error.message;
    throw error;
  }
}

describe('checkOptionPlaces', () => {
  it('passes its own keys (advice or not), keys set to undefined, and inherited names', () => {
    expect(message({ a: 1, b: 2, shared: 3, old: undefined, port: undefined })).toBeUndefined();
    expect(message(Object.create({ old: 1 }))).toBeUndefined();
  });

  it("gives the advice (with the value) before sending a key to another entry point, then lists what it takes", () => {
    expect(message({ a: 1, old: 5 })).toBe('open(): `old` is gone; give 5 as `a`');
    expect(message({ other: 1 })).toBe('open(): advice first');
    expect(message({ port: 1 })).toBe('open(): `port` is a listening option: give it to listen(), not open()');
    expect(message({ typo: 1 })).toBe('open(): unknown option `typo`; open() takes a, b, shared');
  });

  it('the engine tables hold the engine options of each side (the types check that they are exactly those)', () => {
    expect(Object.keys(ENGINE_CLIENT_OPTION_KEYS)).toContain('servername');
    expect(Object.keys(ENGINE_CLIENT_OPTION_KEYS)).not.toContain('SNICallback');
    expect(Object.keys(ENGINE_SERVER_OPTION_KEYS)).toEqual(expect.arrayContaining(['SNICallback', 'ALPNCallback', 'cookieRotationMs', 'handshakeTimeoutMs']));
    expect(Object.keys(ENGINE_SERVER_OPTION_KEYS)).not.toContain('servername');
  });
});

describe('setSocketTimeout (node:net setTimeout’s arguments)', () => {
  it('adds the callback once, removes it with 0, and refuses what is not a time', () => {
    const calls: string[] = [];
    const socket = {
      once: (_event: 'timeout', listener: () => void): void => void calls.push(`once ${listener.name}`),
      off: (_event: 'timeout', listener: () => void): void => void calls.push(`off ${listener.name}`),
    };
    function cb(): void {}
    expect(setSocketTimeout(socket, 150, cb)).toBe(150);
    expect(setSocketTimeout(socket, 0, cb)).toBe(0);
    expect(setSocketTimeout(socket, 20, undefined)).toBe(20);
    expect(calls).toEqual(['once cb', 'off cb']);
    for (const bad of [-1, Number.NaN, Infinity]) expect(() => setSocketTimeout(socket, bad, undefined)).toThrow(new RangeError(`setTimeout: ms must be a finite number >= 0 (got ${bad})`));
  });
});
