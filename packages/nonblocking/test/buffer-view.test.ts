import { describe, expect, it } from 'vitest';
import { bufferView } from '../src/buffer-view.js';

describe('bufferView', () => {
  it('is a Buffer over the same bytes, not a copy', () => {
    const memory = new ArrayBuffer(16);
    const bytes = new Uint8Array(memory, 3, 5);
    bytes.set([1, 2, 3, 4, 5]);
    const view = bufferView(bytes);
    expect(Buffer.isBuffer(view)).toBe(true);
    expect(view.buffer).toBe(memory);
    expect(view.byteOffset).toBe(3);
    expect(view.length).toBe(5);
    expect(view.readUInt16BE(0)).toBe(0x0102);
    // One memory: a write through either shows through the other.
    bytes[0] = 9;
    expect(view[0]).toBe(9);
    view[4] = 7;
    expect(bytes[4]).toBe(7);
    // Buffer's own methods, as on any Buffer.
    expect(view.toString('hex')).toBe('0902030407');
    expect(view.subarray(1, 3).equals(Buffer.from([2, 3]))).toBe(true);
  });

  it('returns a Buffer as it is', () => {
    const b = Buffer.from('abc');
    expect(bufferView(b)).toBe(b);
  });

  it('views an empty array', () => {
    const view = bufferView(new Uint8Array(0));
    expect(Buffer.isBuffer(view)).toBe(true);
    expect(view.length).toBe(0);
  });
});
