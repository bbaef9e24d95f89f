import { describe, expect, it } from 'vitest';
import { KvStateMachine, evaluateKvOp, keysOf, validateKvOp } from './kv.js';

describe('KvStateMachine', () => {
  it('puts, gets and deletes, reporting the previous value', () => {
    const kv = new KvStateMachine();
    expect(kv.apply({ f: 'get', key: 'a' })).toEqual({ f: 'get', value: null });
    expect(kv.apply({ f: 'put', key: 'a', value: '1' })).toEqual({ f: 'put', previous: null });
    expect(kv.apply({ f: 'put', key: 'a', value: '2' })).toEqual({ f: 'put', previous: '1' });
    expect(kv.apply({ f: 'delete', key: 'a' })).toEqual({ f: 'delete', previous: '2' });
    expect(kv.apply({ f: 'get', key: 'a' })).toEqual({ f: 'get', value: null });
  });

  it('compares and sets only when the current value matches, null meaning absent', () => {
    const kv = new KvStateMachine();
    expect(kv.apply({ f: 'cas', key: 'x', expected: '1', value: '2' })).toEqual({
      f: 'cas',
      succeeded: false,
      current: null,
    });
    expect(kv.apply({ f: 'cas', key: 'x', expected: null, value: '1' }).f).toBe('cas');
    expect(kv.get('x')).toBe('1');
    expect(kv.apply({ f: 'cas', key: 'x', expected: '1', value: '5' })).toEqual({
      f: 'cas',
      succeeded: true,
      current: '5',
    });
  });

  it('increments decimal integers, a missing key counting as 0, and refuses non-integers', () => {
    const kv = new KvStateMachine();
    expect(kv.apply({ f: 'inc', key: 'i', delta: 3 })).toEqual({ f: 'inc', value: 3 });
    expect(kv.apply({ f: 'inc', key: 'i', delta: -5 })).toEqual({ f: 'inc', value: -2 });
    kv.apply({ f: 'put', key: 's', value: 'abc' });
    expect(kv.apply({ f: 'inc', key: 's', delta: 1 })).toEqual({
      f: 'inc',
      value: null,
      error: 'not-an-integer',
    });
    expect(kv.get('s')).toBe('abc');
  });

  it('ranges over [start, end) in key order with a limit', () => {
    const kv = new KvStateMachine();
    for (const key of ['d', 'a', 'c', 'b']) kv.apply({ f: 'put', key, value: key.toUpperCase() });
    expect(evaluateKvOp(kv, { f: 'range', start: 'b', end: 'd' }).result).toEqual({
      f: 'range',
      entries: [
        ['b', 'B'],
        ['c', 'C'],
      ],
    });
    expect(kv.apply({ f: 'range', start: 'a', limit: 1 })).toEqual({
      f: 'range',
      entries: [['a', 'A']],
    });
  });

  it('snapshots and restores the same state', () => {
    const kv = new KvStateMachine();
    kv.apply({ f: 'put', key: 'k', value: 'v' });
    kv.apply({ f: 'put', key: 'j', value: 'w' });
    const copy = new KvStateMachine();
    copy.restore(kv.snapshot());
    expect(copy.snapshot()).toEqual([
      ['j', 'w'],
      ['k', 'v'],
    ]);
  });

  it('a delete of a missing key writes nothing', () => {
    expect(evaluateKvOp(new Map(), { f: 'delete', key: 'gone' }).writes).toEqual([]);
  });
});

describe('validateKvOp', () => {
  it('accepts well-formed operations and names what is wrong with others', () => {
    expect(validateKvOp({ f: 'put', key: 'a', value: 'b' })).toBeUndefined();
    expect(validateKvOp({ f: 'cas', key: 'a', expected: null, value: 'b' })).toBeUndefined();
    expect(validateKvOp({ f: 'put', key: 'a' })).toMatch(/value/);
    expect(validateKvOp({ f: 'inc', key: 'a', delta: 1.5 })).toMatch(/integer/);
    expect(validateKvOp({ f: 'frobnicate' })).toMatch(/unknown operation/);
    expect(validateKvOp(null)).toMatch(/object/);
  });

  it('names the keys an operation touches, none for a range', () => {
    expect(keysOf({ f: 'get', key: 'a' })).toEqual(['a']);
    expect(keysOf({ f: 'range', start: 'a' })).toBeUndefined();
  });
});
