import { assert } from './assert.js';

/**
 * The KV state machine that every replicated-log engine can drive, and the model the
 * linearizability checker uses for it: one pure `applyKvOp`, shared by both, so the checker and
 * the engines cannot disagree on what an operation means.
 *
 * Keys and values are strings (etcd's are bytes). `inc` treats a value as a decimal integer, a
 * missing key as 0, and fails on anything else, like Redis's INCRBY.
 */
export type KvOp =
  | { readonly f: 'get'; readonly key: string }
  | { readonly f: 'put'; readonly key: string; readonly value: string }
  | { readonly f: 'delete'; readonly key: string }
  /** Keys in [start, end) in key order; no `end` means every key from `start` on. */
  | { readonly f: 'range'; readonly start: string; readonly end?: string; readonly limit?: number }
  /** Compare-and-set; `expected: null` means "the key is absent". */
  | {
      readonly f: 'cas';
      readonly key: string;
      readonly expected: string | null;
      readonly value: string;
    }
  | { readonly f: 'inc'; readonly key: string; readonly delta: number };

export type KvResult =
  | { readonly f: 'get'; readonly value: string | null }
  | { readonly f: 'put'; readonly previous: string | null }
  | { readonly f: 'delete'; readonly previous: string | null }
  | { readonly f: 'range'; readonly entries: readonly (readonly [string, string])[] }
  | { readonly f: 'cas'; readonly succeeded: boolean; readonly current: string | null }
  | { readonly f: 'inc'; readonly value: number | null; readonly error?: 'not-an-integer' };

export const KV_OPS = ['get', 'put', 'delete', 'range', 'cas', 'inc'] as const;

export function isReadOnly(op: KvOp): boolean {
  return op.f === 'get' || op.f === 'range';
}

/** The keys an operation touches, or undefined when it may touch any (range): the checker partitions by this. */
export function keysOf(op: KvOp): readonly string[] | undefined {
  return op.f === 'range' ? undefined : [op.key];
}

/** A read-only view of a KV state; `Map` satisfies it. */
export interface KvView {
  get(key: string): string | undefined;
  keys(): Iterable<string>;
}

/** The effect of an operation: its result, and the writes it makes (`null` deletes). */
export interface KvEffect {
  readonly result: KvResult;
  readonly writes: readonly (readonly [string, string | null])[];
}

/** The meaning of each operation, as a pure function of the state. */
export function evaluateKvOp(state: KvView, op: KvOp): KvEffect {
  switch (op.f) {
    case 'get':
      return { result: { f: 'get', value: state.get(op.key) ?? null }, writes: [] };
    case 'put':
      return {
        result: { f: 'put', previous: state.get(op.key) ?? null },
        writes: [[op.key, op.value]],
      };
    case 'delete': {
      const previous = state.get(op.key) ?? null;
      return {
        result: { f: 'delete', previous },
        writes: previous === null ? [] : [[op.key, null]],
      };
    }
    case 'range':
      return {
        result: { f: 'range', entries: rangeOf(state, op.start, op.end, op.limit) },
        writes: [],
      };
    case 'cas': {
      const current = state.get(op.key) ?? null;
      const succeeded = current === op.expected;
      return {
        result: { f: 'cas', succeeded, current: succeeded ? op.value : current },
        writes: succeeded ? [[op.key, op.value]] : [],
      };
    }
    case 'inc': {
      const current = state.get(op.key);
      const base = current === undefined ? 0 : parseInteger(current);
      if (base === undefined)
        return { result: { f: 'inc', value: null, error: 'not-an-integer' }, writes: [] };
      const value = base + op.delta;
      return { result: { f: 'inc', value }, writes: [[op.key, String(value)]] };
    }
  }
}

function parseInteger(text: string): number | undefined {
  if (!/^-?\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

function rangeOf(
  state: KvView,
  start: string,
  end: string | undefined,
  limit: number | undefined,
): [string, string][] {
  const keys = [...state.keys()]
    .filter((key) => key >= start && (end === undefined || key < end))
    .sort();
  const chosen = limit === undefined || limit <= 0 ? keys : keys.slice(0, limit);
  return chosen.map((key) => [key, state.get(key) as string]);
}

/** Checks an operation that came from outside (a trace, a history, a network frame). */
export function validateKvOp(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'an operation must be an object';
  const op = value as Record<string, unknown>;
  const isString = (name: string) => typeof op[name] === 'string';
  switch (op.f) {
    case 'get':
    case 'delete':
      return isString('key') ? undefined : `${op.f} needs a string "key"`;
    case 'put':
      return isString('key') && isString('value')
        ? undefined
        : 'put needs string "key" and "value"';
    case 'range':
      if (!isString('start')) return 'range needs a string "start"';
      if (op.end !== undefined && !isString('end')) return 'range "end" must be a string';
      if (op.limit !== undefined && !Number.isSafeInteger(op.limit))
        return 'range "limit" must be an integer';
      return undefined;
    case 'cas':
      if (!isString('key') || !isString('value')) return 'cas needs string "key" and "value"';
      return op.expected === null || isString('expected')
        ? undefined
        : 'cas "expected" must be a string or null';
    case 'inc':
      return isString('key') && Number.isSafeInteger(op.delta)
        ? undefined
        : 'inc needs a string "key" and an integer "delta"';
    default:
      return `unknown operation ${JSON.stringify(op.f)} (expected one of ${KV_OPS.join(', ')})`;
  }
}

/**
 * The three-method application contract (hashicorp/raft's FSM): `apply` runs committed commands in
 * log order, `snapshot` captures the state, `restore` replaces it. Engines call them from one
 * driver thread only, never concurrently.
 */
export interface StateMachine<C, Res, S> {
  apply(command: C): Res;
  snapshot(): S;
  restore(snapshot: S): void;
}

export type KvSnapshot = readonly (readonly [string, string])[];

export class KvStateMachine implements StateMachine<KvOp, KvResult, KvSnapshot>, KvView {
  private readonly data = new Map<string, string>();

  get(key: string): string | undefined {
    return this.data.get(key);
  }

  keys(): Iterable<string> {
    return this.data.keys();
  }

  get size(): number {
    return this.data.size;
  }

  apply(op: KvOp): KvResult {
    const effect = evaluateKvOp(this, op);
    for (const [key, value] of effect.writes) {
      if (value === null) this.data.delete(key);
      else this.data.set(key, value);
    }
    return effect.result;
  }

  snapshot(): KvSnapshot {
    return [...this.data.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  restore(snapshot: KvSnapshot): void {
    this.data.clear();
    for (const [key, value] of snapshot) {
      assert(typeof key === 'string' && typeof value === 'string', 'corrupt KV snapshot entry');
      this.data.set(key, value);
    }
  }
}
