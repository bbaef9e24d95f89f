import { assert } from '../../core/assert.js';
import type { LogEntry } from './messages.js';

/** Names one entry across the cluster: the view that created it and its index. */
export interface EntryId {
  readonly view: number;
  readonly index: number;
}

/**
 * A primary–backup replica's log. It may have holes: a semi-synchronous backup stores whatever
 * reaches it (seed 002: "A to slave-1, B to slave-2"), so entry 2 can be held without entry 1.
 * The state is the fold of the entries held, in index order; a hole is a write this replica never
 * saw.
 */
export class EntryLog {
  private readonly entries = new Map<number, LogEntry>();
  /** The highest index held (0: none); entries are only added or replaced wholesale. */
  private last = 0;

  get size(): number {
    return this.entries.size;
  }

  lastIndex(): number {
    return this.last;
  }

  /** Stores `entry`; false when this very entry was already held. */
  store(entry: LogEntry): boolean {
    assert(Number.isSafeInteger(entry.index) && entry.index >= 1, `bad index ${entry.index}`);
    const held = this.entries.get(entry.index);
    if (held !== undefined && held.view === entry.view) return false;
    this.entries.set(entry.index, entry);
    this.last = Math.max(this.last, entry.index);
    return true;
  }

  replace(entries: readonly LogEntry[]): void {
    this.entries.clear();
    this.last = 0;
    for (const entry of entries) this.store(entry);
  }

  holds(id: EntryId): boolean {
    return this.entries.get(id.index)?.view === id.view;
  }

  indexes(): number[] {
    return [...this.entries.keys()].sort((a, b) => a - b);
  }

  all(): LogEntry[] {
    return this.indexes().map((index) => this.entries.get(index) as LogEntry);
  }

  /** Indexes below the last one that this replica does not hold. */
  holes(): number[] {
    const holes: number[] = [];
    for (let index = 1; index < this.lastIndex(); index++)
      if (!this.entries.has(index)) holes.push(index);
    return holes;
  }

  /** The key-value state: every held entry applied in index order. */
  fold(): Map<string, string> {
    const state = new Map<string, string>();
    for (const entry of this.all()) applyWrites(state, entry);
    return state;
  }
}

export function applyWrites(state: Map<string, string>, entry: LogEntry): void {
  for (const [key, value] of entry.writes) {
    if (value === null) state.delete(key);
    else state.set(key, value);
  }
}
