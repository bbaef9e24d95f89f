/**
 * A user-facing error: it carries a stable code and a message that says what was wrong and what to
 * do. The CLI prints `message` alone (no stack trace) and exits with `exitCode`.
 */
export class SynodError extends Error {
  override readonly name = 'SynodError';
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
