import { type KvOp, type KvView, evaluateKvOp } from '../core/kv.js';
import { canonicalJson } from './canonical-json.js';
import { describe } from './event-validation.js';
import { HistoryError } from './errors.js';
import type { ModelName } from './history.js';
import type { Operation } from './operations.js';

/**
 * A sequential specification the linearizability search runs operations against. States are
 * immutable values; `key` identifies a state exactly (it is part of the search's memo key).
 */
export interface Model<State, Prepared> {
  readonly name: ModelName;
  /**
   * Checks an operation's values and turns it into what `step` needs, or returns undefined when the
   * operation constrains nothing and can be left out (a failed write, a timed-out read). Throws a
   * `HistoryError` when the operation does not fit the model.
   */
  prepare(op: Operation): Prepared | undefined;
  initial(): State;
  /** The state after the operation, or undefined when the operation cannot happen in `state`. */
  step(state: State, op: Prepared): State | undefined;
  key(state: State): string;
  /** Whether the operation never changes the state (a read, a failed cas). */
  isReadOnly(op: Prepared): boolean;
  /** A short human rendering of a state, for reports. */
  render(state: State): string;
}

/** A model of any state and operation types (method parameters are bivariant, so every model fits). */
export type AnyModel = Model<unknown, unknown>;

/** Functions that only observe: a timed-out one can be dropped, since it constrains nothing. */
const READ_FUNCTIONS = new Set(['read', 'get', 'range']);

function modelError(op: Operation, problem: string): HistoryError {
  return new HistoryError('HISTORY_MODEL_MISMATCH', problem, { eventIndex: op.invokeIndex });
}

/**
 * Drops what carries no information: a `fail` means "did not happen" for every function but `cas`
 * (whose `fail` observes a value different from the expected one), and an indeterminate read
 * observes nothing.
 */
function isUninformative(op: Operation): boolean {
  if (op.status === 'fail') return op.f !== 'cas';
  return op.status === 'info' && READ_FUNCTIONS.has(op.f);
}

// ---------------------------------------------------------------------------------------------
// register and cas-register: one value, compared by JSON equality, initially null.

type RegisterOp =
  | { readonly f: 'read'; readonly value: string }
  | { readonly f: 'write'; readonly value: string }
  | {
      readonly f: 'cas';
      readonly status: 'ok' | 'fail' | 'info';
      readonly expected: string;
      readonly next: string;
    };

function createRegisterModel(name: 'register' | 'cas-register'): Model<string, RegisterOp> {
  const functions = name === 'register' ? ['read', 'write'] : ['read', 'write', 'cas'];
  return {
    name,
    prepare(op) {
      if (!functions.includes(op.f))
        throw modelError(
          op,
          `function ${JSON.stringify(op.f)} is not in the ${name} model (it has ${functions.join(', ')})${op.f === 'cas' ? '; use --model cas-register' : ''}`,
        );
      if (isUninformative(op)) return undefined;
      if (op.f === 'read') return { f: 'read', value: canonicalJson(op.output) };
      if (op.f === 'write') return { f: 'write', value: canonicalJson(op.input) };
      if (!Array.isArray(op.input) || op.input.length !== 2)
        throw modelError(op, `cas needs the value [expected, new], got ${describe(op.input)}`);
      return {
        f: 'cas',
        status: op.status,
        expected: canonicalJson(op.input[0]),
        next: canonicalJson(op.input[1]),
      };
    },
    initial: () => 'null',
    step(state, op) {
      switch (op.f) {
        case 'read':
          return state === op.value ? state : undefined;
        case 'write':
          return op.value;
        case 'cas':
          if (op.status === 'ok') return state === op.expected ? op.next : undefined;
          if (op.status === 'fail') return state === op.expected ? undefined : state;
          return state === op.expected ? op.next : state;
      }
    },
    key: (state) => state,
    isReadOnly: (op) => op.f === 'read' || (op.f === 'cas' && op.status === 'fail'),
    render: (state) => state,
  };
}

// ---------------------------------------------------------------------------------------------
// kv: string keys to string values (through core's evaluateKvOp), plus Jepsen-style appends.

/** A key's value: a string, or a list built by appending non-string values. */
type KvCell = string | readonly unknown[];
type KvState = ReadonlyMap<string, KvCell>;

type KvPrepared =
  | {
      readonly kind: 'op';
      readonly op: KvOp;
      readonly status: 'ok' | 'fail' | 'info';
      readonly output: unknown;
    }
  | { readonly kind: 'append'; readonly key: string; readonly value: unknown }
  | { readonly kind: 'read-list'; readonly key: string; readonly output: unknown };

const KV_FUNCTIONS = ['get', 'put', 'delete', 'cas', 'inc', 'range', 'append', 'read', 'write'];

