import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MvccErrors } from './errors.js';
import { MvccStore } from './store.js';
import type { RequestOp, TxnRequest } from './types.js';
import {
  validateCommand,
  validateDeleteRangeRequest,
  validatePutRequest,
  validateRangeRequest,
  validateTxnRequest,
} from './validate.js';

const put = (key: string): RequestOp => ({ requestPut: { key, value: 'v' } });
const del = (key: string, rangeEnd?: string): RequestOp => ({
  requestDeleteRange: { key, rangeEnd },
});
const read = (key: string): RequestOp => ({ requestRange: { key } });
const nested = (success: RequestOp[], failure: RequestOp[] = []): RequestOp => ({
  requestTxn: { success, failure },
});

describe('validation before proposing, with etcd messages', () => {
  test('exact etcd messages and gRPC codes', () => {
    expect(MvccErrors.tooManyOps).toEqual({
      code: 'InvalidArgument',
      message: 'etcdserver: too many operations in txn request',
    });
    expect(MvccErrors.duplicateKey.message).toBe('etcdserver: duplicate key given in txn request');
    expect(MvccErrors.compacted).toEqual({
      code: 'OutOfRange',
      message: 'etcdserver: mvcc: required revision has been compacted',
    });
    expect(MvccErrors.futureRevision.message).toBe(
      'etcdserver: mvcc: required revision is a future revision',
    );
    expect(MvccErrors.leaseNotFound).toEqual({
      code: 'NotFound',
      message: 'etcdserver: requested lease not found',
    });
    expect(MvccErrors.emptyKey.message).toBe('etcdserver: key is not provided');
  });

  test('an empty key is refused by range, put, delete and compare', () => {
    expect(validateRangeRequest({ key: '' })).toEqual(MvccErrors.emptyKey);
    expect(validateRangeRequest({})).toEqual(MvccErrors.emptyKey);
    expect(validatePutRequest({ key: '', value: 'x' })).toEqual(MvccErrors.emptyKey);
    expect(validateDeleteRangeRequest({ key: '', rangeEnd: '\0' })).toEqual(MvccErrors.emptyKey);
    expect(
      validateTxnRequest({ compare: [{ key: '', target: 'VERSION', result: 'EQUAL' }] }),
    ).toEqual(MvccErrors.emptyKey);
  });

  test('ignoreValue with a value, ignoreLease with a lease', () => {
    expect(validatePutRequest({ key: 'a', value: 'x', ignoreValue: true })).toEqual(
      MvccErrors.valueProvided,
    );
    expect(validatePutRequest({ key: 'a', lease: 3, ignoreLease: true })).toEqual(
      MvccErrors.leaseProvided,
    );
    expect(validatePutRequest({ key: 'a', ignoreValue: true, ignoreLease: true })).toBeUndefined();
  });

  test('the 128-op limit: compares, and ops per branch', () => {
    const ops = (count: number) => Array.from({ length: count }, (_, index) => put(`k${index}`));
    expect(validateTxnRequest({ success: ops(128) })).toBeUndefined();
    expect(validateTxnRequest({ success: ops(129) })).toEqual(MvccErrors.tooManyOps);
    expect(validateTxnRequest({ success: ops(128), failure: ops(128) })).toBeUndefined();
    expect(validateTxnRequest({ failure: ops(129) })).toEqual(MvccErrors.tooManyOps);
    const compares = Array.from(
      { length: 129 },
      () => ({ key: 'a', target: 'VERSION', result: 'EQUAL' }) as const,
    );
    expect(validateTxnRequest({ compare: compares })).toEqual(MvccErrors.tooManyOps);
    expect(validateTxnRequest({ success: ops(3) }, 2)).toEqual(MvccErrors.tooManyOps);
  });

  test('a nested txn gets the ops its parent left', () => {
    const ops = (count: number, prefix: string) =>
      Array.from({ length: count }, (_, index) => read(`${prefix}${index}`));
    // The parent uses 100, so the nested txn may have at most 28.
    const parent = (nestedOps: number): TxnRequest => ({
      success: [...ops(99, 'p'), nested(ops(nestedOps, 'n'))],
    });
    expect(validateTxnRequest(parent(28))).toBeUndefined();
    expect(validateTxnRequest(parent(29))).toEqual(MvccErrors.tooManyOps);
  });

  test('an empty RequestOp is "key not found", as in etcd', () => {
    expect(validateTxnRequest({ success: [{}] })).toEqual(MvccErrors.keyNotFound);
  });

  test('duplicate keys: put twice, put inside a delete range, across nested txns', () => {
    expect(validateTxnRequest({ success: [put('a'), put('a')] })).toEqual(MvccErrors.duplicateKey);
    expect(validateTxnRequest({ success: [del('a', 'c'), put('b')] })).toEqual(
      MvccErrors.duplicateKey,
    );
    expect(validateTxnRequest({ success: [put('b'), del('a', 'c')] })).toEqual(
      MvccErrors.duplicateKey,
    );
    expect(validateTxnRequest({ success: [del('b'), put('b')] })).toEqual(MvccErrors.duplicateKey);
    expect(validateTxnRequest({ success: [put('a'), nested([put('a')])] })).toEqual(
      MvccErrors.duplicateKey,
    );
    expect(validateTxnRequest({ success: [del('a', 'z'), nested([put('k')])] })).toEqual(
      MvccErrors.duplicateKey,
    );
    expect(validateTxnRequest({ success: [nested([del('a', 'z')]), put('k')] })).toEqual(
      MvccErrors.duplicateKey,
    );
    expect(validateTxnRequest({ failure: [put('x'), put('x')] })).toEqual(MvccErrors.duplicateKey);
  });

  test('not duplicates: two deletes, reads, different branches, then and else of one nested txn', () => {
    expect(validateTxnRequest({ success: [del('a', 'z'), del('b')] })).toBeUndefined();
    expect(validateTxnRequest({ success: [put('a'), read('a')] })).toBeUndefined();
    expect(validateTxnRequest({ success: [put('a')], failure: [put('a')] })).toBeUndefined();
    expect(validateTxnRequest({ success: [nested([put('a')], [put('a')])] })).toBeUndefined();
    expect(validateTxnRequest({ success: [del('a', 'c'), put('c')] })).toBeUndefined();
    // etcd's quirk, kept: a from-key delete ('\0') is an empty interval to the duplicate check.
    expect(validateTxnRequest({ success: [del('a', '\0'), put('b')] })).toBeUndefined();
  });

  test('the duplicate check runs after the size checks, as in etcd', () => {
    const request = { success: [put('a'), put('a'), { requestPut: { key: '' } }] };
    expect(validateTxnRequest(request)).toEqual(MvccErrors.emptyKey);
  });

  test('apply validates too: a malformed command fails and changes nothing', () => {
    const store = new MvccStore();
    const result = store.apply({ type: 'txn', request: { success: [put('a'), put('a')] } });
    expect(result).toEqual({ ok: false, error: MvccErrors.duplicateKey, events: [] });
    expect(store.currentRevision).toBe(1);
  });

  test('shape errors: wrong types are InvalidArgument, never a throw', () => {
    expect(validateCommand({ type: 'put', request: { key: 5 } })?.code).toBe('InvalidArgument');
    expect(validateCommand({ type: 'put', request: { key: 'a', value: '\u0100' } })?.code).toBe(
      'InvalidArgument',
    );
    expect(validateCommand({ type: 'range', request: { key: 'a', limit: 1.5 } })?.code).toBe(
      'InvalidArgument',
    );
    expect(validateCommand({ type: 'nope' })?.code).toBe('InvalidArgument');
    expect(validateCommand(undefined)?.code).toBe('InvalidArgument');
    expect(validateCommand({ type: 'txn', request: { success: 'x' } })?.code).toBe(
      'InvalidArgument',
    );
    expect(
      validateCommand({
        type: 'txn',
        request: { success: [{ requestPut: { key: 'a' }, requestRange: { key: 'a' } }] },
      })?.code,
    ).toBe('InvalidArgument');
  });

  test('property: apply never throws on any JSON input, and a refused command changes nothing', () => {
    const store = new MvccStore();
    const keyish = fc.oneof(fc.constantFrom('a', 'b', '', '\0', '\xff'), fc.string(), fc.integer());
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        keyish,
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(
          fc.constantFrom(
            'key',
            'value',
            'rangeEnd',
            'success',
            'failure',
            'compare',
            'requestPut',
            'requestTxn',
            'requestRange',
            'requestDeleteRange',
            'target',
            'result',
            'lease',
            'revision',
            'id',
            'ttl',
          ),
          tie('value'),
          { maxKeys: 4 },
        ),
      ),
    })).value;
    const command = fc.record({
      type: fc.constantFrom(
        'range',
        'put',
        'deleteRange',
        'txn',
        'compaction',
        'leaseGrant',
        'leaseRevoke',
        'x',
      ),
      request: json,
    });
    fc.assert(
      fc.property(command, (candidate) => {
        const before = store.currentRevision;
        const result = store.apply(candidate as never);
        if (!result.ok) expect(store.currentRevision).toBe(before);
      }),
      { numRuns: 2000 },
    );
  });
});
