/**
 * A JSON value too large to stringify or parse in one go (a million-key snapshot inside a message
 * or a record), cut into pieces that are each a small JSON document:
 *
 *   head     {"value": V, "arrays": [[path, length], …]}: V is the value with each long array
 *            (more than `elementsPerPiece` elements) left empty; `path` leads to it from V's root
 *            (object keys and array indexes), `length` is how many elements it had
 *   slices   one JSON array per piece: the next elements of the long arrays, in the order the head
 *            lists them, at most `elementsPerPiece` each
 *
 * A value with no long array is one piece, its head. Both halves do a bounded amount of work per
 * piece, so the sender (transport, snapshot writer) and the receiver can yield to the event loop
 * between pieces: JSON.stringify and JSON.parse of the whole value would stop a member for seconds,
 * and fail outright above V8's largest string (about 512 MiB). Long arrays nested in the elements
 * of a long array are not split again: a slice is stringified whole.
 *
 * Pure: no Node imports, so the same code runs in the browser.
 */

export type JsonPath = readonly (string | number)[];

/** Elements per slice: a few hundred kilobytes of snapshot records, a millisecond of JSON work. */
export const ELEMENTS_PER_PIECE = 1024;

/** A piece that does not continue the value being joined: the sender or the data is broken. */
export class JsonPieceError extends Error {
  override readonly name = 'JsonPieceError';
}

interface LongArray {
  readonly path: JsonPath;
  readonly elements: readonly unknown[];
}

/**
 * The pieces of `value`, produced lazily: the caller may stringify one piece, send or write it,
 * and come back for the next later. `value` must not change until the last piece is taken.
 */
export function* jsonPieces(
  value: unknown,
  elementsPerPiece = ELEMENTS_PER_PIECE,
): Generator<string, void, undefined> {
  const split = splitLongArrays(value, elementsPerPiece);
  if (split === undefined) yield JSON.stringify({ value, arrays: [] });
  else yield* split;
}

/**
 * `jsonPieces` for a value with at least one long array; undefined for a value without, which a
 * caller may write as plain JSON instead (a snapshot file packs many such records in one frame).
 */
export function splitLongArrays(
  value: unknown,
  elementsPerPiece = ELEMENTS_PER_PIECE,
): Generator<string, void, undefined> | undefined {
  if (!(elementsPerPiece >= 1)) throw new RangeError('elementsPerPiece must be at least 1');
  const longArrays: LongArray[] = [];
  const skeleton = withoutLongArrays(value, [], elementsPerPiece, longArrays);
  return longArrays.length === 0 ? undefined : piecesOf(skeleton, longArrays, elementsPerPiece);
}

function* piecesOf(
  skeleton: unknown,
  longArrays: readonly LongArray[],
  elementsPerPiece: number,
): Generator<string, void, undefined> {
  yield JSON.stringify({
    value: skeleton,
    arrays: longArrays.map(({ path, elements }) => [path, elements.length]),
  });
  for (const { elements } of longArrays) {
    for (let start = 0; start < elements.length; start += elementsPerPiece) {
      yield JSON.stringify(elements.slice(start, start + elementsPerPiece));
    }
  }
}

/** A copy of `value` along the paths to its long arrays, each left empty; the rest is shared. */
function withoutLongArrays(
  value: unknown,
  path: (string | number)[],
  elementsPerPiece: number,
  found: LongArray[],
): unknown {
  if (Array.isArray(value)) {
    if (value.length > elementsPerPiece) {
      found.push({ path: [...path], elements: value });
      return [];
    }
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      const element: unknown = value[index];
      const replaced = withoutLongArrays(element, path, elementsPerPiece, found);
      path.pop();
      if (replaced !== element) (copy ??= value.slice())[index] = replaced;
    }
    return copy ?? value;
  }
  if (typeof value !== 'object' || value === null) return value;
  // An object with its own JSON form is written as that form, not walked.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, field] of Object.entries(value)) {
    path.push(key);
    const replaced = withoutLongArrays(field, path, elementsPerPiece, found);
    path.pop();
    if (replaced !== field) (copy ??= { ...(value as Record<string, unknown>) })[key] = replaced;
  }
  return copy ?? value;
}

/** Caps on what a joiner accepts: the receiver's defence against a sender it must not trust. */
export interface JoinLimits {
  /** Long arrays one value may have. */
  readonly arraysMax: number;
  /** Elements over all long arrays. */
  readonly elementsMax: number;
}

