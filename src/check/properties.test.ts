import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isLinearizableByBruteForce } from './brute-force.js';
import { checkHistory } from './check.js';
import type { HistoryEvent } from './history.js';
import { generateLinearizableHistory, generateRandomHistory } from './history-generator.js';

const seed = fc.integer({ min: 0, max: 2 ** 31 });

describe('histories of real executions are linearizable', () => {
  test('a sequential execution (one client)', () => {
    fc.assert(
      fc.property(seed, fc.constantFrom('register' as const, 'kv' as const), (value, kind) => {
        const history = generateLinearizableHistory({
          seed: value,
          operations: 60,
          processes: 1,
          kind,
          infoProbability: 0,
        });
        expect(
          checkHistory(history, { model: kind === 'kv' ? 'kv' : 'cas-register' }).verdict,
        ).toBe('linearizable');
      }),
      { numRuns: 200 },
    );
  });

  test('a concurrent execution, with timeouts, around true linearization points', () => {
    fc.assert(
      fc.property(
        seed,
        fc.constantFrom('register' as const, 'kv' as const),
        fc.integer({ min: 2, max: 8 }),
        fc.boolean(),
        (value, kind, processes, ranges) => {
          const history = generateLinearizableHistory({
            seed: value,
            operations: 80,
            processes,
            kind,
            ranges,
            infoProbability: 0.05,
          });
          const result = checkHistory(history, { model: kind === 'kv' ? 'kv' : 'cas-register' });
          expect(result.verdict).toBe('linearizable');
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Replaces the result of the `which`-th successful read with a value no one ever wrote. */
function corruptRead(
  history: readonly HistoryEvent[],
  which: number,
  never: unknown,
): HistoryEvent[] | undefined {
  const reads = history.flatMap((event, index) =>
    event.type === 'ok' && (event.f === 'read' || event.f === 'get') ? [index] : [],
  );
  if (reads.length === 0) return undefined;
  const target = reads[which % reads.length] as number;
  return history.map((event, index) => (index === target ? { ...event, value: never } : event));
}

test('a read of a value never written is never linearizable', () => {
  fc.assert(
    fc.property(
      seed,
      fc.nat(),
      fc.constantFrom('register' as const, 'kv' as const),
      (value, which, kind) => {
        const history = generateLinearizableHistory({
          seed: value,
          operations: 60,
          processes: 4,
          kind,
          infoProbability: 0.05,
        });
        const corrupted = corruptRead(history, which, kind === 'kv' ? 'never-written' : 99);
        if (corrupted === undefined) return;
        const result = checkHistory(corrupted, { model: kind === 'kv' ? 'kv' : 'cas-register' });
        expect(result.verdict).toBe('not linearizable');
        expect(result.violation?.explanation).toContain('cannot be linearized');
      },
    ),
    { numRuns: 300 },
  );
});

test('the checker agrees with the brute-force definition on small random histories', () => {
  let linearizable = 0;
  let runs = 0;
  fc.assert(
    fc.property(
      seed,
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom('register' as const, 'kv' as const),
      (value, operations, processes, kind) => {
        const history = generateRandomHistory({ seed: value, operations, processes, kind });
        const model = kind === 'kv' ? 'kv' : 'cas-register';
        const expected = isLinearizableByBruteForce(history, model);
        const verdict = checkHistory(history, { model }).verdict;
        runs++;
        if (expected) linearizable++;
        expect(verdict).toBe(expected ? 'linearizable' : 'not linearizable');
      },
    ),
    { numRuns: 10_000 },
  );
  // The generator must produce both kinds, or the comparison proves little.
  expect(linearizable).toBeGreaterThan(runs / 10);
  expect(linearizable).toBeLessThan(runs - runs / 10);
});

test('the checker agrees with brute force on small concurrent executions with one read changed', () => {
  fc.assert(
    fc.property(
      seed,
      fc.integer({ min: 2, max: 6 }),
      fc.constantFrom('register' as const, 'kv' as const),
      fc.nat(),
      fc.integer({ min: 0, max: 4 }),
      (value, processes, kind, which, replacement) => {
        const history = generateLinearizableHistory({
          seed: value,
          operations: 9,
          processes,
          kind,
          keys: ['x'],
          infoProbability: 0.15,
        });
        const changed =
          corruptRead(history, which, kind === 'kv' ? String(replacement) : replacement) ?? history;
        const model = kind === 'kv' ? 'kv' : 'cas-register';
        const expected = isLinearizableByBruteForce(changed, model);
        expect(checkHistory(changed, { model }).verdict).toBe(
          expected ? 'linearizable' : 'not linearizable',
        );
      },
    ),
    { numRuns: 3000 },
  );
});
