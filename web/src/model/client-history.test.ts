import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../../src/check/check.js';
import type { History } from '../../../src/check/history.js';
import type { SimViolation } from '../../../src/sim/index.js';
import { namedLogIndexes, operationText, violationHistory } from './client-history.js';
import { pairEvents } from '../../../src/check/operations.js';

/** A stale read: p2 reads "1" after "2" was written and acknowledged; p3 works on another key. */
const STALE_READ: History = [
  { process: 0, type: 'invoke', f: 'put', key: 'x', value: '1', time: 0 },
  { process: 0, type: 'ok', f: 'put', key: 'x', value: '1', time: 10 },
  { process: 3, type: 'invoke', f: 'put', key: 'y', value: '7', time: 12 },
  { process: 1, type: 'invoke', f: 'put', key: 'x', value: '2', time: 20 },
  { process: 1, type: 'ok', f: 'put', key: 'x', value: '2', time: 30 },
  { process: 3, type: 'ok', f: 'put', key: 'y', value: '7', time: 35 },
  { process: 2, type: 'invoke', f: 'get', key: 'x', value: null, time: 40 },
  { process: 2, type: 'ok', f: 'get', key: 'x', value: '1', time: 50 },
];

/** The violation as the simulator reports it: the checker's own report in `details`. */
function linearizabilityViolation(history: History): SimViolation {
  const result = checkHistory(history, { model: 'kv' });
  expect(result.verdict).toBe('not linearizable');
  return {
    kind: 'linearizability',
    message: result.violation!.explanation,
    atUs: 60,
    details: result.violation,
  };
}

describe('violationHistory', () => {
  it('marks the operation that cannot be linearized, the write it read and the prefix', () => {
    const view = violationHistory(STALE_READ, linearizabilityViolation(STALE_READ))!;
    expect(view.key).toBe('x');
    expect(view.processes).toEqual([0, 1, 2]); // not p3: another key
    const marks = Object.fromEntries(view.operations.map((op) => [op.text, op.mark]));
    expect(marks).toEqual({
      'put "x" "1" → ok': 'source',
      'put "x" "2" → ok': 'prefix',
      'get "x" → "1"': 'stuck',
    });
    const stuck = view.operations.find((op) => op.mark === 'stuck')!;
    expect(stuck).toMatchObject({ process: 2, invokeUs: 40, completeUs: 50, invokeIndex: 6 });
    expect(view.fromUs).toBeLessThanOrEqual(0);
    expect(view.toUs).toBeGreaterThanOrEqual(50);
    expect(view.explanation).toContain('cannot be linearized');
  });

  it('takes an inc that returned the value read as its source, "90" and 90 alike', () => {
    const history: History = [
      { process: 0, type: 'invoke', f: 'inc', key: 'c', value: 1, time: 0 },
      { process: 0, type: 'ok', f: 'inc', key: 'c', value: 1, time: 5 },
      { process: 1, type: 'invoke', f: 'inc', key: 'c', value: 1, time: 10 },
      { process: 1, type: 'ok', f: 'inc', key: 'c', value: 2, time: 15 },
      { process: 2, type: 'invoke', f: 'get', key: 'c', value: null, time: 20 },
      { process: 2, type: 'ok', f: 'get', key: 'c', value: '1', time: 25 },
    ];
    const view = violationHistory(history, linearizabilityViolation(history))!;
    const source = view.operations.filter((op) => op.mark === 'source');
    expect(source.map((op) => op.process)).toEqual([0]);
  });

  it('shows nothing for an invariant violation or a report it cannot read', () => {
    const invariant: SimViolation = { kind: 'invariant', message: 'two leaders', atUs: 1 };
    expect(violationHistory(STALE_READ, invariant)).toBeUndefined();
    expect(violationHistory(STALE_READ, undefined)).toBeUndefined();
    const foreign: SimViolation = {
      kind: 'linearizability',
      message: 'not linearizable',
      atUs: 1,
      details: { stuck: { index: 3 } },
    };
    expect(violationHistory(STALE_READ, foreign)).toBeUndefined();
  });
});

describe('operationText', () => {
  it('reads like the checker: function, key, argument and outcome', () => {
    const [put, , , get] = pairEvents(STALE_READ);
    expect(operationText(put!)).toBe('put "x" "1" → ok');
    expect(operationText(get!)).toBe('get "x" → "1"');
  });
});

describe('namedLogIndexes', () => {
  it('reads the log positions an invariant names', () => {
    const violation: SimViolation = {
      kind: 'invariant',
      invariant: 'leader-completeness',
      message: 'leader 0 of term 9 lacks entry 11 (term 1), committed by term 8; also at index 4',
      atUs: 1,
    };
    expect([...namedLogIndexes(violation)]).toEqual([11, 4]);
    expect(namedLogIndexes({ ...violation, kind: 'linearizability' }).size).toBe(0);
  });
});
