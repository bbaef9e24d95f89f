import { assert } from '../core/assert.js';
import { SearchBudget } from './budget.js';
import { SearchMemo } from './memo.js';
import type { Model } from './models.js';

/** An operation as the search sees it: its prepared form and its interval in real-time order. */
export interface SearchOperation<Prepared> {
  readonly prepared: Prepared;
  /** Position of the invocation in real-time order. */
  readonly call: number;
  /** Position of the completion; Infinity for an indeterminate operation (it may never happen). */
  readonly return: number;
}

export type SearchOutcome<State> =
  | { readonly kind: 'linearizable'; readonly order: readonly number[] }
  | {
      readonly kind: 'not linearizable';
      /** The longest sequence of operations (indices) the search could linearize. */
      readonly longestPrefix: readonly number[];
      readonly stateAfterPrefix: State;
      /** The operation whose completion the search could not get past from that prefix. */
      readonly stuck: number;
      /** The operations that were candidates to go next there (the stuck one included). */
      readonly candidates: readonly number[];
    }
  | { readonly kind: 'unknown' };

/**
 * Wing–Gong linearizability search with Lowe's memoization, as in Porcupine: the invocations and
 * completions form a doubly linked list in real-time order; the search linearizes the first
 * invocation that the model accepts, lifts it (and its completion) out of the list and pushes it on
 * a stack; when it meets a completion, no pending operation can go next, so it pops and tries the
 * next candidate. A (linearized set, state) pair seen before is never explored twice.
 *
 * Indeterminate operations have no completion in the list: they are optional, and the search is
 * done once every determinate operation is linearized.
 *
 * Two refinements. A read-only operation (a read, a failed cas) that is legal now is linearized
 * first, and never reconsidered. That loses no linearization: every operation that must precede it
 * in real time is already linearized (its call comes before the first pending completion), and it
 * does not change the state, so it can be moved to the front of any continuation. Without this,
 * histories with many concurrent clients make the search explore every interleaving of reads.
 * And the order of candidates: at each level the operation that completes first (it must be
 * linearized before that completion) is tried before the others, which go in call order. This
 * changes only the order, never the set, of what is explored.
 */
export function searchLinearization<State, Prepared>(
  model: Model<State, Prepared>,
  operations: readonly SearchOperation<Prepared>[],
  budget: SearchBudget,
): SearchOutcome<State> {
  const stepsBefore = budget.steps;
  const first = runSearch(model, operations, budget, undefined);
  if (first.kind !== 'stuck') return first;
  // Recording the deepest prefix as the search goes would copy the stack again and again; the search
  // is deterministic, so run it once more and stop there instead. The replay cannot take more steps
  // than the first run did, so it has a budget of its own rather than what is left of the caller's.
  const replayBudget = new SearchBudget(
    budget.steps - stepsBefore + 1,
    Infinity,
    () => 0,
    budget.memoEntriesMax,
    budget.memoStateCharsMax,
  );
  const replay = runSearch(model, operations, replayBudget, first.deepest);
  assert(replay.kind === 'not linearizable', 'the replayed search must stop at the deepest prefix');
  return replay;
}

type RunOutcome<State> =
  | Exclude<SearchOutcome<State>, { kind: 'not linearizable' }>
  | Extract<SearchOutcome<State>, { kind: 'not linearizable' }>
  | { readonly kind: 'stuck'; readonly deepest: number };