export const DEFAULT_JOIN_LIMITS: JoinLimits = { arraysMax: 64, elementsMax: 100_000_000 };

/**
 * Rebuilds a value from its pieces, each already parsed (`JSON.parse` of one piece). Throws a
 * JsonPieceError for a piece that does not fit: a malformed head, a path that leads nowhere, a
 * slice that is not an array or overflows, or a piece after the value is complete.
 */
export class JsonJoiner {
  private value: unknown;
  private targets: { readonly array: unknown[]; readonly length: number }[] | undefined;
  private current = 0;

  constructor(private readonly limits: JoinLimits = DEFAULT_JOIN_LIMITS) {}

  /** True once every piece has arrived. */
  get done(): boolean {
    return this.targets !== undefined && this.current === this.targets.length;
  }

  push(piece: unknown): void {
    if (this.targets === undefined) {
      this.acceptHead(piece);
      return;
    }
    const target = this.targets[this.current];
    if (target === undefined) throw new JsonPieceError('a piece after the value was complete');
    if (!Array.isArray(piece) || piece.length === 0)
      throw new JsonPieceError('a slice piece must be a non-empty JSON array');
    if (target.array.length + piece.length > target.length)
      throw new JsonPieceError(
        `a slice overflows its array: ${target.array.length + piece.length} elements of ${target.length}`,
      );
    for (const element of piece) target.array.push(element);
    if (target.array.length === target.length) this.skipFilled();
  }

  /** The whole value; only once `done`. */
  result(): unknown {
    if (!this.done) throw new JsonPieceError('the value is not complete');
    return this.value;
  }

  private acceptHead(head: unknown): void {
    if (typeof head !== 'object' || head === null || Array.isArray(head))
      throw new JsonPieceError('the first piece must be a head object');
    const { value, arrays } = head as { value?: unknown; arrays?: unknown };
    if (!Object.hasOwn(head, 'value') || !Array.isArray(arrays))
      throw new JsonPieceError('the head needs "value" and an "arrays" list');
    if (arrays.length > this.limits.arraysMax)
      throw new JsonPieceError(
        `the head lists ${arrays.length} arrays, above ${this.limits.arraysMax}`,
      );
    const targets: { array: unknown[]; length: number }[] = [];
    const seen = new Set<unknown[]>();
    let elements = 0;
    for (const entry of arrays) {
      if (!Array.isArray(entry) || entry.length !== 2)
        throw new JsonPieceError('each head array entry must be [path, length]');
      const [path, length] = entry as [unknown, unknown];
      if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 1)
        throw new JsonPieceError(`bad array length ${JSON.stringify(length)}`);
      const array = resolveEmptyArray(value, path);
      if (seen.has(array)) throw new JsonPieceError('two head entries lead to one array');
      seen.add(array);
      elements += length;
      if (elements > this.limits.elementsMax)
        throw new JsonPieceError(`the value has more than ${this.limits.elementsMax} elements`);
      targets.push({ array, length });
    }
    this.value = value;
    this.targets = targets;
    this.skipFilled();
  }

  private skipFilled(): void {
    const targets = this.targets ?? [];
    while (this.current < targets.length) {
      const target = targets[this.current] as { array: unknown[]; length: number };
      if (target.array.length < target.length) return;
      this.current++;
    }
  }
}

function resolveEmptyArray(root: unknown, path: unknown): unknown[] {
  if (!Array.isArray(path)) throw new JsonPieceError('an array path must be a list');
  let node = root;
  for (const step of path) {
    const container = node;
    if (Array.isArray(container) && typeof step === 'number' && Number.isInteger(step)) {
      if (step < 0 || step >= container.length)
        throw new JsonPieceError(`array path ${JSON.stringify(path)} leads nowhere`);
      node = container[step];
    } else if (
      typeof step === 'string' &&
      typeof container === 'object' &&
      container !== null &&
      !Array.isArray(container) &&
      Object.hasOwn(container, step)
    ) {
      node = (container as Record<string, unknown>)[step];
    } else {
      throw new JsonPieceError(`array path ${JSON.stringify(path)} leads nowhere`);
    }
  }
  if (!Array.isArray(node) || node.length !== 0)
    throw new JsonPieceError(`array path ${JSON.stringify(path)} does not end at an empty array`);
  return node;
}
