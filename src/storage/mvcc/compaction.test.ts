import { describe, expect, test } from 'vitest';
import { MvccErrors } from './errors.js';
import { MvccStore } from './store.js';
import { del, failure, get, put, range, rangeFailure } from './test-support.js';

function compact(store: MvccStore, revision: number) {
  const result = store.apply({ type: 'compaction', request: { revision } });
  if (!result.ok) throw new Error(result.error.message);
  return result.response.response;
}

describe('compaction', () => {
  test('keeps, for each live key, the latest version at or below the compact revision', () => {
    const store = new MvccStore();
    put(store, 'a', '1'); // 2
    put(store, 'a', '2'); // 3
    put(store, 'a', '3'); // 4
    compact(store, 3);
    expect(get(store, 'a', 3)).toMatchObject({ value: '2', modRevision: 3, version: 2 });
    expect(get(store, 'a', 4)).toMatchObject({ value: '3' });
    expect(rangeFailure(store, { key: 'a', revision: 2 })).toEqual(MvccErrors.compacted);
  });

  test('keeps a key untouched since long before the compact revision', () => {
    const store = new MvccStore();
    put(store, 'old', '1'); // 2
    put(store, 'x', '1'); // 3
    put(store, 'x', '2'); // 4
    compact(store, 4);
    expect(get(store, 'old', 4)).toMatchObject({ value: '1', modRevision: 2 });
  });

  test('drops tombstones at or below the compact revision and the key from the index', () => {
    const store = new MvccStore();
    put(store, 'a', '1'); // 2
    del(store, 'a'); // 3
    put(store, 'b', '1'); // 4
    expect(store.keyCount).toBe(2);
    compact(store, 3);
    expect(store.keyCount).toBe(1);
    expect(get(store, 'a', 3)).toBeUndefined();
    expect(store.eventsSince('a', undefined, 3)).toEqual({ ok: true, events: [] });
  });

  test('keeps tombstones above the compact revision', () => {
    const store = new MvccStore();
    put(store, 'a', '1'); // 2
    del(store, 'a'); // 3
    compact(store, 2);
    expect(get(store, 'a', 2)?.value).toBe('1');
    expect(get(store, 'a', 3)).toBeUndefined();
    const replay = store.eventsSince('a', undefined, 2);
    expect(replay.ok && replay.events.map((event) => event.type)).toEqual(['PUT', 'DELETE']);
  });

  test('does not change the revision; the response header carries the current one', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    expect(compact(store, 2)).toEqual({ header: { revision: 2 } });
    expect(store.currentRevision).toBe(2);
    expect(store.compactedRevision).toBe(2);
  });

  test('compacting at or below the compacted revision fails with compacted', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    compact(store, 2);
    expect(failure(store, { type: 'compaction', request: { revision: 2 } })).toEqual(
      MvccErrors.compacted,
    );
    expect(failure(store, { type: 'compaction', request: { revision: 1 } })).toEqual(
      MvccErrors.compacted,
    );
    expect(store.compactedRevision).toBe(2);
  });

  test('compacting above the current revision fails with future revision', () => {
    const store = new MvccStore();
    expect(failure(store, { type: 'compaction', request: { revision: 2 } })).toEqual(
      MvccErrors.futureRevision,
    );
    expect(store.compactedRevision).toBe(0);
  });

  test('compacting at the current revision is allowed, and reading at it works', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'b', '1');
    compact(store, 3);
    expect(range(store, { key: 'a', rangeEnd: '\0', revision: 3 }).kvs).toHaveLength(2);
  });

  test('a watch from below the compacted revision is refused with it', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    compact(store, 3);
    expect(store.eventsSince('a', undefined, 2)).toEqual({
      ok: false,
      compactRevision: 3,
      error: MvccErrors.compacted,
    });
  });
});
