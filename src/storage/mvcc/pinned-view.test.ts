import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MvccStore } from './store.js';
import { put } from './test-support.js';
import type { SnapshotRecord } from './snapshot.js';

function readAll(store: MvccStore, chunkKeys: number, between: () => void): SnapshotRecord[] {
  const reader = store.openSnapshot();
  const records: SnapshotRecord[] = [];
  for (;;) {
    const chunk = reader.next(chunkKeys);
    if (chunk.length === 0) return records;
    records.push(...chunk);
    between();
  }
}

describe('openSnapshot: a point-in-time view read in chunks', () => {
  test('with nothing applied in between it equals snapshot()', () => {
    const store = new MvccStore();
    for (let i = 0; i < 50; i++) put(store, `k${i % 17}`, `v${i}`);
    store.apply({ type: 'compaction', request: { revision: 20 } });
    expect(readAll(store, 4, () => undefined)).toEqual(store.snapshot().records);
  });

  test('writes, deletes, compactions and new keys between chunks do not show', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 30 })), {
          maxLength: 200,
        }),
        fc.integer({ min: 1, max: 6 }),
        (ops, chunkKeys) => {
          const store = new MvccStore();
          for (let i = 0; i < 40; i++) put(store, `k${(i * 7) % 23}`, `v${i}`);
          store.apply({ type: 'deleteRange', request: { key: 'k3' } });
          const expected = store.snapshot().records;
          let cursor = 0;
          const mutate = () => {
            for (let n = 0; n < 5 && cursor < ops.length; n++, cursor++) {
              const [kind, k] = ops[cursor] as [number, number];
              const key = `k${k}`;
              if (kind === 0) put(store, key, `new${cursor}`);
              else if (kind === 1) store.apply({ type: 'deleteRange', request: { key } });
              else if (kind === 2)
                store.apply({
                  type: 'compaction',
                  request: { revision: store.currentRevision },
                });
              else put(store, `${key}-late`, 'x');
            }
          };
          expect(readAll(store, chunkKeys, mutate)).toEqual(expected);
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  test('a closed reader stops following compactions', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    const reader = store.openSnapshot();
    reader.close();
    store.apply({ type: 'compaction', request: { revision: store.currentRevision } });
    expect(reader.next(10)).toEqual([]);
  });
});
