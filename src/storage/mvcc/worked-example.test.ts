import { expect, test } from 'vitest';
import { MvccErrors } from './errors.js';
import { MvccStore } from './store.js';
import { del, get, put, rangeFailure, txn } from './test-support.js';

test('the worked example of docs/mvcc.md, step by step', () => {
  const store = new MvccStore();
  expect(store.currentRevision).toBe(1);
  put(store, 'foo', 'a'); // 1
  expect(get(store, 'foo')).toMatchObject({ createRevision: 2, modRevision: 2, version: 1 });
  put(store, 'foo', 'b'); // 2
  expect(get(store, 'foo')).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
  const events = store.apply({
    type: 'txn',
    request: {
      success: [
        { requestPut: { key: 'bar', value: 'x' } },
        { requestPut: { key: 'baz', value: 'y' } },
      ],
    },
  }).events; // 3
  expect(events.map((event) => [event.type, event.kv.key, event.kv.modRevision])).toEqual([
    ['PUT', 'bar', 4],
    ['PUT', 'baz', 4],
  ]);
  expect(del(store, 'nothing').header.revision).toBe(4); // 4
  expect(store.currentRevision).toBe(4);
  const deletion = store.apply({ type: 'deleteRange', request: { key: 'foo' } }).events; // 5
  expect(deletion).toMatchObject([
    { type: 'DELETE', kv: { key: 'foo', modRevision: 5 }, prevKv: { modRevision: 3 } },
  ]);
  put(store, 'foo', 'c'); // 6
  expect(get(store, 'foo')).toMatchObject({ createRevision: 6, modRevision: 6, version: 1 });
  expect(get(store, 'foo', 3)).toMatchObject({ value: 'b', modRevision: 3, version: 2 }); // 7
  expect(store.apply({ type: 'compaction', request: { revision: 4 } }).ok).toBe(true); // 8
  expect(rangeFailure(store, { key: 'foo', revision: 3 })).toEqual(MvccErrors.compacted); // 9
  expect(get(store, 'foo', 4)).toMatchObject({ value: 'b', modRevision: 3 }); // 10
  expect(rangeFailure(store, { key: 'foo', revision: 7 })).toEqual(MvccErrors.futureRevision); // 11
  const again = store.apply({ type: 'compaction', request: { revision: 4 } }); // 12
  expect(again.ok ? undefined : again.error).toEqual(MvccErrors.compacted);
  expect(
    store
      .snapshot()
      .records.filter((record) => record[0] === 'foo')
      .map((record) => record[1]),
  ).toEqual([3, 5, 6]);
  store.apply({ type: 'compaction', request: { revision: 5 } });
  expect(
    store
      .snapshot()
      .records.filter((record) => record[0] === 'foo')
      .map((record) => record[1]),
  ).toEqual([6]);
  expect(txn(store, {}).header.revision).toBe(6);
});