function runSearch<State, Prepared>(
  model: Model<State, Prepared>,
  operations: readonly SearchOperation<Prepared>[],
  budget: SearchBudget,
  captureDepth: number | undefined,
): RunOutcome<State> {
  const list = new EntryList(operations);
  const count = operations.length;
  let required = operations.filter((op) => op.return !== Infinity).length;
  if (required === 0) return { kind: 'linearizable', order: [] };

  const linearized = new Fingerprint(count);
  const memo = new SearchMemo();
  const stackEntries = new Int32Array(count);
  /** Whether the frame was a forced move (a legal read-only operation): no alternative to try. */
  const stackForced = new Uint8Array(count);
  /** Whether the frame's operation was the urgent one, tried before the level's scan. */
  const stackUrgent = new Uint8Array(count);
  const stackStates: State[] = [];
  let depth = 0;
  let state = model.initial();
  let deepest = -1;

  /** Linearizes the operation of `call` if it is legal and new; true if it did. */
  let lastWasSeen = false;
  const tryLinearize = (call: number, forced: boolean): boolean => {
    const op = list.operationOf(call);
    lastWasSeen = false;
    const next = model.step(state, (operations[op] as SearchOperation<Prepared>).prepared);
    if (next === undefined) return false;
    linearized.toggle(op);
    if (!linearized.addTo(memo, model.key(next))) {
      linearized.toggle(op);
      lastWasSeen = true;
      return false;
    }
    if (memo.entries > budget.memoEntriesMax || memo.stateKeyChars > budget.memoStateCharsMax) {
      budget.exhaustMemory(); // the loop's next spend() ends the search with "unknown"
    }
    stackEntries[depth] = call;
    stackForced[depth] = forced ? 1 : 0;
    stackUrgent[depth] = 0;
    stackStates[depth] = state;
    depth++;
    state = next;
    list.lift(call);
    if (operations[op]?.return !== Infinity) required--;
    return true;
  };

  /**
   * Linearizes a legal read-only candidate, if there is one. If one is legal but the memo has
   * already seen where it leads, that was a dead end, and so is this configuration: by the argument
   * above, any continuation from here could start with that operation.
   */
  const tryReadOnlyCandidate = (): 'pushed' | 'doomed' | 'none' => {
    for (let cursor = list.first(); list.isCall(cursor); cursor = list.next(cursor)) {
      const prepared = (operations[list.operationOf(cursor)] as SearchOperation<Prepared>).prepared;
      if (!model.isReadOnly(prepared)) continue;
      if (tryLinearize(cursor, true)) return 'pushed';
      if (lastWasSeen) return 'doomed';
    }
    return 'none';
  };

  // Per search level: the call tried first at that level (see below), skipped by the level's scan.
  const levelSkip = new Int32Array(count + 1);
  let freshLevel = true;
  /** Set when the level is known to lead nowhere without scanning it. */
  let doomed = false;
  let entry = list.first();
  for (;;) {
    if (!budget.spend()) return { kind: 'unknown' };
    assert(entry !== 0, 'linearizability search ran off the end of the entry list');
    if (freshLevel) {
      freshLevel = false;
      levelSkip[depth] = 0;
      const readOnly = tryReadOnlyCandidate();
      if (readOnly === 'pushed') {
        if (required === 0)
          return { kind: 'linearizable', order: stackOrder(list, stackEntries, depth) };
        freshLevel = true;
        entry = list.first();
        continue;
      }
      if (readOnly === 'none') {
        // The operation that completes first must be linearized before its completion: try it
        // before the others (Lowe's "just in time" idea), then the rest in call order.
        const urgent = list.firstCompletion() - 1;
        if (tryLinearize(urgent, false)) {
          stackUrgent[depth - 1] = 1;
          if (required === 0)
            return { kind: 'linearizable', order: stackOrder(list, stackEntries, depth) };
          freshLevel = true;
          entry = list.first();
          continue;
        }
        levelSkip[depth] = urgent;
        entry = list.first();
      } else doomed = true;
    }
    if (!doomed) {
      if (list.isCall(entry)) {
        if (entry !== levelSkip[depth] && tryLinearize(entry, false)) {
          if (required === 0)
            return { kind: 'linearizable', order: stackOrder(list, stackEntries, depth) };
          freshLevel = true;
          entry = list.first();
        } else entry = list.next(entry);
        continue;
      }
      // A completion: the operation it ends cannot be linearized after the current prefix.
      if (depth === captureDepth)
        return {
          kind: 'not linearizable',
          longestPrefix: stackOrder(list, stackEntries, depth),
          stateAfterPrefix: state,
          stuck: list.operationOf(entry),
          candidates: list.callsBefore(entry),
        };
      if (depth > deepest) deepest = depth;
    }
    doomed = false;
    // Undo the latest move; a forced one has no alternative, so keep undoing.
    let forced = true;
    while (forced) {
      if (depth === 0) return { kind: 'stuck', deepest };
      depth--;
      const call = stackEntries[depth] as number;
      const undone = list.operationOf(call);
      forced = stackForced[depth] === 1;
      state = stackStates[depth] as State;
      linearized.toggle(undone);
      if (operations[undone]?.return !== Infinity) required++;
      list.unlift(call);
      if (stackUrgent[depth] === 1) {
        // The urgent operation was tried first; now the others, in call order.
        levelSkip[depth] = call;
        entry = list.first();
      } else entry = list.next(call);
    }
  }
}

function stackOrder(list: EntryList, stackEntries: Int32Array, depth: number): number[] {
  const order: number[] = [];
  for (let index = 0; index < depth; index++)
    order.push(list.operationOf(stackEntries[index] as number));
  return order;
}

