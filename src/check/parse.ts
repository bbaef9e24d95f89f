import { HistoryError } from './errors.js';
import type { History, HistoryFormat } from './history.js';
import { pairEvents } from './operations.js';
import { isJepsenLogOperationLine, parseJepsenEdn, parseJepsenLog } from './parse-jepsen.js';
import { type ParsedEvents, parseJsonHistory } from './parse-json.js';

export interface ParseHistoryOptions {
  readonly format: 'auto' | HistoryFormat;
  /** Named in error messages. */
  readonly fileName?: string;
}

export interface ParsedHistory {
  readonly history: History;
  readonly format: HistoryFormat;
  /** The 1-based line of each event in the text, to point at problems found later. */
  readonly lines: readonly number[];
  /** Lines that were not client operations (Jepsen log noise, nemesis operations). */
  readonly skippedLines: number;
}

/**
 * Reads a history in any supported format and checks that it is well formed: every event valid, and
 * each process invoking one operation at a time. Problems are `HistoryError`s naming the file, line
 * and what was wrong.
 */
export function parseHistory(text: string, options: ParseHistoryOptions): ParsedHistory {
  const location = options.fileName === undefined ? {} : { fileName: options.fileName };
  try {
    const format = options.format === 'auto' ? detectHistoryFormat(text) : options.format;
    const parsed = parseAs(format, text);
    checkPairing(parsed);
    return {
      history: parsed.events,
      format,
      lines: parsed.lines,
      skippedLines: 'skippedLines' in parsed ? (parsed.skippedLines as number) : 0,
    };
  } catch (error) {
    if (error instanceof HistoryError) throw error.withLocation(location);
    throw error;
  }
}

function parseAs(format: HistoryFormat, text: string): ParsedEvents {
  switch (format) {
    case 'json':
      return parseJsonHistory(text);
    case 'jepsen-log':
      return parseJepsenLog(text);
    case 'jepsen-edn':
      return parseJepsenEdn(text);
  }
}

function checkPairing(parsed: ParsedEvents): void {
  try {
    pairEvents(parsed.events);
  } catch (error) {
    if (error instanceof HistoryError && error.location.eventIndex !== undefined) {
      const line = parsed.lines[error.location.eventIndex];
      throw error.withLocation(line === undefined ? {} : { line });
    }
    throw error;
  }
}

/**
 * Guesses the format from the text: JSON starts with `[` or `{"`, Jepsen EDN with `{:` (or `[{:`),
 * and a Jepsen log has lines from `jepsen.util`.
 */
export function detectHistoryFormat(text: string): HistoryFormat {
  const start = text.trimStart();
  if (/^\[\s*\{\s*:/.test(start) || /^\{\s*:/.test(start) || /^;/.test(start)) return 'jepsen-edn';
  if (start.startsWith('[') || start.startsWith('{')) return 'json';
  if (start === '') throw new HistoryError('HISTORY_EMPTY', 'the history is empty');
  for (const line of text.split('\n', 10_000))
    if (isJepsenLogOperationLine(line)) return 'jepsen-log';
  throw new HistoryError(
    'HISTORY_FORMAT_UNKNOWN',
    'not a history this tool reads: expected JSON events, a Jepsen EDN history or a Jepsen log with jepsen.util operation lines (use --format to say which)',
  );
}
