import { describe, expect, test } from 'vitest';
import { MvccErrors } from './errors.js';
import { MvccStore } from './store.js';
import { failure, get, put, range, txn } from './test-support.js';
import type { Compare, CompareResult, CompareTarget } from './types.js';

/** a: created at 2, modified at 3, version 2, value 'v2', lease 5. */
function storeWithA(): MvccStore {
  const store = new MvccStore();
  store.apply({ type: 'leaseGrant', request: { id: 5, ttl: 60 } });
  put(store, 'a', 'v1');
  put(store, 'a', 'v2', { lease: 5 });
  return store;
}

function holds(store: MvccStore, compare: Compare): boolean {
  return txn(store, { compare: [compare] }).succeeded;
}

function compare(
  target: CompareTarget,
  result: CompareResult,
  operand: Partial<Compare>,
  key = 'a',
): Compare {
  return { key, target, result, ...operand };
}

describe('Txn compares', () => {
  const cases: [CompareTarget, Partial<Compare>, Partial<Compare>, Partial<Compare>][] = [
    // target, equal operand, smaller operand, larger operand
    ['VERSION', { version: 2 }, { version: 1 }, { version: 3 }],
    ['CREATE', { createRevision: 2 }, { createRevision: 1 }, { createRevision: 3 }],
    ['MOD', { modRevision: 3 }, { modRevision: 2 }, { modRevision: 4 }],
    ['VALUE', { value: 'v2' }, { value: 'v1' }, { value: 'v3' }],
    ['LEASE', { lease: 5 }, { lease: 4 }, { lease: 6 }],
  ];
  for (const [target, equal, smaller, larger] of cases) {
    test(`${target}: EQUAL, NOT_EQUAL, GREATER, LESS`, () => {
      const store = storeWithA();
      expect(holds(store, compare(target, 'EQUAL', equal))).toBe(true);
      expect(holds(store, compare(target, 'EQUAL', smaller))).toBe(false);
      expect(holds(store, compare(target, 'NOT_EQUAL', smaller))).toBe(true);
      expect(holds(store, compare(target, 'NOT_EQUAL', equal))).toBe(false);
      expect(holds(store, compare(target, 'GREATER', smaller))).toBe(true);
      expect(holds(store, compare(target, 'GREATER', equal))).toBe(false);
      expect(holds(store, compare(target, 'LESS', larger))).toBe(true);
      expect(holds(store, compare(target, 'LESS', equal))).toBe(false);
    });
  }

  test('a missing key compares as zeros: version 0, createRevision 0 (the "key absent" idiom)', () => {
    const store = storeWithA();
    expect(holds(store, compare('VERSION', 'EQUAL', { version: 0 }, 'missing'))).toBe(true);
    expect(holds(store, compare('CREATE', 'EQUAL', { createRevision: 0 }, 'missing'))).toBe(true);
    expect(holds(store, compare('MOD', 'LESS', { modRevision: 1 }, 'missing'))).toBe(true);
    expect(holds(store, compare('LEASE', 'EQUAL', {}, 'missing'))).toBe(true);
  });

  test('a VALUE compare on a missing key always fails, even NOT_EQUAL', () => {
    const store = storeWithA();
    expect(holds(store, compare('VALUE', 'NOT_EQUAL', { value: 'x' }, 'missing'))).toBe(false);
    expect(holds(store, compare('VALUE', 'EQUAL', { value: '' }, 'missing'))).toBe(false);
  });

  test('a range compare holds only if every key in the range passes', () => {
    const store = new MvccStore();
    put(store, 'k1', 'x');
    put(store, 'k2', 'x');
    put(store, 'k3', 'y');
    const all = (rangeEnd: string) =>
      ({ key: 'k1', rangeEnd, target: 'VALUE', result: 'EQUAL', value: 'x' }) as const;
    expect(holds(store, all('k3'))).toBe(true);
    expect(holds(store, all('k4'))).toBe(false);
    expect(holds(store, { ...all('\0'), value: 'y', result: 'NOT_EQUAL' })).toBe(false);
    expect(
      holds(store, {
        key: 'k',
        rangeEnd: 'l',
        target: 'CREATE',
        result: 'GREATER',
        createRevision: 1,
      }),
    ).toBe(true);
  });

  test('all compares must hold for success; an empty compare list succeeds', () => {
    const store = storeWithA();
    const response = txn(store, {
      compare: [
        compare('VERSION', 'EQUAL', { version: 2 }),
        compare('VALUE', 'EQUAL', { value: 'no' }),
      ],
      success: [{ requestPut: { key: 's', value: '' } }],
      failure: [{ requestPut: { key: 'f', value: '' } }],
    });
    expect(response.succeeded).toBe(false);
    expect(get(store, 'f')).toBeDefined();
    expect(get(store, 's')).toBeUndefined();
    expect(txn(store, {}).succeeded).toBe(true);
  });
});

