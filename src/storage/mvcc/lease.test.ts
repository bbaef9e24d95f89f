import { describe, expect, test } from 'vitest';
import { MvccErrors } from './errors.js';
import { MvccStore } from './store.js';
import { failure, get, put } from './test-support.js';

function grant(store: MvccStore, id: number, ttl = 10) {
  const result = store.apply({ type: 'leaseGrant', request: { id, ttl } });
  if (!result.ok) throw new Error(result.error.message);
  return result.response.response;
}

describe('leases', () => {
  test('grant records the lease without changing the revision', () => {
    const store = new MvccStore();
    expect(grant(store, 7, 30)).toEqual({ header: { revision: 1 }, id: 7, ttl: 30, error: '' });
    expect(store.leases()).toEqual([{ id: 7, ttl: 30 }]);
    expect(store.lease(7)).toEqual({ id: 7, ttl: 30 });
    expect(store.currentRevision).toBe(1);
  });

  test('granting an existing id fails with lease already exists; id 0 is not a lease', () => {
    const store = new MvccStore();
    grant(store, 7);
    expect(failure(store, { type: 'leaseGrant', request: { id: 7, ttl: 1 } })).toEqual(
      MvccErrors.leaseExists,
    );
    expect(failure(store, { type: 'leaseGrant', request: { id: 0, ttl: 1 } })).toEqual(
      MvccErrors.leaseNotFound,
    );
  });

  test('a put with an unknown lease fails with requested lease not found', () => {
    const store = new MvccStore();
    expect(failure(store, { type: 'put', request: { key: 'a', value: '', lease: 3 } })).toEqual(
      MvccErrors.leaseNotFound,
    );
  });

  test('a put attaches the key; another put moves or detaches it', () => {
    const store = new MvccStore();
    grant(store, 1);
    grant(store, 2);
    put(store, 'a', '1', { lease: 1 });
    put(store, 'b', '1', { lease: 1 });
    expect(store.leaseKeys(1)).toEqual(['a', 'b']);
    put(store, 'a', '2', { lease: 2 });
    put(store, 'b', '2');
    expect(store.leaseKeys(1)).toEqual([]);
    expect(store.leaseKeys(2)).toEqual(['a']);
    expect(get(store, 'a')?.lease).toBe(2);
    expect(store.leaseKeys(99)).toBeUndefined();
  });

  test('ignoreLease keeps the lease, ignoreValue keeps the value', () => {
    const store = new MvccStore();
    grant(store, 1);
    put(store, 'a', 'original', { lease: 1 });
    put(store, 'a', 'new', { ignoreLease: true });
    expect(get(store, 'a')).toMatchObject({ value: 'new', lease: 1, version: 2 });
    put(store, 'a', '', { ignoreValue: true });
    expect(get(store, 'a')).toMatchObject({ value: 'new', lease: 0, version: 3 });
  });

  test('ignoreValue or ignoreLease on a missing key fails with key not found', () => {
    const store = new MvccStore();
    expect(failure(store, { type: 'put', request: { key: 'a', ignoreValue: true } })).toEqual(
      MvccErrors.keyNotFound,
    );
    expect(failure(store, { type: 'put', request: { key: 'a', ignoreLease: true } })).toEqual(
      MvccErrors.keyNotFound,
    );
  });

  test('a plain put checks the lease before the key, as etcd does', () => {
    const store = new MvccStore();
    const request = { key: 'a', ignoreValue: true, lease: 9 };
    expect(failure(store, { type: 'put', request })).toEqual(MvccErrors.leaseNotFound);
  });

  test('revoke deletes every attached key in one revision, in key order', () => {
    const store = new MvccStore();
    grant(store, 1);
    put(store, 'b', '1', { lease: 1 });
    put(store, 'a', '1', { lease: 1 });
    put(store, 'c', '1');
    const result = store.apply({ type: 'leaseRevoke', request: { id: 1 } });
    expect(result.ok && result.response.response).toEqual({ header: { revision: 5 } });
    expect(result.events.map((event) => [event.type, event.kv.key, event.kv.modRevision])).toEqual([
      ['DELETE', 'a', 5],
      ['DELETE', 'b', 5],
    ]);
    expect(get(store, 'c')).toBeDefined();
    expect(store.leases()).toEqual([]);
  });

  test('revoking a lease with no keys does not change the revision', () => {
    const store = new MvccStore();
    grant(store, 1);
    const result = store.apply({ type: 'leaseRevoke', request: { id: 1 } });
    expect(result.ok && result.response.response).toEqual({ header: { revision: 1 } });
  });

  test('revoking an unknown lease fails with requested lease not found', () => {
    expect(failure(new MvccStore(), { type: 'leaseRevoke', request: { id: 4 } })).toEqual(
      MvccErrors.leaseNotFound,
    );
  });

  test('a deleted key leaves its lease', () => {
    const store = new MvccStore();
    grant(store, 1);
    put(store, 'a', '1', { lease: 1 });
    store.apply({ type: 'deleteRange', request: { key: 'a' } });
    expect(store.leaseKeys(1)).toEqual([]);
  });
});
