import type { History, ModelName } from './history.js';
import { createModel } from './models.js';
import { type Operation, pairEvents, returnPosition } from './operations.js';

/** Histories with more operations than this are refused: the search is factorial. */
export const BRUTE_FORCE_OPERATIONS_MAX = 12;

/**
 * The definition of linearizability, checked by exhaustion, as a reference for the fast checker:
 * some order of the operations that respects real time (an operation that completed before another
 * was invoked comes first) is a legal sequential run of the model, with each indeterminate
 * operation either placed somewhere after its invocation or left out. No partitioning, no memo.
 */
export function isLinearizableByBruteForce(history: History, modelName: ModelName): boolean {
  const operations = pairEvents(history);
  const model = createModel(modelName, operations);
  // Partitions are a correctness claim of the fast checker; here the kv model sees the whole store.
  const kept: { op: Operation; prepared: unknown }[] = [];
  for (const op of operations) {
    const prepared: unknown = model.prepare(op);
    if (prepared !== undefined) kept.push({ op, prepared });
  }
  if (kept.length > BRUTE_FORCE_OPERATIONS_MAX)
    throw new RangeError(`brute force handles at most ${BRUTE_FORCE_OPERATIONS_MAX} operations`);
  const done = new Array<boolean>(kept.length).fill(false);

  const extend = (state: unknown): boolean => {
    if (kept.every(({ op }, index) => done[index] || op.status === 'info')) return true;
    for (let index = 0; index < kept.length; index++) {
      if (done[index]) continue;
      const candidate = kept[index] as { op: Operation; prepared: unknown };
      // Real-time order: every operation that completed before this one was invoked must be done.
      const blocked = kept.some(
        ({ op }, other) => !done[other] && returnPosition(op) < candidate.op.invokeIndex,
      );
      if (blocked) continue;
      const next: unknown = model.step(state, candidate.prepared);
      if (next === undefined) continue;
      done[index] = true;
      const found = extend(next);
      done[index] = false;
      if (found) return true;
    }
    return false;
  };
  return extend(model.initial());
}
