import { canonicalJson } from './canonical-json.js';
import type { Operation, OperationStatus } from './operations.js';

/** An operation as reports, `--json` output and the visualizer show it. */
export interface OperationView {
  readonly process: number;
  readonly f: string;
  readonly key?: string;
  /** The invocation's value. */
  readonly value: unknown;
  /** The completion's value, for `ok` operations. */
  readonly result?: unknown;
  readonly status: OperationStatus;
  /** 0-based index of the invoke event in the history. */
  readonly invokeIndex: number;
  /** 0-based index of the completion event; absent when the operation never completed. */
  readonly completeIndex?: number;
  readonly invokeTime?: number;
  readonly completeTime?: number;
}

export function toOperationView(op: Operation): OperationView {
  return {
    process: op.process,
    f: op.f,
    ...(op.key === undefined ? {} : { key: op.key }),
    value: op.input,
    ...(op.status === 'ok' ? { result: op.output } : {}),
    status: op.status,
    invokeIndex: op.invokeIndex,
    ...(op.completeIndex === undefined ? {} : { completeIndex: op.completeIndex }),
    ...(op.invokeTime === undefined ? {} : { invokeTime: op.invokeTime }),
    ...(op.completeTime === undefined ? {} : { completeTime: op.completeTime }),
  };
}

/**
 * One line per operation: `process 3  cas [1,3] -> fail   events 12..15  (t 120..135)`. The
 * interval is the event numbers (1-based, as in the file), and the times when the history has them.
 */
export function renderOperation(op: OperationView): string {
  const key = op.key === undefined ? '' : ` ${JSON.stringify(op.key)}`;
  const argument = op.value === null ? '' : ` ${compact(op.value)}`;
  const outcome =
    op.status === 'ok'
      ? op.result === null || op.result === undefined || sameValue(op.result, op.value)
        ? op.f === 'read' || op.f === 'get'
          ? ` -> ${compact(op.result)}`
          : ' -> ok'
        : ` -> ${compact(op.result)}`
      : op.status === 'fail'
        ? ' -> fail'
        : ' -> ? (indeterminate)';
  const end = op.completeIndex === undefined ? 'never' : String(op.completeIndex + 1);
  const interval =
    op.status === 'info'
      ? `events ${op.invokeIndex + 1}..`
      : `events ${op.invokeIndex + 1}..${end}`;
  const times =
    op.invokeTime === undefined
      ? ''
      : `  (t ${op.invokeTime}..${op.status === 'info' ? '' : (op.completeTime ?? '')})`;
  return `process ${op.process}  ${op.f}${key}${argument}${outcome}   ${interval}${times}`;
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function compact(value: unknown): string {
  const text = canonicalJson(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** How many operations of the prefix the text shows (all of them are in the structured form). */
const PREFIX_SHOWN_MAX = 8;

/** The human explanation of a violation, several lines, no trailing newline. */
export function explainViolation(violation: {
  readonly key?: string;
  readonly longestPrefix: readonly OperationView[];
  readonly stateAfterPrefix: string;
  readonly stuck: OperationView;
  readonly operations: readonly OperationView[];
}): string {
  const lines: string[] = [];
  const where = violation.key === undefined ? '' : ` on key ${JSON.stringify(violation.key)}`;
  const prefix = violation.longestPrefix;
  lines.push(
    `The longest linearizable prefix${where} has ${prefix.length} operation${prefix.length === 1 ? '' : 's'}${prefix.length === 0 ? '' : ', ending with'}:`,
  );
  const shown = prefix.slice(-PREFIX_SHOWN_MAX);
  if (prefix.length > shown.length) lines.push(`  ... ${prefix.length - shown.length} earlier`);
  for (const op of shown) lines.push(`  ${renderOperation(op)}`);
  lines.push(`after which the state is ${violation.stateAfterPrefix}.`);
  lines.push('Then this operation cannot be linearized:');
  lines.push(`  ${renderOperation(violation.stuck)}`);
  const others = violation.operations.filter((op) => op !== violation.stuck);
  if (others.length > 0) {
    lines.push('nor can any of the operations pending with it go first:');
    for (const op of others) lines.push(`  ${renderOperation(op)}`);
  }
  lines.push(
    'The search is exhaustive: no other order of the earlier operations (indeterminate ones placed anywhere or left out) gets past it either.',
  );
  return lines.join('\n');
}
