import { SynodError } from '../core/errors.js';

/** Why a history was refused; stable, so scripts and tests can match on it. */
export type HistoryErrorCode =
  | 'HISTORY_SYNTAX'
  | 'HISTORY_FORMAT_UNKNOWN'
  | 'HISTORY_EVENT_INVALID'
  | 'HISTORY_ORDER_INVALID'
  | 'HISTORY_MODEL_MISMATCH'
  | 'HISTORY_EMPTY';

/** Where in the input the problem is; every field is optional because not every caller knows it. */
export interface HistoryErrorLocation {
  readonly fileName?: string;
  /** 1-based line in the input text. */
  readonly line?: number;
  /** 0-based index of the event in the history. */
  readonly eventIndex?: number;
}

/**
 * A history that cannot be read or does not fit its model. The message names the file, the line
 * and what was wrong, ready to print as it is.
 */
export class HistoryError extends SynodError {
  readonly problem: string;
  readonly location: HistoryErrorLocation;

  constructor(code: HistoryErrorCode, problem: string, location: HistoryErrorLocation = {}) {
    super(code, `${describeLocation(location)}${problem}`, 2);
    this.problem = problem;
    this.location = location;
  }

  /** The same error, placed in a file (and at a line, when the event's line is known). */
  withLocation(location: HistoryErrorLocation): HistoryError {
    return new HistoryError(this.code as HistoryErrorCode, this.problem, {
      ...this.location,
      ...location,
    });
  }
}

function describeLocation(location: HistoryErrorLocation): string {
  const parts: string[] = [];
  if (location.fileName !== undefined) parts.push(location.fileName);
  if (location.line !== undefined) parts.push(`line ${location.line}`);
  else if (location.eventIndex !== undefined) parts.push(`event ${location.eventIndex + 1}`);
  return parts.length === 0 ? '' : `${parts.join(', ')}: `;
}
