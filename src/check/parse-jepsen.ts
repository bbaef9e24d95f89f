import {
  EdnKeyword,
  EdnMap,
  EdnSyntaxError,
  type EdnValue,
  ednToJson,
  readAllEdn,
  readEdn,
} from './edn.js';
import { HistoryError } from './errors.js';
import { describe, toHistoryEvent } from './event-validation.js';
import type { HistoryEvent } from './history.js';
import type { ParsedEvents } from './parse-json.js';
import { LineCounter, lineAt } from './text-lines.js';

/**
 * An operation line of a Jepsen console log, old style (`INFO  jepsen.util - 3\t:ok\t:read\t3`) or
 * new style (`INFO [2019-04-01 11:25:23,719] jepsen worker 3 - jepsen.util 3\t:ok\t:read\t3`).
 * Groups: process, type, function, the rest (the value, maybe followed by an error).
 */
const JEPSEN_LOG_OPERATION =
  /\bjepsen\.util\s+(?:-\s+)?(:?[\w-]+)\s+:(invoke|ok|fail|info)\s+:([^\s]+)(?:\s+(.*))?$/;

export function isJepsenLogOperationLine(line: string): boolean {
  return JEPSEN_LOG_OPERATION.test(line);
}

export interface ParsedJepsenEvents extends ParsedEvents {
  /** Lines that were not client operations (other log output, the nemesis). */
  readonly skippedLines: number;
}

/**
 * The operations that Jepsen prints while a test runs. The value of an `info` or `fail` line is
 * often the error (`:timed-out`); the checker takes an operation's argument from its invocation.
 */
export function parseJepsenLog(text: string): ParsedJepsenEvents {
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  let skippedLines = 0;
  text.split('\n').forEach((rawLine, index) => {
    const match = JEPSEN_LOG_OPERATION.exec(rawLine.trimEnd());
    if (match === null) {
      if (rawLine.trim() !== '') skippedLines++;
      return;
    }
    const [, processText = '', type, f, rest] = match;
    if (processText.startsWith(':')) {
      skippedLines++;
      return;
    }
    const line = index + 1;
    if (!/^\d+$/.test(processText))
      throw new HistoryError(
        'HISTORY_EVENT_INVALID',
        `the process must be an integer or :nemesis (got ${processText})`,
        { line },
      );
    const value = rest === undefined || rest.trim() === '' ? null : readLogValue(rest, line);
    events.push(checked({ process: Number(processText), type, f, value }, line));
    lines.push(line);
  });
  return { events, lines, skippedLines };
}

function readLogValue(text: string, line: number): unknown {
  try {
    return ednToJson(readEdn(text).value);
  } catch (error) {
    if (error instanceof EdnSyntaxError)
      throw new HistoryError('HISTORY_SYNTAX', `bad value "${text}": ${error.message}`, { line });
    throw error;
  }
}

/**
 * Jepsen's EDN history: one map per operation (`{:process 0, :type :invoke, :f :read, :value nil}`),
 * usually one a line; a single vector of such maps is accepted too. Nemesis operations are skipped.
 */
export function parseJepsenEdn(text: string): ParsedJepsenEvents {
  let forms: { value: EdnValue; start: number }[];
  try {
    forms = readAllEdn(text);
  } catch (error) {
    if (error instanceof EdnSyntaxError)
      throw new HistoryError('HISTORY_SYNTAX', `invalid EDN: ${error.message}`, {
        line: lineAt(text, error.offset),
      });
    throw error;
  }
  const counter = new LineCounter(text);
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  let skippedLines = 0;
  const only = forms.length === 1 ? forms[0] : undefined;
  const maps =
    only !== undefined && Array.isArray(only.value)
      ? (only.value as readonly EdnValue[]).map((value) => ({ value, start: only.start }))
      : forms;
  for (const { value, start } of maps) {
    const line = counter.lineAt(start);
    if (!(value instanceof EdnMap))
      throw new HistoryError(
        'HISTORY_EVENT_INVALID',
        `expected a map such as {:process 0, :type :invoke, :f :read, :value nil}, got ${describe(ednToJson(value))}`,
        { line },
      );
    const process = value.get('process');
    if (process instanceof EdnKeyword) {
      skippedLines++;
      continue;
    }
    events.push(checked(ednEventFields(value), line));
    lines.push(line);
  }
  return { events, lines, skippedLines };
}

function ednEventFields(map: EdnMap): Record<string, unknown> {
  const key = map.get('key');
  const time = map.get('time');
  return {
    process: map.get('process'),
    type: nameOf(map.get('type')),
    f: nameOf(map.get('f')),
    ...(key === undefined || key === null ? {} : { key: keyText(key) }),
    value: map.has('value') ? ednToJson(map.get('value') ?? null) : null,
    ...(typeof time === 'number' ? { time } : {}),
  };
}

function nameOf(value: EdnValue | undefined): unknown {
  return value instanceof EdnKeyword ? value.name : value;
}

/** Jepsen keys are often integers or keywords; ours are strings. */
function keyText(key: EdnValue): unknown {
  if (typeof key === 'number') return String(key);
  if (key instanceof EdnKeyword) return key.name;
  return key;
}

function checked(fields: Record<string, unknown>, line: number): HistoryEvent {
  const event = toHistoryEvent(fields);
  if (typeof event === 'string') throw new HistoryError('HISTORY_EVENT_INVALID', event, { line });
  return event;
}