/** What the kv model needs to know about the whole history before preparing operations. */
interface KvKeyUse {
  /** Keys only ever appended to and read: there "" (or []) also stands for an absent key. */
  readonly appendOnlyKeys: ReadonlySet<string>;
  /** Keys whose appends carry non-string values: their value is a list. */
  readonly listKeys: ReadonlySet<string>;
}

function kvKeyUse(operations: readonly Operation[]): KvKeyUse {
  const written = new Set<string>();
  const appended = new Set<string>();
  const listKeys = new Set<string>();
  for (const op of operations) {
    if (op.key === undefined) continue;
    if (op.f === 'append') {
      appended.add(op.key);
      if (typeof op.input !== 'string') listKeys.add(op.key);
    } else if (op.f !== 'get' && op.f !== 'read') written.add(op.key);
  }
  const appendOnlyKeys = new Set([...appended].filter((key) => !written.has(key)));
  return { appendOnlyKeys, listKeys };
}

function createKvModel(operations: readonly Operation[]): Model<KvState, KvPrepared> {
  const use = kvKeyUse(operations);
  // Reads return the state object they were given, so its key is asked for again and again.
  const keys = new WeakMap<KvState, string>();
  const hasRange = operations.some((op) => op.f === 'range');
  return {
    name: 'kv',
    prepare(op) {
      if (!KV_FUNCTIONS.includes(op.f))
        throw modelError(
          op,
          `function ${JSON.stringify(op.f)} is not in the kv model (it has get, put, delete, cas, inc, range, append; read and write mean get and put)`,
        );
      if (isUninformative(op)) return undefined;
      return prepareKvOp(op, use, hasRange);
    },
    initial: () => new Map(),
    step: (state, op) => stepKv(state, op, use),
    key: (state) => {
      let key = keys.get(state);
      if (key === undefined) {
        key = kvStateKey(state);
        keys.set(state, key);
      }
      return key;
    },
    isReadOnly: (op) =>
      op.kind === 'read-list' ||
      (op.kind === 'op' &&
        (op.op.f === 'get' || op.op.f === 'range' || (op.op.f === 'cas' && op.status === 'fail'))),
    render: (state) => (state.size === 0 ? '{}' : kvStateKey(state)),
  };
}

function requireKey(op: Operation): string {
  if (op.key === undefined) throw modelError(op, `${op.f} needs a "key" in the kv model`);
  return op.key;
}

function prepareKvOp(op: Operation, use: KvKeyUse, hasRange: boolean): KvPrepared {
  const status = op.status;
  const f = op.f === 'read' ? 'get' : op.f === 'write' ? 'put' : op.f;
  if (f === 'range') return prepareRange(op);
  const key = requireKey(op);
  const isList = use.listKeys.has(key);
  if (isList && hasRange)
    throw modelError(
      op,
      `key ${JSON.stringify(key)} holds a list (non-string appends), which range cannot read`,
    );
  if (isList && f !== 'get' && f !== 'append')
    throw modelError(
      op,
      `key ${JSON.stringify(key)} holds a list (non-string appends); only append and get may use it, not ${op.f}`,
    );
  switch (f) {
    case 'get':
      if (isList) return { kind: 'read-list', key, output: op.output };
      if (op.output !== null && typeof op.output !== 'string')
        throw modelError(op, `get must return a string or null, got ${describe(op.output)}`);
      return { kind: 'op', op: { f: 'get', key }, status, output: op.output };
    case 'append':
      return { kind: 'append', key, value: op.input };
    case 'put':
      if (typeof op.input !== 'string')
        throw modelError(op, `${op.f} needs a string value, got ${describe(op.input)}`);
      return { kind: 'op', op: { f: 'put', key, value: op.input }, status, output: op.output };
    case 'delete':
      return { kind: 'op', op: { f: 'delete', key }, status, output: op.output };
    case 'inc':
      if (!Number.isSafeInteger(op.input))
        throw modelError(op, `inc needs an integer delta, got ${describe(op.input)}`);
      if (status === 'ok' && !Number.isSafeInteger(op.output))
        throw modelError(op, `inc must return the new integer, got ${describe(op.output)}`);
      return {
        kind: 'op',
        op: { f: 'inc', key, delta: op.input as number },
        status,
        output: op.output,
      };
    default:
      return prepareCas(op, key);
  }
}

function prepareCas(op: Operation, key: string): KvPrepared {
  const input = op.input;
  if (
    !Array.isArray(input) ||
    input.length !== 2 ||
    (input[0] !== null && typeof input[0] !== 'string') ||
    typeof input[1] !== 'string'
  )
    throw modelError(
      op,
      `cas needs the value [expected (string or null), new (string)], got ${describe(input)}`,
    );
  const [expected, value] = input as [string | null, string];
  return {
    kind: 'op',
    op: { f: 'cas', key, expected, value },
    status: op.status,
    output: op.output,
  };
}

