/**
 * Assertions that stay on everywhere (TigerBeetle style): protocol code states its invariants with
 * `assert`, and a failed one is a bug in Synod, never a user error.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
  readonly code = 'ASSERTION_FAILED';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a switch as exhaustive: the compiler rejects a missing case, and a value that slips through at run time throws. */
export function unreachable(value: never, what = 'value'): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
