import { describe, expect, test } from 'vitest';
import { prefixEnd } from './bytes.js';
import { MvccErrors } from './errors.js';
import { MvccStore } from './store.js';
import { keysOf, put, range, rangeFailure } from './test-support.js';

/** Keys a, b, c, d, e put in that order (revisions 2..6), then b and d updated (7, 8). */
function fiveKeys(): MvccStore {
  const store = new MvccStore();
  for (const key of ['a', 'b', 'c', 'd', 'e']) put(store, key, `${key}-value`);
  put(store, 'b', 'z-last');
  put(store, 'd', 'a-first');
  return store;
}

describe('Range', () => {
  test('a single key: rangeEnd absent or empty', () => {
    const store = fiveKeys();
    expect(keysOf(range(store, { key: 'b' }))).toEqual(['b']);
    expect(keysOf(range(store, { key: 'b', rangeEnd: '' }))).toEqual(['b']);
    expect(range(store, { key: 'missing' })).toEqual({
      header: { revision: 8 },
      kvs: [],
      more: false,
      count: 0,
    });
  });

  test('[key, rangeEnd) is half-open', () => {
    expect(keysOf(range(fiveKeys(), { key: 'b', rangeEnd: 'd' }))).toEqual(['b', 'c']);
  });

  test("rangeEnd '\\0' means every key from key on", () => {
    expect(keysOf(range(fiveKeys(), { key: 'c', rangeEnd: '\0' }))).toEqual(['c', 'd', 'e']);
  });

  test("key '\\0' with rangeEnd '\\0' means every key", () => {
    expect(keysOf(range(fiveKeys(), { key: '\0', rangeEnd: '\0' }))).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });

  test('a prefix range is [prefix, prefixEnd(prefix))', () => {
    const store = new MvccStore();
    for (const key of ['fo', 'foo', 'foo/1', 'foo\xff', 'fop', 'g']) put(store, key, '');
    expect(keysOf(range(store, { key: 'foo', rangeEnd: prefixEnd('foo') }))).toEqual([
      'foo',
      'foo/1',
      'foo\xff',
    ]);
  });

  test('a rangeEnd at or below key selects nothing', () => {
    expect(range(fiveKeys(), { key: 'c', rangeEnd: 'b' }).kvs).toEqual([]);
    expect(range(fiveKeys(), { key: 'c', rangeEnd: 'c' }).count).toBe(0);
  });

  test('limit truncates, sets more, and count still counts every key in range', () => {
    const response = range(fiveKeys(), { key: 'a', rangeEnd: '\0', limit: 2 });
    expect(keysOf(response)).toEqual(['a', 'b']);
    expect(response.more).toBe(true);
    expect(response.count).toBe(5);
    const exact = range(fiveKeys(), { key: 'a', rangeEnd: '\0', limit: 5 });
    expect(exact.more).toBe(false);
    expect(range(fiveKeys(), { key: 'a', rangeEnd: '\0', limit: 0 }).kvs).toHaveLength(5);
  });

  test('revision reads the past; the header says the current revision', () => {
    const response = range(fiveKeys(), { key: 'a', rangeEnd: '\0', revision: 4 });
    expect(keysOf(response)).toEqual(['a', 'b', 'c']);
    expect(response.kvs[1]?.value).toBe('b-value');
    expect(response.header.revision).toBe(8);
  });

  test('revision above the current one is a future revision', () => {
    expect(rangeFailure(fiveKeys(), { key: 'a', revision: 9 })).toEqual(MvccErrors.futureRevision);
  });

  test('sortOrder and sortTarget, each target both ways', () => {
    const store = fiveKeys();
    const sorted = (
      sortTarget: 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE',
      sortOrder: 'ASCEND' | 'DESCEND',
    ) => keysOf(range(store, { key: 'a', rangeEnd: '\0', sortTarget, sortOrder }));
    expect(sorted('KEY', 'ASCEND')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(sorted('KEY', 'DESCEND')).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(sorted('MOD', 'ASCEND')).toEqual(['a', 'c', 'e', 'b', 'd']);
    expect(sorted('MOD', 'DESCEND')).toEqual(['d', 'b', 'e', 'c', 'a']);
    expect(sorted('CREATE', 'DESCEND')).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(sorted('CREATE', 'ASCEND')).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Ties (version 1 for a, c, e) stay in key order: our sort is stable.
    expect(sorted('VERSION', 'DESCEND')).toEqual(['b', 'd', 'a', 'c', 'e']);
    expect(sorted('VERSION', 'ASCEND')).toEqual(['a', 'c', 'e', 'b', 'd']);
    expect(sorted('VALUE', 'ASCEND')).toEqual(['d', 'a', 'c', 'e', 'b']);
    expect(sorted('VALUE', 'DESCEND')).toEqual(['b', 'e', 'c', 'a', 'd']);
  });

  test('a sort target other than KEY with order NONE sorts ascending', () => {
    const response = range(fiveKeys(), {
      key: 'a',
      rangeEnd: '\0',
      sortTarget: 'VALUE',
      sortOrder: 'NONE',
    });
    expect(keysOf(response)).toEqual(['d', 'a', 'c', 'e', 'b']);
  });

  test('sorting happens before the limit', () => {
    const response = range(fiveKeys(), {
      key: 'a',
      rangeEnd: '\0',
      sortTarget: 'MOD',
      sortOrder: 'DESCEND',
      limit: 2,
    });
    expect(keysOf(response)).toEqual(['d', 'b']);
    expect(response.more).toBe(true);
    expect(response.count).toBe(5);
  });

  test('keysOnly drops values, keeps the rest', () => {
    const response = range(fiveKeys(), { key: 'b', keysOnly: true });
    expect(response.kvs).toEqual([
      { key: 'b', createRevision: 3, modRevision: 7, version: 2, value: '', lease: 0 },
    ]);
  });

  test('keysOnly still sorts by value', () => {
    const response = range(fiveKeys(), {
      key: 'a',
      rangeEnd: '\0',
      keysOnly: true,
      sortTarget: 'VALUE',
    });
    expect(keysOf(response)).toEqual(['d', 'a', 'c', 'e', 'b']);
  });

  test('countOnly returns the count and no kvs', () => {
    expect(range(fiveKeys(), { key: 'a', rangeEnd: '\0', countOnly: true, limit: 1 })).toEqual({
      header: { revision: 8 },
      kvs: [],
      more: false,
      count: 5,
    });
  });

  test('min/max mod revision filter after counting', () => {
    const store = fiveKeys();
    const response = range(store, {
      key: 'a',
      rangeEnd: '\0',
      minModRevision: 4,
      maxModRevision: 7,
    });
    expect(keysOf(response)).toEqual(['b', 'c', 'e']);
    expect(response.count).toBe(5);
  });

  test('min/max create revision filter', () => {
    const store = fiveKeys();
    expect(keysOf(range(store, { key: 'a', rangeEnd: '\0', minCreateRevision: 4 }))).toEqual([
      'c',
      'd',
      'e',
    ]);
    expect(keysOf(range(store, { key: 'a', rangeEnd: '\0', maxCreateRevision: 3 }))).toEqual([
      'a',
      'b',
    ]);
  });

  test('filters happen before the limit', () => {
    const response = range(fiveKeys(), {
      key: 'a',
      rangeEnd: '\0',
      minCreateRevision: 4,
      limit: 1,
    });
    expect(keysOf(response)).toEqual(['c']);
    expect(response.more).toBe(true);
  });

  test('serializable is accepted and changes nothing in the store', () => {
    expect(keysOf(range(fiveKeys(), { key: 'a', serializable: true }))).toEqual(['a']);
  });

  test('a range never lists deleted keys, nor counts them', () => {
    const store = fiveKeys();
    store.apply({ type: 'deleteRange', request: { key: 'b', rangeEnd: 'd' } });
    const response = range(store, { key: 'a', rangeEnd: '\0' });
    expect(keysOf(response)).toEqual(['a', 'd', 'e']);
    expect(response.count).toBe(3);
  });

  test('an invalid request is refused with etcd error, never thrown', () => {
    const store = fiveKeys();
    expect(rangeFailure(store, { key: '' })).toEqual(MvccErrors.emptyKey);
    expect(rangeFailure(store, { key: 'a', sortOrder: 'UP' as never })).toEqual(
      MvccErrors.invalidSortOption,
    );
    expect(rangeFailure(store, { key: 'a', sortTarget: 7 as never })).toEqual(
      MvccErrors.invalidSortOption,
    );
    expect(rangeFailure(store, null as never).code).toBe('InvalidArgument');
  });
});