function prepareRange(op: Operation): KvPrepared {
  const input = op.input as Record<string, unknown> | null;
  const valid =
    typeof input === 'object' &&
    input !== null &&
    typeof input.start === 'string' &&
    (input.end === undefined || input.end === null || typeof input.end === 'string') &&
    (input.limit === undefined || input.limit === null || Number.isSafeInteger(input.limit));
  if (!valid)
    throw modelError(op, `range needs the value {start, end?, limit?}, got ${describe(input)}`);
  const isPairs =
    Array.isArray(op.output) &&
    op.output.every(
      (pair: unknown) =>
        Array.isArray(pair) &&
        pair.length === 2 &&
        typeof pair[0] === 'string' &&
        typeof pair[1] === 'string',
    );
  if (op.status === 'ok' && !isPairs)
    throw modelError(
      op,
      `range must return an array of [key, value] string pairs, got ${describe(op.output)}`,
    );
  const range: KvOp = {
    f: 'range',
    start: input.start as string,
    ...(typeof input.end === 'string' ? { end: input.end } : {}),
    ...(typeof input.limit === 'number' ? { limit: input.limit } : {}),
  };
  return { kind: 'op', op: range, status: op.status, output: op.output };
}

/** The string-valued part of a state, as core's KvView. */
function kvView(state: KvState): KvView {
  return {
    get: (key) => {
      const cell = state.get(key);
      return typeof cell === 'string' ? cell : undefined;
    },
    keys: () => state.keys(),
  };
}

function stepKv(state: KvState, prepared: KvPrepared, use: KvKeyUse): KvState | undefined {
  if (prepared.kind === 'append')
    return withCell(state, prepared.key, appendTo(state.get(prepared.key), prepared.value));
  if (prepared.kind === 'read-list') {
    const cell = state.get(prepared.key);
    if (cell === undefined)
      return prepared.output === null ||
        (Array.isArray(prepared.output) && prepared.output.length === 0)
        ? state
        : undefined;
    return canonicalJson(cell) === canonicalJson(prepared.output) ? state : undefined;
  }
  const { op, status, output } = prepared;
  const effect = evaluateKvOp(kvView(state), op);
  const result = effect.result;
  switch (result.f) {
    case 'get': {
      const absentAsEmpty =
        output === '' &&
        result.value === null &&
        use.appendOnlyKeys.has((op as { key: string }).key);
      return result.value === output || absentAsEmpty ? state : undefined;
    }
    case 'range':
      return canonicalJson(result.entries) === canonicalJson(output) ? state : undefined;
    case 'cas':
      if (status === 'ok' && !result.succeeded) return undefined;
      if (status === 'fail' && result.succeeded) return undefined;
      break;
    case 'inc':
      if (result.error !== undefined) return status === 'ok' ? undefined : state;
      if (status === 'ok' && result.value !== output) return undefined;
      break;
    case 'put':
    case 'delete':
      break;
  }
  return applyWrites(state, effect.writes);
}

function appendTo(cell: KvCell | undefined, value: unknown): KvCell {
  if (typeof value === 'string' && (cell === undefined || typeof cell === 'string'))
    return (cell ?? '') + value;
  return [...(Array.isArray(cell) ? (cell as readonly unknown[]) : []), value];
}

function withCell(state: KvState, key: string, cell: KvCell): KvState {
  const next = new Map(state);
  next.set(key, cell);
  return next;
}

function applyWrites(
  state: KvState,
  writes: readonly (readonly [string, string | null])[],
): KvState {
  if (writes.length === 0) return state;
  const next = new Map(state);
  for (const [key, value] of writes) {
    if (value === null) next.delete(key);
    else next.set(key, value);
  }
  return next;
}

function kvStateKey(state: KvState): string {
  if (state.size === 0) return '';
  if (state.size === 1) {
    const [key, cell] = state.entries().next().value as [string, KvCell];
    return canonicalJson([[key, cell]]);
  }
  const keys = [...state.keys()].sort();
  return canonicalJson(keys.map((key) => [key, state.get(key)]));
}

// ---------------------------------------------------------------------------------------------

/** The model for a history: `operations` lets the kv model see how each key is used. */
export function createModel(name: ModelName, operations: readonly Operation[]): AnyModel {
  switch (name) {
    case 'register':
    case 'cas-register':
      return createRegisterModel(name);
    case 'kv':
      return createKvModel(operations);
  }
}

/**
 * The model a JSON history most likely means, from its functions: only read and write is a
 * register, read, write and cas a cas-register, anything else the kv model.
 */
export function inferModel(functions: Iterable<string>): ModelName {
  let hasCas = false;
  for (const f of functions) {
    if (f === 'cas') hasCas = true;
    else if (f !== 'read' && f !== 'write') return 'kv';
  }
  return hasCas ? 'cas-register' : 'register';
}
