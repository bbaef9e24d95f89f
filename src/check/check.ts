import { type ExhaustedBy, SearchBudget } from './budget.js';
import type { History, ModelName, Verdict } from './history.js';
import { type SearchOperation, searchLinearization } from './linearizability.js';
import { type AnyModel, createModel } from './models.js';
import { type Operation, pairEvents, returnPosition } from './operations.js';
import { type OperationView, explainViolation, toOperationView } from './report.js';

export interface CheckOptions {
  readonly model: ModelName;
  /** Wall-clock budget for the whole check (all partitions); no limit when absent. */
  readonly timeoutMs?: number;
  /** Deterministic budget: search steps for the whole check; no limit when absent. */
  readonly maxSteps?: number;
  /** The clock the time budget reads; only for the budget and `ms`, never for the verdict's logic. */
  readonly now?: () => number;
  /** Memory bound: memo entries the search may keep (default MEMO_ENTRIES_MAX); past it, "unknown". */
  readonly memoEntriesMax?: number;
}

export interface Violation {
  /** The key whose partition is not linearizable (kv, or register histories with keys). */
  readonly key?: string;
  /** Human-readable, several lines. */
  readonly explanation: string;
  /** The operations that cannot be linearized: the stuck one and the candidates pending with it. */
  readonly operations: readonly OperationView[];
  /** The one whose completion the search could not get past. */
  readonly stuck: OperationView;
  /** The longest linearizable prefix found, in linearization order. */
  readonly longestPrefix: readonly OperationView[];
  /** The model state after that prefix, rendered. */
  readonly stateAfterPrefix: string;
}

export interface CheckResult {
  readonly verdict: Verdict;
  /** Operations in the history (invocations). */
  readonly operations: number;
  /** How many independent pieces the history was checked as (keys, for the kv model). */
  readonly partitions: number;
  /** Wall-clock time the check took, on the injected clock. */
  readonly ms: number;
  /** Search steps used (deterministic). */
  readonly steps: number;
  /** Why the verdict is unknown. */
  readonly exhausted?: ExhaustedBy;
  readonly violation?: Violation;
}

/** An operation the search needs, with the model's prepared form of it. */
interface PreparedOperation {
  readonly op: Operation;
  readonly prepared: unknown;
}

interface Partition {
  readonly key?: string;
  readonly operations: readonly PreparedOperation[];
}

/**
 * Checks a history for linearizability against a model. Operations on different keys are
 * independent (P-compositionality), so each key is checked on its own, unless the history has
 * `range` reads, which see many keys at once. The verdict is "unknown" when the budget runs out
 * before the search decides.
 */
export function checkHistory(history: History, options: CheckOptions): CheckResult {
  const now = options.now ?? (() => performance.now());
  const startMs = now();
  const budget = new SearchBudget(
    options.maxSteps ?? Infinity,
    options.timeoutMs ?? Infinity,
    now,
    options.memoEntriesMax,
  );
  const operations = pairEvents(history);
  const model = createModel(options.model, operations);
  // Prepare everything first, so a history that does not fit the model is refused as a whole.
  const prepared: PreparedOperation[] = [];
  for (const op of operations) {
    const form: unknown = model.prepare(op);
    if (form !== undefined) prepared.push({ op, prepared: form });
  }
  const partitions = partition(prepared, options.model);
  const base = { operations: operations.length, partitions: partitions.length };
  let unknown = false;
  for (const piece of partitions) {
    const outcome = checkPartition(model, piece, budget);
    if (outcome === 'unknown') {
      unknown = true;
      break;
    }
    if (outcome !== undefined)
      return {
        verdict: 'not linearizable',
        ...base,
        ms: now() - startMs,
        steps: budget.steps,
        violation: outcome,
      };
  }
  const exhausted = budget.exhausted;
  return {
    verdict: unknown ? 'unknown' : 'linearizable',
    ...base,
    ms: now() - startMs,
    steps: budget.steps,
    ...(unknown && exhausted !== undefined ? { exhausted } : {}),
  };
}

function partition(operations: readonly PreparedOperation[], model: ModelName): Partition[] {
  if (model === 'kv' && operations.some(({ op }) => op.f === 'range')) return [{ operations }];
  const byKey = new Map<string | undefined, PreparedOperation[]>();
  for (const item of operations) {
    const group = byKey.get(item.op.key);
    if (group === undefined) byKey.set(item.op.key, [item]);
    else group.push(item);
  }
  return [...byKey].map(([key, group]) =>
    key === undefined ? { operations: group } : { key, operations: group },
  );
}

/** Undefined when linearizable, 'unknown' when the budget ran out, else the violation. */
function checkPartition(
  model: AnyModel,
  piece: Partition,
  budget: SearchBudget,
): Violation | 'unknown' | undefined {
  const kept = piece.operations.map(({ op }) => op);
  const searchOperations: SearchOperation<unknown>[] = piece.operations.map(({ op, prepared }) => ({
    prepared,
    call: op.invokeIndex,
    return: returnPosition(op),
  }));
  const outcome = searchLinearization(model, searchOperations, budget);
  if (outcome.kind === 'linearizable') return undefined;
  if (outcome.kind === 'unknown') return 'unknown';
  const view = (index: number) => toOperationView(kept[index] as Operation);
  const stuck = view(outcome.stuck);
  const operations = [
    stuck,
    ...outcome.candidates.filter((index) => index !== outcome.stuck).map(view),
  ];
  const details = {
    ...(piece.key === undefined ? {} : { key: piece.key }),
    operations,
    stuck,
    longestPrefix: outcome.longestPrefix.map(view),
    stateAfterPrefix: model.render(outcome.stateAfterPrefix) as string,
  };
  return { ...details, explanation: explainViolation(details) };
}
