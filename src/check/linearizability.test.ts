import { describe, expect, test } from 'vitest';
import { checkHistory } from './check.js';
import { HistoryError } from './errors.js';
import type { HistoryEvent, ModelName } from './history.js';

/** `p0 invoke write 1` style builders, so each history reads like a Jepsen log. */
const invoke = (process: number, f: string, value: unknown = null, key?: string): HistoryEvent => ({
  process,
  type: 'invoke',
  f,
  value,
  ...(key === undefined ? {} : { key }),
});
const ok = (process: number, f: string, value: unknown = null, key?: string): HistoryEvent => ({
  process,
  type: 'ok',
  f,
  value,
  ...(key === undefined ? {} : { key }),
});
const fail = (process: number, f: string, value: unknown = null): HistoryEvent => ({
  process,
  type: 'fail',
  f,
  value,
});
const info = (process: number, f: string, value: unknown = null): HistoryEvent => ({
  process,
  type: 'info',
  f,
  value,
});

const verdictOf = (history: HistoryEvent[], model: ModelName = 'cas-register') =>
  checkHistory(history, { model }).verdict;

describe('registers', () => {
  test('an empty history is linearizable', () => {
    expect(verdictOf([])).toBe('linearizable');
  });

  test('a read concurrent with a write may return the old or the new value', () => {
    for (const seen of [null, 1])
      expect(
        verdictOf([
          invoke(0, 'write', 1),
          invoke(1, 'read'),
          ok(1, 'read', seen),
          ok(0, 'write', 1),
        ]),
      ).toBe('linearizable');
  });

  test('a stale read after a completed write is not linearizable', () => {
    const result = checkHistory(
      [
        invoke(0, 'write', 1),
        ok(0, 'write', 1),
        invoke(0, 'write', 2),
        ok(0, 'write', 2),
        invoke(1, 'read'),
        ok(1, 'read', 1),
      ],
      { model: 'register' },
    );
    expect(result.verdict).toBe('not linearizable');
    expect(result.violation?.stuck).toMatchObject({ process: 1, f: 'read', result: 1 });
    expect(result.violation?.longestPrefix.map((op) => op.value)).toEqual([1, 2]);
    expect(result.violation?.stateAfterPrefix).toBe('2');
    expect(result.violation?.explanation).toContain('process 1  read -> 1');
  });

  test('a lost write: two concurrent cas from the same value cannot both succeed', () => {
    expect(
      verdictOf([
        invoke(0, 'write', 0),
        ok(0, 'write', 0),
        invoke(1, 'cas', [0, 1]),
        invoke(2, 'cas', [0, 2]),
        ok(1, 'cas', [0, 1]),
        ok(2, 'cas', [0, 2]),
      ]),
    ).toBe('not linearizable');
  });

  test('a failed cas is explained by a concurrent write that changed the value', () => {
    expect(
      verdictOf([
        invoke(0, 'write', 0),
        ok(0, 'write', 0),
        invoke(1, 'cas', [0, 1]),
        invoke(2, 'write', 2),
        fail(1, 'cas', [0, 1]),
        ok(2, 'write', 2),
      ]),
    ).toBe('linearizable');
  });

  test('a failed cas is a violation when the value certainly matched', () => {
    const result = checkHistory(
      [invoke(0, 'write', 0), ok(0, 'write', 0), invoke(1, 'cas', [0, 1]), fail(1, 'cas', [0, 1])],
      { model: 'cas-register' },
    );
    expect(result.verdict).toBe('not linearizable');
    expect(result.violation?.stuck).toMatchObject({ f: 'cas', status: 'fail' });
  });

  test('a failed write did not happen', () => {
    expect(
      verdictOf([invoke(0, 'write', 1), fail(0, 'write', 1), invoke(1, 'read'), ok(1, 'read', 1)]),
    ).toBe('not linearizable');
    expect(
      verdictOf([
        invoke(0, 'write', 1),
        fail(0, 'write', 1),
        invoke(1, 'read'),
        ok(1, 'read', null),
      ]),
    ).toBe('linearizable');
  });

  test('an indeterminate write may take effect long after its client gave up', () => {
    expect(
      verdictOf([
        invoke(0, 'write', 1),
        info(0, 'write', 'timed-out'),
        invoke(1, 'read'),
        ok(1, 'read', null),
        invoke(1, 'read'),
        ok(1, 'read', 1),
      ]),
    ).toBe('linearizable');
  });

  test('an indeterminate write may also never take effect', () => {
    expect(
      verdictOf([invoke(0, 'write', 1), info(0, 'write'), invoke(1, 'read'), ok(1, 'read', null)]),
    ).toBe('linearizable');
  });

  test('an indeterminate write cannot explain a read that completed before it was invoked', () => {
    expect(
      verdictOf([invoke(1, 'read'), ok(1, 'read', 1), invoke(0, 'write', 1), info(0, 'write')]),
    ).toBe('not linearizable');
  });

  test('an invocation that never completes is indeterminate', () => {
    expect(verdictOf([invoke(0, 'write', 3), invoke(1, 'read'), ok(1, 'read', 3)])).toBe(
      'linearizable',
    );
  });

  test('an indeterminate write takes effect at most once', () => {
    expect(
      verdictOf([
        invoke(0, 'write', 1),
        info(0, 'write'),
        invoke(1, 'read'),
        ok(1, 'read', 1),
        invoke(1, 'write', 2),
        ok(1, 'write', 2),
        invoke(1, 'read'),
        ok(1, 'read', 1),
      ]),
    ).toBe('not linearizable');
  });

  test('an indeterminate cas takes effect only if its compare matched', () => {
    const history = (read: number) => [
      invoke(0, 'write', 0),
      ok(0, 'write', 0),
      invoke(1, 'cas', [5, 1]),
      info(1, 'cas'),
      invoke(2, 'read'),
      ok(2, 'read', read),
    ];
    expect(verdictOf(history(0))).toBe('linearizable');
    expect(verdictOf(history(1))).toBe('not linearizable');
  });

  test('values compare by JSON equality', () => {
    expect(
      verdictOf([
        invoke(0, 'write', { b: 1, a: [2] }),
        ok(0, 'write'),
        invoke(0, 'read'),
        ok(0, 'read', { a: [2], b: 1 }),
      ]),
    ).toBe('linearizable');
    expect(
      verdictOf([invoke(0, 'write', 1), ok(0, 'write'), invoke(0, 'read'), ok(0, 'read', '1')]),
    ).toBe('not linearizable');
  });

  test('the register model refuses cas, naming the model that has it', () => {
    expect(() => checkHistory([invoke(0, 'cas', [1, 2])], { model: 'register' })).toThrow(
      /not in the register model.*cas-register/,
    );
  });

  test('operations on different keys are independent registers', () => {
    const result = checkHistory(
      [
        invoke(0, 'write', 1, 'x'),
        ok(0, 'write', 1, 'x'),
        invoke(0, 'read', null, 'y'),
        ok(0, 'read', null, 'y'),
        invoke(0, 'read', null, 'x'),
        ok(0, 'read', 2, 'x'),
      ],
      { model: 'register' },
    );
    expect(result).toMatchObject({ verdict: 'not linearizable', partitions: 2 });
    expect(result.violation?.key).toBe('x');
  });
});

