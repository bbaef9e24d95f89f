import { HISTORY_EVENT_TYPES, type HistoryEvent, type HistoryEventType } from './history.js';

/**
 * Checks one event read from outside and returns it in canonical form, or says what is wrong with
 * it. Fields other than the documented ones are ignored, so producers may add their own.
 */
export function toHistoryEvent(raw: unknown): HistoryEvent | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return `an event must be an object, not ${describe(raw)}`;
  const record = raw as Record<string, unknown>;
  const { process, type, f, key, value, time } = record;
  if (!Number.isSafeInteger(process))
    return `"process" must be an integer (got ${describe(process)})`;
  if (typeof type !== 'string' || !HISTORY_EVENT_TYPES.includes(type as HistoryEventType))
    return `"type" must be one of ${HISTORY_EVENT_TYPES.map((name) => `"${name}"`).join(', ')} (got ${describe(type)})`;
  if (typeof f !== 'string' || f === '')
    return `"f" (the function) must be a non-empty string (got ${describe(f)})`;
  if (key !== undefined && key !== null && typeof key !== 'string')
    return `"key" must be a string (got ${describe(key)})`;
  if (time !== undefined && time !== null && (typeof time !== 'number' || !Number.isFinite(time)))
    return `"time" must be a number (got ${describe(time)})`;
  return {
    process: process as number,
    type: type as HistoryEventType,
    f,
    ...(typeof key === 'string' ? { key } : {}),
    ...(value === undefined ? {} : { value }),
    ...(typeof time === 'number' ? { time } : {}),
  };
}

/** A short rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  if (text === undefined) return typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
