import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRng } from './rng.js';

function take(seed: number, count: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => rng.nextUint32());
}

describe('Rng', () => {
  it('replays the same sequence for the same seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (seed) => {
        expect(take(seed, 16)).toEqual(take(seed, 16));
      }),
    );
  });

  it('produces the pinned sequence on every platform (guards against accidental algorithm changes)', () => {
    // If this changes, every published seed replays differently: only change it on purpose.
    expect(take(42, 4)).toMatchInlineSnapshot(`
      [
        3286051281,
        158630136,
        21155817,
        1304253785,
      ]
    `);
  });

  it('gives different sequences for neighbouring seeds, including seeds above 2^32', () => {
    expect(take(1, 8)).not.toEqual(take(2, 8));
    expect(take(2 ** 32, 8)).not.toEqual(take(0, 8));
    expect(take(2 ** 40 + 1, 8)).not.toEqual(take(2 ** 40, 8));
  });

  it('keeps int() within its inclusive bounds and reaches both ends', () => {
    const rng = createRng(7);
    const seen = new Set<number>();
    for (let index = 0; index < 2000; index++) {
      const value = rng.int(3, 9);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThanOrEqual(9);
      seen.add(value);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it('is roughly uniform (chi-square over 10 buckets)', () => {
    const rng = createRng(123);
    const buckets = new Array<number>(10).fill(0);
    const samples = 100_000;
    for (let index = 0; index < samples; index++) buckets[Math.floor(rng.next() * 10)]!++;
    const expected = samples / 10;
    const chiSquare = buckets.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(30); // 9 degrees of freedom: p < 0.001 above 27.9
  });

  it('splits into independent streams without advancing the parent', () => {
    const parent = createRng(5);
    const a = parent.split('network');
    const b = parent.split('clients');
    const again = createRng(5).split('network');
    expect(a.nextUint32()).toBe(again.nextUint32());
    expect(a.nextUint32()).not.toBe(b.nextUint32());
    expect(parent.nextUint32()).toBe(createRng(5).nextUint32());
  });

  it('draws nothing for chance(0) and chance(1), so disabled faults do not shift other draws', () => {
    const a = createRng(9);
    const b = createRng(9);
    a.chance(0);
    a.chance(1);
    expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it('shuffles into a permutation', () => {
    const items = [1, 2, 3, 4, 5, 6];
    const shuffled = createRng(3).shuffle(items);
    expect([...shuffled].sort()).toEqual(items);
  });

  it('rejects seeds that cannot be replayed exactly', () => {
    expect(() => createRng(-1)).toThrow(/seed/);
    expect(() => createRng(1.5)).toThrow(/seed/);
    expect(() => createRng(2 ** 53)).toThrow(/seed/);
  });
});
