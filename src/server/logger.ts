import type { TransportLogger } from '../transport/transport-logger.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A structured logger: one line per event, `key=value` fields, so `grep` and humans both read it. */
export interface ServerLogger extends TransportLogger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** A logger whose lines also carry `fields` (e.g. the component). */
  child(fields: Readonly<Record<string, unknown>>): ServerLogger;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where lines go; stderr by default, so stdout stays free for a command's own output. */
  readonly write: (line: string) => void;
  readonly now: () => Date;
}

const DEFAULT_OPTIONS: LoggerOptions = {
  level: 'info',
  write: (line) => void process.stderr.write(line),
  now: () => new Date(),
};

export function createLogger(
  options: Partial<LoggerOptions> = {},
  base: Readonly<Record<string, unknown>> = {},
): ServerLogger {
  const resolved: LoggerOptions = { ...DEFAULT_OPTIONS, ...options };
  const log =
    (level: LogLevel) =>
    (message: string, fields?: Readonly<Record<string, unknown>>): void => {
      if (LEVEL_RANK[level] < LEVEL_RANK[resolved.level]) return;
      const all = { ...base, ...fields };
      const text = Object.entries(all)
        .map(([key, value]) => ` ${key}=${formatValue(value)}`)
        .join('');
      resolved.write(`${resolved.now().toISOString()} ${level.padEnd(5)} ${message}${text}\n`);
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => createLogger(resolved, { ...base, ...fields }),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: ServerLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /^[\w.:/@-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && value in LEVEL_RANK;
}
