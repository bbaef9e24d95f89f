import { describe, expect, test } from 'vitest';
import { MvccStore } from './store.js';
import { put, range } from './test-support.js';

function busyStore(): MvccStore {
  const store = new MvccStore();
  store.apply({ type: 'leaseGrant', request: { id: 9, ttl: 100 } });
  store.apply({ type: 'leaseGrant', request: { id: 3, ttl: 5 } });
  put(store, 'a', '1', { lease: 9 });
  put(store, '\xff\x00', 'bytes \x00\x01\xfe\xff');
  put(store, 'b', '1');
  put(store, 'b', '2');
  store.apply({ type: 'deleteRange', request: { key: 'a' } });
  put(store, 'c', '1', { lease: 3 });
  store.apply({ type: 'compaction', request: { revision: 4 } });
  put(store, 'b', '3');
  return store;
}

describe('snapshot and restore', () => {
  test('a restore in steps serves the old state, whole, until its last step replaces it', () => {
    const original = busyStore();
    const snapshot = original.snapshot();
    const restored = new MvccStore();
    put(restored, 'old', 'state');
    const before = restored.snapshot();
    const steps = restored.restoreInSteps(snapshot, 2);
    let pauses = 0;
    while (steps.next().done !== true) {
      pauses++;
      expect(restored.snapshot()).toEqual(before);
    }
    // Six records, then four keys, two per step.
    expect(pauses).toBeGreaterThanOrEqual(4);
    expect(restored.snapshot()).toEqual(original.snapshot());
    expect(restored.leaseKeys(3)).toEqual(['c']);
  });

  test('round trip through JSON gives the same state, history and leases', () => {
    const original = busyStore();
    const snapshot = JSON.parse(JSON.stringify(original.snapshot()));
    const restored = new MvccStore();
    restored.restore(snapshot);
    expect(restored.currentRevision).toBe(original.currentRevision);
    expect(restored.compactedRevision).toBe(4);
    expect(restored.snapshot()).toEqual(original.snapshot());
    for (let revision = 4; revision <= original.currentRevision; revision++) {
      const request = { key: '\0', rangeEnd: '\0', revision };
      expect(range(restored, request)).toEqual(range(original, request));
    }
    expect(restored.leases()).toEqual([
      { id: 3, ttl: 5 },
      { id: 9, ttl: 100 },
    ]);
    expect(restored.leaseKeys(3)).toEqual(['c']);
    expect(restored.eventsSince('\0', '\0', 4)).toEqual(original.eventsSince('\0', '\0', 4));
  });

  test('a restored store goes on exactly like the original', () => {
    const original = busyStore();
    const restored = new MvccStore();
    restored.restore(original.snapshot());
    for (const store of [original, restored]) {
      put(store, 'd', '1', { lease: 3 });
      store.apply({ type: 'leaseRevoke', request: { id: 3 } });
      store.apply({ type: 'compaction', request: { revision: 8 } });
    }
    expect(JSON.stringify(restored.snapshot())).toBe(JSON.stringify(original.snapshot()));
  });

  test('the snapshot is deterministic: same commands, same bytes, whatever the insertion order of keys', () => {
    const first = new MvccStore();
    const second = new MvccStore();
    put(first, 'x', '1');
    put(first, 'y', '1');
    put(second, 'x', '1');
    put(second, 'y', '1');
    expect(JSON.stringify(first.snapshot())).toBe(JSON.stringify(second.snapshot()));
    expect(first.snapshot().records.map((record) => record[0])).toEqual(['x', 'y']);
  });

  test('restore replaces everything that was there', () => {
    const store = busyStore();
    store.restore(new MvccStore().snapshot());
    expect(store.currentRevision).toBe(1);
    expect(store.compactedRevision).toBe(0);
    expect(store.keyCount).toBe(0);
    expect(store.leases()).toEqual([]);
  });

  test('a corrupt snapshot is refused', () => {
    const snapshot = busyStore().snapshot();
    const reversed = { ...snapshot, records: [...snapshot.records].reverse() };
    expect(() => new MvccStore().restore(reversed)).toThrow(/order/);
    expect(() => new MvccStore().restore({ ...snapshot, format: 'other' as never })).toThrow();
  });

  test('a refused snapshot leaves the store as it was', () => {
    const store = busyStore();
    const before = JSON.stringify(store.snapshot());
    const badLease = { ...store.snapshot(), leases: [[1, 'x']] } as never;
    expect(() => store.restore(badLease)).toThrow(/lease/);
    const badRecord = { ...store.snapshot(), records: [['k', 99, 0, 0, 0, 0, 'v']] } as never;
    expect(() => store.restore(badRecord)).toThrow(/revisions/);
    expect(JSON.stringify(store.snapshot())).toBe(before);
  });
});
