import { HistoryError } from './errors.js';
import { toHistoryEvent } from './event-validation.js';
import type { HistoryEvent } from './history.js';
import { lineAt } from './text-lines.js';

export interface ParsedEvents {
  readonly events: HistoryEvent[];
  /** The 1-based line where each event starts. */
  readonly lines: number[];
}

/** A JSON array of events, or JSON lines: one event object per line (blank lines allowed). */
export function parseJsonHistory(text: string): ParsedEvents {
  return text.trimStart().startsWith('[') ? parseJsonArray(text) : parseJsonLines(text);
}

function parseJsonArray(text: string): ParsedEvents {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw jsonSyntaxError(error, text, 0);
  }
  if (!Array.isArray(parsed))
    throw new HistoryError('HISTORY_SYNTAX', 'expected a JSON array of events', { line: 1 });
  const lines = topLevelElementLines(text);
  const events = parsed.map((raw: unknown, index) => {
    const event = toHistoryEvent(raw);
    if (typeof event === 'string')
      throw new HistoryError('HISTORY_EVENT_INVALID', event, { line: lines[index] ?? 1 });
    return event;
  });
  return { events, lines };
}

function parseJsonLines(text: string): ParsedEvents {
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw jsonSyntaxError(error, line, index);
    }
    const event = toHistoryEvent(parsed);
    if (typeof event === 'string')
      throw new HistoryError('HISTORY_EVENT_INVALID', event, { line: index + 1 });
    events.push(event);
    lines.push(index + 1);
  });
  return { events, lines };
}

/** Turns JSON.parse's message ("... at position 42") into one that names the line. */
function jsonSyntaxError(error: unknown, text: string, lineOffset: number): HistoryError {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message);
  const line = position ? lineAt(text, Number(position[1])) + lineOffset : lineOffset + 1;
  const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
  return new HistoryError('HISTORY_SYNTAX', `invalid JSON: ${reason}`, { line });
}

/** The line on which each element of a top-level JSON array starts (the text is valid JSON). */
function topLevelElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectingElement = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '\n') line++;
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === ' ' || char === '\t' || char === '\r' || char === '\n') continue;
    if (depth === 1 && expectingElement && char !== ']') {
      lines.push(line);
      expectingElement = false;
    }
    if (char === '"') inString = true;
    else if (char === '[' || char === '{') {
      depth++;
      if (depth === 1) expectingElement = true;
    } else if (char === ']' || char === '}') depth--;
    else if (char === ',' && depth === 1) expectingElement = true;
  }
  return lines;
}
