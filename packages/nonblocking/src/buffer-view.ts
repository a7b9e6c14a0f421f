/**
 * A Buffer over the same memory as a Uint8Array (no copy), made at the cost of a Uint8Array view:
 * every datagram of application data reaches its 'message' listener as one.
 *
 * Buffer.from(arrayBuffer, byteOffset, length) checks its arguments through a native call before
 * it constructs: about three times what `new Uint8Array(arrayBuffer, byteOffset, length)` costs,
 * per record. The constructor node:buffer itself makes its views with (`Buffer[Symbol.species]`,
 * which subarray() and slice() use) makes the same Buffer for the cost of the Uint8Array. It is
 * taken only if it does make Buffers here (checked once, at load); otherwise Buffer.from.
 */
type BufferViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;

function makesBufferViews(candidate: unknown): candidate is BufferViewConstructor {
  if (typeof candidate !== 'function') return false;
  try {
    const memory = new ArrayBuffer(2);
    const view: unknown = Reflect.construct(candidate, [memory, 1, 1]);
    return Buffer.isBuffer(view) && view.buffer === memory && view.byteOffset === 1 && view.length === 1;
  } catch {
    return false;
  }
}

const species: unknown = Reflect.get(Buffer, Symbol.species);
const BufferView: BufferViewConstructor | undefined = makesBufferViews(species) ? species : undefined;

/** `data` itself when it is a Buffer; otherwise a Buffer view of its bytes (never a copy). */
export function bufferView(data: Uint8Array): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return BufferView === undefined ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : new BufferView(data.buffer, data.byteOffset, data.byteLength);
}
