import { assert } from './assert.js';

/**
 * The only source of randomness in Synod's protocols and simulator: a seeded, splittable PRNG.
 * xoshiro128** on 32-bit integer arithmetic (Math.imul and shifts), so every platform and every
 * JavaScript engine produces the same sequence for the same seed. Seeded through splitmix32.
 */
export interface Rng {
  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number;
  /** A float in [0, 1) with 53 random bits. */
  next(): number;
  /** An integer in [low, high], both inclusive. */
  int(low: number, high: number): number;
  /** True with probability `probability`. */
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  shuffle<T>(items: readonly T[]): T[];
  /**
   * An independent generator derived from this one and a label. Splitting does not advance this
   * generator, so adding a consumer of randomness in one place leaves every other stream unchanged.
   */
  split(label: string): Rng;
}

/** Seeds are integers in [0, 2^53); the CLI prints them and `--seed` replays them. */
export const SEED_MAX = Number.MAX_SAFE_INTEGER;

export function isSeed(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** murmur3's 32-bit finalizer: a bijection with full avalanche. */
function fmix32(value: number): number {
  let z = value | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over the label's UTF-16 code units: cheap, stable, good enough to separate streams. */
function hashLabel(label: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < label.length; index++) {
    hash ^= label.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

class Xoshiro128 implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(words: readonly [number, number, number, number]) {
    [this.s0, this.s1, this.s2, this.s3] = words;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  int(low: number, high: number): number {
    // Checked without building a message: this is the simulator's hottest call.
    if (!(Number.isSafeInteger(low) && Number.isSafeInteger(high) && low <= high)) {
      assert(false, `int needs integer bounds low <= high, got [${low}, ${high}]`);
    }
    return low + Math.floor(this.next() * (high - low + 1));
  }

  chance(probability: number): boolean {
    if (!(probability >= 0 && probability <= 1)) {
      assert(false, `probability out of range: ${probability}`);
    }
    if (probability === 0) return false; // draw nothing: a disabled fault leaves other streams unchanged
    if (probability === 1) return true;
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const result = items.slice();
    for (let index = result.length - 1; index > 0; index--) {
      const other = this.int(0, index);
      [result[index], result[other]] = [result[other] as T, result[index] as T];
    }
    return result;
  }

  split(label: string): Rng {
    return fromWords(
      this.s0 ^ hashLabel(label),
      this.s1,
      this.s2,
      this.s3 ^ hashLabel(`~${label}`),
    );
  }
}

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/**
 * Turns 128 input bits into a generator state. Chaining fmix32 forward, then backward, makes every
 * state word depend on every input word, and the whole map is a bijection: distinct seeds (and
 * distinct split labels) can never collide into the same stream.
 */
function fromWords(a: number, b: number, c: number, d: number): Rng {
  const w3 = fmix32(d ^ fmix32(c ^ fmix32(b ^ fmix32(a))));
  const w2 = fmix32(fmix32(c ^ fmix32(b ^ fmix32(a))) ^ w3);
  const w1 = fmix32(fmix32(b ^ fmix32(a)) ^ w2);
  const w0 = fmix32(fmix32(a) ^ w1);
  return new Xoshiro128([w0, w1, w2, w3]);
}

/** A generator for a seed in [0, 2^53). Same seed, same sequence, on every platform. */
export function createRng(seed: number): Rng {
  assert(isSeed(seed), `seed must be an integer in [0, 2^53): ${seed}`);
  const low = seed >>> 0;
  const high = Math.floor(seed / 4294967296) >>> 0;
  return fromWords(low, high, 0x243f6a88, 0x85a308d3);
}
