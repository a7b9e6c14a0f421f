/**
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32) for deterministic tests.
 *
 * Not cryptographic: it exists so that a failing simulated-network run can be replayed
 * bit for bit from its seed. Math.random() cannot be seeded, hence this.
 */
export class Rng {
  // xoshiro128** state: four 32-bit words, never all zero (splitmix32 guarantees that
  // in practice, and the constructor checks).
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** @param seed any number; only its low 32 bits matter (non-integers are truncated). */
  constructor(readonly seed: number) {
    // splitmix32 spreads a possibly tiny seed (0, 1, 2...) over the whole state, so
    // neighbouring seeds give unrelated streams.
    let x = seed >>> 0;
    const split = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = split();
    this.s1 = split();
    this.s2 = split();
    this.s3 = split();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** A float in [0, 1), with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** An integer in [0, n). `n` must be a positive integer no larger than 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x1_0000_0000) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    // Rejection sampling: a plain modulo would favour small values when n does not
    // divide 2^32, and a biased fault injector skews loss statistics.
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const v = this.nextUint32();
      if (v < limit) return v % n;
    }
  }

  /** An integer in [min, max] (both inclusive). */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability p (p <= 0: never, p >= 1: always, without consuming randomness then). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** n pseudo-random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      let v = this.nextUint32();
      for (let j = i; j < Math.min(i + 4, n); j++) {
        out[j] = v & 0xff;
        v >>>= 8;
      }
    }
    return out;
  }

  /**
   * An independent generator derived from this one's stream. Give each consumer (each
   * link direction, each endpoint) its own fork so that changing how much randomness
   * one consumes does not shift every other consumer's faults.
   */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Shorthand for `new Rng(seed)`. */
export function createRng(seed: number): Rng {
  return new Rng(seed);
}
