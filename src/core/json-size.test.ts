import { describe, expect, it } from 'vitest';
import { countWithinLength, jsonLengthOf } from './json-size.js';

describe('message size bounds', () => {
  it('measures a value as its JSON text, objects and primitives alike', () => {
    expect(jsonLengthOf({ key: 'a' })).toBe('{"key":"a"}'.length);
    expect(jsonLengthOf('abc')).toBe(5);
    expect(jsonLengthOf(null)).toBe(4);
  });

  it('counts the items that fit, never more than countMax, and at least one', () => {
    const items = ['aaaa', 'bbbb', 'cccc'];
    const length = (item: string) => item.length;
    expect(countWithinLength(items, length, 8)).toBe(2);
    expect(countWithinLength(items, length, 7)).toBe(1);
    expect(countWithinLength(items, length, 1)).toBe(1); // too large, goes alone
    expect(countWithinLength(items, length, 0)).toBe(3); // no limit
    expect(countWithinLength(items, length, 0, 2)).toBe(2);
    expect(countWithinLength([], length, 8)).toBe(0);
  });
});
