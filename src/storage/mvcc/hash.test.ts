import { describe, expect, test } from 'vitest';
import { MvccErrors } from './errors.js';
import { crc32cOfByteString } from './hash.js';
import { MvccStore } from './store.js';
import { put } from './test-support.js';

function hashOf(store: MvccStore, revision = 0): number {
  const outcome = store.hashKv(revision);
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.response.hash;
}

describe('hashKv', () => {
  test('CRC-32C check value', () => {
    expect(crc32cOfByteString('123456789')).toBe(0xe3069283);
  });

  test('replicas with the same log agree, a snapshot-restored one too; a different history differs', () => {
    const first = new MvccStore();
    const second = new MvccStore();
    for (const store of [first, second]) {
      put(store, 'a', '1');
      put(store, 'b', '\x00\xff');
      store.apply({ type: 'deleteRange', request: { key: 'a' } });
    }
    const restored = new MvccStore();
    restored.restore(first.snapshot());
    expect(hashOf(second)).toBe(hashOf(first));
    expect(hashOf(restored)).toBe(hashOf(first));
    put(second, 'c', '');
    expect(hashOf(second)).not.toBe(hashOf(first));
    // At the revision before the extra put they still agree.
    expect(hashOf(second, 4)).toBe(hashOf(first, 4));
  });

  test('reports the revisions, and refuses compacted or future ones', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    expect(store.hashKv()).toMatchObject({
      ok: true,
      response: { compactRevision: -1, hashRevision: 3 },
    });
    store.apply({ type: 'compaction', request: { revision: 2 } });
    expect(store.hashKv(0)).toMatchObject({
      ok: true,
      response: { header: { revision: 3 }, compactRevision: 2, hashRevision: 3 },
    });
    expect(store.hashKv(1)).toEqual({ ok: false, error: MvccErrors.compacted });
    expect(store.hashKv(4)).toEqual({ ok: false, error: MvccErrors.futureRevision });
  });
});
