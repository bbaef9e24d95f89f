import { HistoryError } from './errors.js';
import type { History, HistoryEvent } from './history.js';

/**
 * How an operation ended. `info` covers both an `info` completion and an invocation that never
 * completed: either way it took effect at some instant after its invocation, or never.
 */
export type OperationStatus = 'ok' | 'fail' | 'info';

/** One invocation paired with its completion. */
export interface Operation {
  /** Position in invocation order, from 0. */
  readonly id: number;
  readonly process: number;
  readonly f: string;
  readonly key?: string;
  /** The invocation's value (the argument). */
  readonly input: unknown;
  /** The completion's value (the result), for `ok` operations. */
  readonly output: unknown;
  readonly status: OperationStatus;
  /** Index of the `invoke` event in the history. */
  readonly invokeIndex: number;
  /** Index of the completion event, if there is one (an `info` one included). */
  readonly completeIndex?: number;
  readonly invokeTime?: number;
  readonly completeTime?: number;
}

/**
 * Where the operation's interval ends in real-time order: its completion, or never (Infinity) for an
 * indeterminate one, whose effect may come at any later instant.
 */
export function returnPosition(op: Operation): number {
  return op.status === 'info' ? Infinity : (op.completeIndex as number);
}

/**
 * Pairs each invocation with the completion of the same process. A process runs one operation at a
 * time, and a completion names the same function (and key) as its invocation.
 */
export function pairEvents(history: History): Operation[] {
  const pending = new Map<number, { event: HistoryEvent; index: number; id: number }>();
  const operations: (Operation | undefined)[] = [];
  history.forEach((event, index) => {
    const open = pending.get(event.process);
    if (event.type === 'invoke') {
      if (open !== undefined)
        throw orderError(
          `process ${event.process} invokes ${event.f} while its ${open.event.f} (event ${open.index + 1}) has not completed; a process runs one operation at a time`,
          index,
        );
      pending.set(event.process, { event, index, id: operations.length });
      operations.push(undefined);
      return;
    }
    if (open === undefined)
      throw orderError(
        `process ${event.process} completes ${event.f} (${event.type}) without a pending invocation`,
        index,
      );
    if (open.event.f !== event.f)
      throw orderError(
        `process ${event.process} completes ${event.f} but invoked ${open.event.f} (event ${open.index + 1})`,
        index,
      );
    if (event.key !== undefined && open.event.key !== undefined && event.key !== open.event.key)
      throw orderError(
        `process ${event.process} completes key ${JSON.stringify(event.key)} but invoked key ${JSON.stringify(open.event.key)} (event ${open.index + 1})`,
        index,
      );
    pending.delete(event.process);
    operations[open.id] = toOperation(open.id, open.event, open.index, event, index);
  });
  for (const open of pending.values())
    operations[open.id] = toOperation(open.id, open.event, open.index, undefined, undefined);
  return operations as Operation[];
}

function toOperation(
  id: number,
  invoke: HistoryEvent,
  invokeIndex: number,
  completion: HistoryEvent | undefined,
  completeIndex: number | undefined,
): Operation {
  const status = completion === undefined ? 'info' : completion.type;
  const key = invoke.key ?? completion?.key;
  return {
    id,
    process: invoke.process,
    f: invoke.f,
    ...(key === undefined ? {} : { key }),
    input: invoke.value ?? null,
    output: status === 'ok' ? (completion?.value ?? null) : undefined,
    status: status as OperationStatus,
    invokeIndex,
    ...(completeIndex === undefined ? {} : { completeIndex }),
    ...(invoke.time === undefined ? {} : { invokeTime: invoke.time }),
    ...(completion?.time === undefined ? {} : { completeTime: completion.time }),
  };
}

function orderError(problem: string, eventIndex: number): HistoryError {
  return new HistoryError('HISTORY_ORDER_INVALID', problem, { eventIndex });
}