describe('budgets', () => {
  // Ten concurrent writes and then a read of a value nobody wrote: the search must try every
  // subset of the writes before it can say no.
  const history: HistoryEvent[] = [];
  for (let process = 0; process < 10; process++) history.push(invoke(process, 'write', process));
  for (let process = 0; process < 10; process++) history.push(ok(process, 'write', process));
  history.push(invoke(99, 'read'), ok(99, 'read', 42));

  test('past the step budget the verdict is unknown', () => {
    const result = checkHistory(history, { model: 'register', maxSteps: 10 });
    expect(result).toMatchObject({ verdict: 'unknown', exhausted: 'steps' });
  });

  test('past the time budget the verdict is unknown', () => {
    let clockMs = 0;
    const now = () => (clockMs += 10);
    const result = checkHistory(history, { model: 'register', timeoutMs: 50, now });
    expect(result).toMatchObject({ verdict: 'unknown', exhausted: 'time' });
  });

  test('past the memory bound the verdict is unknown, whatever the step budget', () => {
    const result = checkHistory(history, { model: 'register', memoEntriesMax: 50 });
    expect(result).toMatchObject({ verdict: 'unknown', exhausted: 'memory' });
  });

  test('with enough budget the search decides, and uses the same steps every time', () => {
    const first = checkHistory(history, { model: 'register', maxSteps: 1_000_000 });
    const second = checkHistory(history, { model: 'register', maxSteps: 1_000_000 });
    expect(first.verdict).toBe('not linearizable');
    expect(second.steps).toBe(first.steps);
  });
});

