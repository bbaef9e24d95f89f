/** Where the transport reports what happened to connections. Fields are for structured logs. */
export interface TransportLogger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/**
 * The default: warnings and errors to stderr (a refused cluster id must be seen), routine
 * connection churn silent.
 */
export const stderrTransportLogger: TransportLogger = {
  info: () => {},
  warn: (message, fields) => console.error(`[transport] warn: ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[transport] error: ${message}`, fields ?? ''),
};
