import type { History } from '../../../src/check/history.js';
import { type Operation, pairEvents } from '../../../src/check/operations.js';
import type { SimViolation } from '../../../src/sim/index.js';

/**
 * What the checker says about an operation: `stuck` cannot be linearized; `pending` were pending
 * with it and cannot go first either; `prefix` is in the longest linearizable prefix; `source`
 * wrote the value the stuck read returned (the write it conflicts with).
 */
export type OperationMark = 'stuck' | 'pending' | 'prefix' | 'source';

export interface HistoryOperation {
  /** Index of the invoke event in the client history: unique, and what the checker names. */
  readonly invokeIndex: number;
  readonly process: number;
  /** `put "k2" "85" → ok`, `get "k2" → "90"`. */
  readonly text: string;
  readonly status: Operation['status'];
  readonly invokeUs: number;
  /** Undefined when it never completed. */
  readonly completeUs: number | undefined;
  readonly mark: OperationMark | undefined;
}

/** The client history around a linearizability violation, per process, for the history panel. */
export interface ViolationHistory {
  /** The key the violation is on; only its operations are shown. */
  readonly key: string | undefined;
  readonly processes: readonly number[];
  /** Operations that overlap [fromUs, toUs], by invocation. */
  readonly operations: readonly HistoryOperation[];
  readonly fromUs: number;
  readonly toUs: number;
  readonly explanation: string;
}

/** How many of the prefix's last operations set the window (the explanation shows as many). */
const PREFIX_WINDOW = 8;

interface NamedOperation {
  readonly invokeIndex: number;
}

/** The parts of the checker's `Violation` (src/check/check.ts) the panel needs, validated. */
interface CheckerReport {
  readonly key: string | undefined;
  readonly stuck: NamedOperation;
  readonly operations: readonly NamedOperation[];
  readonly longestPrefix: readonly NamedOperation[];
}

function isNamed(value: unknown): value is NamedOperation {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { invokeIndex?: unknown }).invokeIndex === 'number'
  );
}

/** The checker's report from a violation's details; undefined when it is not one. */
export function checkerReport(details: unknown): CheckerReport | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const record = details as Record<string, unknown>;
  const { stuck, operations, longestPrefix, key } = record;
  if (!isNamed(stuck)) return undefined;
  if (!Array.isArray(operations) || !operations.every(isNamed)) return undefined;
  if (!Array.isArray(longestPrefix) || !longestPrefix.every(isNamed)) return undefined;
  return {
    key: typeof key === 'string' ? key : undefined,
    stuck,
    operations,
    longestPrefix,
  };
}

function json(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 24 ? `${text.slice(0, 21)}...` : text;
}

/** As the checker's report words it: a read shows what it returned, a write only "ok". */
export function operationText(op: Operation): string {
  const key = op.key === undefined ? '' : ` ${json(op.key)}`;
  const argument = op.input === null || op.input === undefined ? '' : ` ${json(op.input)}`;
  const read = op.f === 'get' || op.f === 'read';
  const outcome =
    op.status === 'fail'
      ? 'fail'
      : op.status === 'info'
        ? '?'
        : read
          ? json(op.output ?? null)
          : op.output === null || op.output === undefined || sameValue(op.output, op.input)
            ? 'ok'
            : json(op.output);
  return `${op.f}${key}${argument} → ${outcome}`;
}

/** KV values are strings and `inc` returns a number: "90" and 90 are the same value here. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a === 'object' || typeof b === 'object')
    return JSON.stringify(a) === JSON.stringify(b);
  return String(a) === String(b);
}

/** Did `op` leave `value` in its key: a put of it, or an inc or cas that returned it? */
function wrote(op: Operation, value: unknown): boolean {
  if (op.status === 'fail') return false;
  if (op.f === 'put' || op.f === 'write') return sameValue(op.input, value);
  if (op.f === 'inc' || op.f === 'append') return op.status === 'ok' && sameValue(op.output, value);
  return false;
}

/**
 * The per-process view of a linearizability violation: the operations on its key around the
 * stuck one, each marked with what the checker says of it. Undefined for other violations, or when
 * the details are not the checker's report (a trace from another version).
 */
export function violationHistory(
  history: History,
  violation: SimViolation | undefined,
): ViolationHistory | undefined {
  if (violation?.kind !== 'linearizability') return undefined;
  const report = checkerReport(violation.details);
  if (report === undefined) return undefined;
  const all = pairEvents(history).filter((op) => report.key === undefined || op.key === report.key);
  const byIndex = new Map(all.map((op) => [op.invokeIndex, op]));
  const marks = new Map<number, OperationMark>();
  for (const op of report.longestPrefix) marks.set(op.invokeIndex, 'prefix');
  const stuck = byIndex.get(report.stuck.invokeIndex);
  if (stuck?.status === 'ok' && (stuck.f === 'get' || stuck.f === 'read'))
    for (const op of all) if (wrote(op, stuck.output)) marks.set(op.invokeIndex, 'source');
  for (const op of report.operations) marks.set(op.invokeIndex, 'pending');
  marks.set(report.stuck.invokeIndex, 'stuck');

  const named = [
    ...report.longestPrefix.slice(-PREFIX_WINDOW),
    ...report.operations,
    report.stuck,
  ].flatMap((op) => byIndex.get(op.invokeIndex) ?? []);
  const endOf = (op: Operation): number => op.completeTime ?? op.invokeTime ?? 0;
  const from = Math.min(...named.map((op) => op.invokeTime ?? 0));
  const to = Math.max(...named.map(endOf));
  const pad = Math.max(1, (to - from) * 0.05);
  const fromUs = Math.max(0, from - pad);
  const toUs = to + pad;
  const operations = all
    .filter((op) => (op.invokeTime ?? 0) <= toUs && (op.completeTime ?? Infinity) >= fromUs)
    .map((op): HistoryOperation => ({
      invokeIndex: op.invokeIndex,
      process: op.process,
      text: operationText(op),
      status: op.status,
      invokeUs: op.invokeTime ?? 0,
      completeUs: op.completeTime,
      mark: marks.get(op.invokeIndex),
    }));
  const processes = [...new Set(operations.map((op) => op.process))].sort((a, b) => a - b);
  return {
    key: report.key,
    processes,
    operations,
    fromUs,
    toUs,
    explanation: violation.message,
  };
}

/**
 * Log positions an invariant's message names ("at index 7", "lacks entry 12"): the visualizer
 * rings those log cells on the nodes the violation names.
 */
export function namedLogIndexes(violation: SimViolation | undefined): ReadonlySet<number> {
  const indexes = new Set<number>();
  if (violation?.kind !== 'invariant') return indexes;
  for (const match of violation.message.matchAll(/\b(?:index|entry) (\d+)\b/g))
    indexes.add(Number(match[1]));
  return indexes;
}