describe('kv', () => {
  const kv = (history: HistoryEvent[]) => checkHistory(history, { model: 'kv' });

  test('get, put, delete and cas follow core evaluateKvOp', () => {
    expect(
      kv([
        invoke(0, 'put', 'a', 'k'),
        ok(0, 'put', 'a', 'k'),
        invoke(0, 'cas', ['a', 'b'], 'k'),
        ok(0, 'cas', ['a', 'b'], 'k'),
        invoke(0, 'get', null, 'k'),
        ok(0, 'get', 'b', 'k'),
        invoke(0, 'delete', null, 'k'),
        ok(0, 'delete', null, 'k'),
        invoke(0, 'cas', [null, 'c'], 'k'),
        ok(0, 'cas', [null, 'c'], 'k'),
        invoke(0, 'get', null, 'k'),
        ok(0, 'get', 'c', 'k'),
      ]).verdict,
    ).toBe('linearizable');
  });

  test('two concurrent increments cannot both return 1', () => {
    const result = kv([
      invoke(0, 'inc', 1, 'n'),
      invoke(1, 'inc', 1, 'n'),
      ok(0, 'inc', 1, 'n'),
      ok(1, 'inc', 1, 'n'),
    ]);
    expect(result.verdict).toBe('not linearizable');
    expect(result.violation?.key).toBe('n');
  });

  test('a failed inc (not an integer) did not happen', () => {
    expect(
      kv([
        invoke(0, 'put', 'x', 'n'),
        ok(0, 'put', 'x', 'n'),
        { ...invoke(0, 'inc', 1, 'n') },
        { process: 0, type: 'fail', f: 'inc', key: 'n', value: 1 },
        invoke(0, 'get', null, 'n'),
        ok(0, 'get', 'x', 'n'),
      ]).verdict,
    ).toBe('linearizable');
  });

  test('string appends concatenate, and "" stands for absent on append-only keys (Porcupine)', () => {
    const history = (first: unknown) => [
      invoke(0, 'get', null, 'k'),
      ok(0, 'get', first, 'k'),
      invoke(0, 'append', 'x', 'k'),
      invoke(1, 'append', 'y', 'k'),
      ok(0, 'append', 'x', 'k'),
      ok(1, 'append', 'y', 'k'),
      invoke(0, 'get', null, 'k'),
      ok(0, 'get', 'yx', 'k'),
    ];
    expect(kv(history('')).verdict).toBe('linearizable');
    expect(kv(history(null)).verdict).toBe('linearizable');
    expect(kv(history('x')).verdict).toBe('not linearizable');
  });

  test('non-string appends build a list (Jepsen list-append)', () => {
    const history = (seen: unknown) => [
      invoke(0, 'append', 1, 'l'),
      ok(0, 'append', 1, 'l'),
      invoke(0, 'append', 2, 'l'),
      ok(0, 'append', 2, 'l'),
      invoke(1, 'get', null, 'l'),
      ok(1, 'get', seen, 'l'),
    ];
    expect(kv(history([1, 2])).verdict).toBe('linearizable');
    expect(kv(history([2, 1])).verdict).toBe('not linearizable');
  });

  test('a list key refuses string operations', () => {
    expect(() =>
      kv([invoke(0, 'append', 1, 'l'), ok(0, 'append', 1, 'l'), invoke(0, 'put', 'a', 'l')]),
    ).toThrow(HistoryError);
  });

  test('range reads are checked over the whole store as one partition', () => {
    const history = (entries: unknown) => [
      invoke(0, 'put', '1', 'a'),
      ok(0, 'put', '1', 'a'),
      invoke(1, 'put', '2', 'b'),
      ok(1, 'put', '2', 'b'),
      invoke(2, 'range', { start: 'a', end: 'c' }),
      ok(2, 'range', entries),
    ];
    const good = kv(
      history([
        ['a', '1'],
        ['b', '2'],
      ]),
    );
    expect(good).toMatchObject({ verdict: 'linearizable', partitions: 1 });
    expect(kv(history([['b', '2']])).verdict).toBe('not linearizable');
  });

  test('read and write mean get and put', () => {
    expect(
      kv([
        invoke(0, 'write', 'v', 'k'),
        ok(0, 'write', 'v', 'k'),
        invoke(0, 'read', null, 'k'),
        ok(0, 'read', 'v', 'k'),
      ]).verdict,
    ).toBe('linearizable');
  });

  test('operations that do not fit the model are refused with the event named', () => {
    const error = (() => {
      try {
        kv([invoke(0, 'put', 5, 'k')]);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(HistoryError);
    expect((error as HistoryError).message).toBe('event 1: put needs a string value, got 5');
  });
});

test('a violation found just inside the step budget is still explained', () => {
  const history: HistoryEvent[] = [
    invoke(0, 'write', 1),
    ok(0, 'write', 1),
    invoke(1, 'write', 2),
    invoke(2, 'read'),
    ok(2, 'read', 3),
    ok(1, 'write', 2),
  ];
  const { steps } = checkHistory(history, { model: 'register' });
  const result = checkHistory(history, { model: 'register', maxSteps: steps });
  expect(result.verdict).toBe('not linearizable');
  expect(result.violation?.stuck).toMatchObject({ f: 'read', result: 3 });
});
