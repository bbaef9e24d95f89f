import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SortedKeys } from './sorted-keys.js';

describe('SortedKeys, the ordered key index', () => {
  test('property: inserts, deletes and range scans agree with a sorted array, across chunk splits', () => {
    const key = fc.integer({ min: 0, max: 3000 }).map((n) => String.fromCharCode(n & 0xff, n >> 8));
    const operation = fc.oneof(
      fc.record({ insert: key }),
      fc.record({ remove: key }),
      fc.record({ start: key, end: fc.option(key) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 3000 }), (operations) => {
        const index = new SortedKeys();
        const reference = new Set<string>();
        for (const op of operations) {
          if ('insert' in op) {
            expect(index.insert(op.insert)).toBe(!reference.has(op.insert));
            reference.add(op.insert);
          } else if ('remove' in op) {
            expect(index.delete(op.remove)).toBe(reference.has(op.remove));
            reference.delete(op.remove);
          } else {
            const end = op.end ?? undefined;
            const expected = [...reference]
              .sort()
              .filter((k) => k >= op.start && (end === undefined || k < end));
            expect([...index.range(op.start, end)]).toEqual(expected);
          }
        }
        expect(index.size).toBe(reference.size);
        expect([...index.range('', undefined)]).toEqual([...reference].sort());
      }),
      { numRuns: 60 },
    );
  });

  test('fromSorted builds the same index as inserting one by one', () => {
    const keys = Array.from({ length: 5000 }, (_, n) => `k${String(n).padStart(5, '0')}`);
    const built = SortedKeys.fromSorted(keys);
    expect([...built.range('k01000', 'k01003')]).toEqual(['k01000', 'k01001', 'k01002']);
    expect(built.size).toBe(5000);
    expect(() => SortedKeys.fromSorted(['b', 'a'])).toThrow(/ascending/);
  });
});