/**
 * The invocations and completions in real-time order, as a circular doubly linked list with a head
 * at index 0 (Knuth's dancing links: a lifted entry remembers its neighbours, so unlifting in
 * reverse order restores the list exactly).
 */
class EntryList {
  private readonly next_: Int32Array;
  private readonly prev: Int32Array;
  private readonly determinate: Uint8Array;
  /** Entry 2i+1 is operation i's call, 2i+2 its completion. */
  constructor(operations: readonly SearchOperation<unknown>[]) {
    const size = operations.length * 2 + 1;
    this.next_ = new Int32Array(size);
    this.prev = new Int32Array(size);
    this.determinate = new Uint8Array(operations.length);
    const entries: { entry: number; position: number; tie: number }[] = [];
    operations.forEach((op, index) => {
      entries.push({ entry: 2 * index + 1, position: op.call, tie: index });
      // Indeterminate operations have no completion: they never force a backtrack.
      if (op.return === Infinity) return;
      this.determinate[index] = 1;
      entries.push({ entry: 2 * index + 2, position: op.return, tie: index });
    });
    entries.sort((a, b) => a.position - b.position || a.tie - b.tie || a.entry - b.entry);
    let previous = 0;
    for (const { entry } of entries) {
      this.next_[previous] = entry;
      this.prev[entry] = previous;
      previous = entry;
    }
    this.next_[previous] = 0;
    this.prev[0] = previous;
  }

  first(): number {
    return this.next_[0] as number;
  }

  next(entry: number): number {
    return this.next_[entry] as number;
  }

  isCall(entry: number): boolean {
    return (entry & 1) === 1;
  }

  operationOf(entry: number): number {
    return (entry - 1) >> 1;
  }

  private remove(entry: number): void {
    const before = this.prev[entry] as number;
    const after = this.next_[entry] as number;
    this.next_[before] = after;
    this.prev[after] = before;
  }

  private restore(entry: number): void {
    this.next_[this.prev[entry] as number] = entry;
    this.prev[this.next_[entry] as number] = entry;
  }

  /** Removes a call and its completion (indeterminate operations have none). */
  lift(call: number): void {
    this.remove(call);
    if (this.determinate[this.operationOf(call)] === 1) this.remove(call + 1);
  }

  unlift(call: number): void {
    if (this.determinate[this.operationOf(call)] === 1) this.restore(call + 1);
    this.restore(call);
  }

  /** The first completion in the list (there is one while a determinate operation is pending). */
  firstCompletion(): number {
    let cursor = this.first();
    while (this.isCall(cursor)) cursor = this.next(cursor);
    return cursor;
  }

  /** The operations whose calls are in the list before `entry`. */
  callsBefore(entry: number): number[] {
    const calls: number[] = [];
    for (let cursor = this.first(); cursor !== entry && cursor !== 0; cursor = this.next(cursor))
      if (this.isCall(cursor)) calls.push(this.operationOf(cursor));
    return calls;
  }
}

/**
 * The set of linearized operations, identified by a 128-bit Zobrist fingerprint: each operation has
 * four fixed random 32-bit words, and the set's fingerprint is the XOR of its members' words, so
 * adding or removing one costs O(1) instead of hashing a bitset. Two different sets share a
 * fingerprint with probability 2^-128 per pair, far below any hardware error rate.
 */
class Fingerprint {
  private readonly words: Uint32Array;
  private h0 = 0;
  private h1 = 0;
  private h2 = 0;
  private h3 = 0;

  constructor(count: number) {
    this.words = zobristWords(count);
  }

  toggle(op: number): void {
    const base = op * 4;
    const words = this.words;
    this.h0 ^= words[base] as number;
    this.h1 ^= words[base + 1] as number;
    this.h2 ^= words[base + 2] as number;
    this.h3 ^= words[base + 3] as number;
  }

  /** Adds (this set, the state) to the memo; false if it was there already. */
  addTo(memo: SearchMemo, stateKey: string): boolean {
    return memo.add(this.h0, this.h1, this.h2, this.h3, stateKey);
  }
}

let zobristTable = new Uint32Array(0);

/** Deterministic random words (SplitMix32), shared by all searches and grown on demand. */
function zobristWords(count: number): Uint32Array {
  const needed = count * 4;
  if (zobristTable.length >= needed) return zobristTable;
  const table = new Uint32Array(Math.max(needed, zobristTable.length * 2, 1024));
  let seed = 0x9e3779b9;
  for (let index = 0; index < table.length; index++) {
    seed = (seed + 0x9e3779b9) | 0;
    let z = seed;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[index] = (z ^ (z >>> 16)) >>> 0;
  }
  zobristTable = table;
  return table;
}