describe('Txn execution', () => {
  test('responses match the ops; reads see the txn earlier writes', () => {
    const store = storeWithA();
    const response = txn(store, {
      success: [
        { requestPut: { key: 'b', value: '1', prevKv: true } },
        { requestRange: { key: 'a', rangeEnd: 'c' } },
        { requestDeleteRange: { key: 'a', prevKv: true } },
        { requestRange: { key: 'a', rangeEnd: 'c', revision: 3 } },
      ],
    });
    expect(response.header.revision).toBe(4);
    const [putResponse, rangeResponse, deleteResponse, oldRange] = response.responses;
    expect(putResponse).toEqual({ responsePut: { header: { revision: 4 } } });
    expect(rangeResponse?.responseRange?.kvs.map((kv) => kv.key)).toEqual(['a', 'b']);
    expect(rangeResponse?.responseRange?.header.revision).toBe(4);
    expect(deleteResponse?.responseDeleteRange).toMatchObject({
      deleted: 1,
      prevKvs: [{ key: 'a', value: 'v2' }],
    });
    expect(oldRange?.responseRange?.kvs.map((kv) => kv.key)).toEqual(['a']);
  });

  test('nested txns choose their own branch; their compares see the state before the txn', () => {
    const store = new MvccStore();
    const response = txn(store, {
      success: [
        { requestPut: { key: 'x', value: '1' } },
        {
          requestTxn: {
            // x does not exist before the outer txn, so this fails although the outer txn put x.
            compare: [{ key: 'x', target: 'VERSION', result: 'EQUAL', version: 1 }],
            success: [{ requestPut: { key: 'then', value: '' } }],
            failure: [
              { requestPut: { key: 'else', value: '' } },
              { requestTxn: { success: [{ requestPut: { key: 'deep', value: '' } }] } },
            ],
          },
        },
      ],
    });
    const nested = response.responses[1]?.responseTxn;
    expect(nested?.succeeded).toBe(false);
    expect(nested?.header.revision).toBe(0);
    expect(nested?.responses[1]?.responseTxn?.succeeded).toBe(true);
    expect(
      range(store, { key: '\0', rangeEnd: '\0' }).kvs.map((kv) => [kv.key, kv.modRevision]),
    ).toEqual([
      ['deep', 2],
      ['else', 2],
      ['x', 2],
    ]);
  });

  test('a put with an unknown lease anywhere on the chosen path fails the whole txn', () => {
    const store = storeWithA();
    const error = failure(store, {
      type: 'txn',
      request: {
        success: [
          { requestPut: { key: 'b', value: '1' } },
          { requestTxn: { success: [{ requestPut: { key: 'c', value: '1', lease: 99 } }] } },
        ],
      },
    });
    expect(error).toEqual(MvccErrors.leaseNotFound);
    expect(get(store, 'b')).toBeUndefined();
    expect(store.currentRevision).toBe(3);
  });

  test('a bad lease on the branch not taken does not matter', () => {
    const store = storeWithA();
    const response = txn(store, {
      success: [{ requestPut: { key: 'b', value: '1' } }],
      failure: [{ requestPut: { key: 'c', value: '1', lease: 99 } }],
    });
    expect(response.succeeded).toBe(true);
  });

  test('ignoreValue on a missing key fails the txn with key not found', () => {
    const store = storeWithA();
    const error = failure(store, {
      type: 'txn',
      request: { success: [{ requestPut: { key: 'missing', ignoreValue: true } }] },
    });
    expect(error).toEqual(MvccErrors.keyNotFound);
  });

  test('a range at a future or compacted revision fails the whole txn', () => {
    const store = storeWithA();
    const future = {
      success: [
        { requestPut: { key: 'b', value: '' } },
        { requestRange: { key: 'a', revision: 4 } },
      ],
    };
    expect(failure(store, { type: 'txn', request: future })).toEqual(MvccErrors.futureRevision);
    store.apply({ type: 'compaction', request: { revision: 3 } });
    const old = { success: [{ requestRange: { key: 'a', revision: 2 } }] };
    expect(failure(store, { type: 'txn', request: old })).toEqual(MvccErrors.compacted);
  });

  test('a from-key delete then a put of a key in range (allowed by etcd) leaves the put', () => {
    const store = storeWithA();
    const result = store.apply({
      type: 'txn',
      request: {
        success: [
          { requestDeleteRange: { key: 'a', rangeEnd: '\0' } },
          { requestPut: { key: 'a', ignoreValue: true } },
        ],
      },
    });
    expect(result.ok && result.events.map((event) => event.type)).toEqual(['DELETE', 'PUT']);
    expect(get(store, 'a')).toMatchObject({ value: 'v2', version: 1, createRevision: 4, lease: 0 });
  });
});
