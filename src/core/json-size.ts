/**
 * The length of a value as JSON, the measure the engines use to bound a message's size (a close
 * proxy for its bytes on the wire). Log entries and commands are immutable once proposed, so an
 * object's length is computed once and remembered.
 */
const lengths = new WeakMap<object, number>();

export function jsonLengthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)?.length ?? 0;
  let length = lengths.get(value);
  if (length === undefined) {
    length = JSON.stringify(value).length;
    lengths.set(value, length);
  }
  return length;
}

/**
 * How many of `items`, from the first, fit in `lengthMax` (0: no limit) — always at least one, so
 * an item larger than the limit still moves, alone.
 */
export function countWithinLength<T>(
  items: readonly T[],
  lengthOf: (item: T) => number,
  lengthMax: number,
  countMax = items.length,
): number {
  const count = Math.min(countMax, items.length);
  if (lengthMax <= 0) return count;
  let total = 0;
  for (let position = 0; position < count; position++) {
    total += lengthOf(items[position]!);
    if (total > lengthMax && position > 0) return position;
  }
  return count;
}
