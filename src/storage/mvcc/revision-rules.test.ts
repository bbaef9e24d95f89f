import { describe, expect, test } from 'vitest';
import { MvccErrors } from './errors.js';
import { MvccStore } from './store.js';
import { del, failure, get, put, range, rangeFailure, txn } from './test-support.js';

describe('etcd revision rules', () => {
  test('the store revision starts at 1', () => {
    const store = new MvccStore();
    expect(store.currentRevision).toBe(1);
    expect(range(store, { key: 'a' }).header.revision).toBe(1);
  });

  test('every put gets exactly one new main revision, even with an unchanged value', () => {
    const store = new MvccStore();
    expect(put(store, 'a', '1').header.revision).toBe(2);
    expect(put(store, 'a', '1').header.revision).toBe(3);
    expect(store.currentRevision).toBe(3);
  });

  test('a txn that changes several keys gets one main revision for all of them', () => {
    const store = new MvccStore();
    const response = txn(store, {
      success: [
        { requestPut: { key: 'a', value: '1' } },
        { requestPut: { key: 'b', value: '2' } },
        { requestDeleteRange: { key: 'c' } },
      ],
    });
    expect(response.header.revision).toBe(2);
    expect(get(store, 'a')?.modRevision).toBe(2);
    expect(get(store, 'b')?.modRevision).toBe(2);
    expect(store.currentRevision).toBe(2);
  });

  test('a delete range deleting several keys gets one main revision', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'b', '2');
    const response = del(store, 'a', 'c');
    expect(response).toMatchObject({ header: { revision: 4 }, deleted: 2 });
  });

  test('a delete that matches nothing does not bump the revision', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    expect(del(store, 'zzz')).toEqual({ header: { revision: 2 }, deleted: 0, prevKvs: [] });
    expect(store.currentRevision).toBe(2);
  });

  test('a txn whose ops are all reads or no-op deletes does not bump the revision', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    const response = txn(store, {
      success: [{ requestRange: { key: 'a' } }, { requestDeleteRange: { key: 'nothing' } }],
    });
    expect(response.header.revision).toBe(2);
    expect(store.currentRevision).toBe(2);
  });

  test('a txn whose compare fails and has no failure ops does not bump the revision', () => {
    const store = new MvccStore();
    const response = txn(store, {
      compare: [{ key: 'a', target: 'VERSION', result: 'GREATER', version: 0 }],
      success: [{ requestPut: { key: 'a', value: '1' } }],
    });
    expect(response).toEqual({ header: { revision: 1 }, succeeded: false, responses: [] });
  });

  test('a failed write does not bump the revision', () => {
    const store = new MvccStore();
    failure(store, { type: 'put', request: { key: 'a', value: '1', lease: 7 } });
    expect(store.currentRevision).toBe(1);
  });

  test('createRevision is the revision of the put that created the key; it survives updates', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    expect(get(store, 'a')).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
  });

  test('version starts at 1 and counts the puts since creation', () => {
    const store = new MvccStore();
    for (let count = 1; count <= 3; count++) {
      put(store, 'a', String(count));
      expect(get(store, 'a')?.version).toBe(count);
    }
  });

  test('a deletion resets the version; a recreated key gets a new createRevision', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    del(store, 'a');
    expect(get(store, 'a')).toBeUndefined();
    put(store, 'a', '3');
    expect(get(store, 'a')).toMatchObject({ createRevision: 5, modRevision: 5, version: 1 });
  });

  test('a read at a revision sees the state as of that revision', () => {
    const store = new MvccStore();
    put(store, 'a', '1'); // 2
    put(store, 'b', '1'); // 3
    put(store, 'a', '2'); // 4
    del(store, 'b'); // 5
    expect(range(store, { key: 'a', rangeEnd: 'z', revision: 3 }).kvs).toMatchObject([
      { key: 'a', value: '1' },
      { key: 'b', value: '1' },
    ]);
    expect(
      range(store, { key: 'a', rangeEnd: 'z', revision: 4 }).kvs.map((kv) => kv.value),
    ).toEqual(['2', '1']);
    expect(range(store, { key: 'a', rangeEnd: 'z', revision: 5 }).kvs.map((kv) => kv.key)).toEqual([
      'a',
    ]);
    expect(range(store, { key: 'a', rangeEnd: 'z', revision: 1 }).kvs).toEqual([]);
    // The header carries the current revision, whatever revision was read.
    expect(range(store, { key: 'a', revision: 2 }).header.revision).toBe(5);
  });

  test('reading above the current revision fails with future revision', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    expect(rangeFailure(store, { key: 'a', revision: 3 })).toEqual(MvccErrors.futureRevision);
  });

  test('reading below the compacted revision fails with compacted; at it, it works', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    put(store, 'a', '3');
    store.apply({ type: 'compaction', request: { revision: 3 } });
    expect(rangeFailure(store, { key: 'a', revision: 2 })).toEqual(MvccErrors.compacted);
    expect(get(store, 'a', 3)?.value).toBe('2');
  });

  test('sub-revisions order the changes of one txn: events follow the ops', () => {
    const store = new MvccStore();
    const result = store.apply({
      type: 'txn',
      request: {
        success: [
          { requestPut: { key: 'b', value: '1' } },
          { requestPut: { key: 'a', value: '1' } },
        ],
      },
    });
    expect(result.events.map((event) => [event.kv.key, event.kv.modRevision])).toEqual([
      ['b', 2],
      ['a', 2],
    ]);
  });
});
