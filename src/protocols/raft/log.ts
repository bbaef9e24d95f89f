import { assert } from '../../core/assert.js';
import { countWithinLength, jsonLengthOf } from '../../core/json-size.js';
import type { RaftEntry } from './messages.js';

/**
 * A node's Raft log: the entries after the last snapshot, the snapshot's index and term (the
 * "compacted" prefix), and the commit and apply positions. Pure bookkeeping; the node decides.
 *
 * Invariant: snapshotIndex <= applied <= committed <= lastIndex(), and entries[i].index is
 * snapshotIndex + 1 + i with terms never decreasing.
 */
export class RaftLog<C> {
  snapshotIndex = 0;
  snapshotTerm = 0;
  private entries: RaftEntry<C>[] = [];
  /** Where the configuration entries are, so membership lookups need not scan the log. */
  private configEntryIndexes: number[] = [];
  /** Bumped whenever the set of configuration entries changes (append, truncation, reset). */
  configVersion = 0;
  committed = 0;
  /** The last index handed to the application in a `committed` batch. */
  applied = 0;
  /**
   * The lowest index written since the last `takeUnpersisted()`: the driver must persist entries
   * from here on, and restoring them truncates whatever followed in the old log.
   */
  private unpersistedFrom: number | undefined;

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) as number;
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  /** The term of the entry at `index`; undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entryAt(index).term;
  }

  entryAt(index: number): RaftEntry<C> {
    const entry = this.entries[index - this.snapshotIndex - 1];
    // Hot path: build the message only on failure.
    if (entry === undefined || entry.index !== index) assert(false, `no entry ${index} in the log`);
    return entry;
  }

  /** The index of the last configuration entry in the log, 0 when there is none after the snapshot. */
  lastConfigIndex(): number {
    return this.configEntryIndexes.at(-1) ?? 0;
  }

  /** Indexes of the configuration entries in [from, to], ascending. */
  configIndexes(from: number, to: number): number[] {
    return this.configEntryIndexes.filter((index) => index >= from && index <= to);
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft's up-to-date rule (§5.4.1): a later last term wins, then a longer log. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return (
      lastTerm > this.lastTerm() || (lastTerm === this.lastTerm() && lastIndex >= this.lastIndex())
    );
  }

  /** Entries in [from, lastIndex], at most `countMax`. */
  slice(from: number, countMax: number): RaftEntry<C>[] {
    if (from <= this.snapshotIndex) assert(false, `entries from ${from} are compacted`);
    const start = from - this.snapshotIndex - 1;
    return this.entries.slice(start, start + countMax);
  }

  /**
   * Entries from `from` on, at most `countMax`, and stopping before `bytesMax` bytes of JSON
   * (0: no byte limit) — but always at least one, so a large entry still moves.
   */
  sliceForMessage(from: number, countMax: number, bytesMax: number): RaftEntry<C>[] {
    const entries = this.slice(from, countMax);
    return entries.slice(0, countWithinLength(entries, jsonLengthOf, bytesMax));
  }

  /** The entries' size as JSON, as `sliceForMessage` counts it (cached per entry). */
  bytesOf(entries: readonly RaftEntry<C>[]): number {
    let bytes = 0;
    for (const entry of entries) bytes += jsonLengthOf(entry);
    return bytes;
  }

  /** Appends at the end, the leader's path. */
  append(entries: readonly RaftEntry<C>[]): void {
    if (entries.length === 0) return;
    assert(entries[0]!.index === this.lastIndex() + 1, 'append must continue the log');
    this.write(entries);
  }

  /**
   * The follower's path (AppendEntries receiver, §5.3): if the log holds `prevIndex` at
   * `prevTerm`, keep every entry that agrees, truncate only at the first real conflict, and append
   * the rest. Returns the index of the last entry the message vouched for, or undefined on a
   * consistency-check failure.
   */
  maybeAppend(
    prevIndex: number,
    prevTerm: number,
    entries: readonly RaftEntry<C>[],
  ): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const conflict = entries.find((entry) => !this.matchTerm(entry.index, entry.term));
    if (conflict !== undefined) {
      // Invariant: a committed entry never changes (State Machine Safety).
      assert(conflict.index > this.committed, `conflict at committed index ${conflict.index}`);
      this.write(entries.slice(conflict.index - entries[0]!.index));
    }
    return prevIndex + entries.length;
  }

  private write(entries: readonly RaftEntry<C>[]): void {
    const first = entries[0]!.index;
    if (first <= this.snapshotIndex || first > this.lastIndex() + 1)
      assert(false, `bad write at ${first}`);
    this.entries.length = first - this.snapshotIndex - 1;
    if (this.configEntryIndexes.length > 0 && this.configEntryIndexes.at(-1)! >= first) {
      this.configEntryIndexes = this.configEntryIndexes.filter((index) => index < first);
      this.configVersion++;
    }
    for (const entry of entries) {
      this.entries.push(entry);
      if (entry.config === undefined) continue;
      this.configEntryIndexes.push(entry.index);
      this.configVersion++;
    }
    this.unpersistedFrom = Math.min(this.unpersistedFrom ?? first, first);
  }

  /**
   * etcd's fast back-off: the last index <= `index` whose term is <= `term`. A leader probing a
   * follower with a rejection hint jumps over a whole term of mismatching entries at once.
   */
  findConflictByTerm(index: number, term: number): number {
    let at = Math.min(index, this.lastIndex());
    while (at > this.snapshotIndex && (this.term(at) as number) > term) at--;
    return at;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex())
      assert(false, `commit ${index} beyond the last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  /** Entries committed but not yet handed to the application. */
  takeCommitted(): RaftEntry<C>[] {
    if (this.applied >= this.committed) return [];
    const entries = this.slice(this.applied + 1, this.committed - this.applied);
    this.applied = this.committed;
    return entries;
  }

  /** Drops entries up to `index` (kept in a snapshot). */
  compact(index: number): void {
    assert(index > this.snapshotIndex && index <= this.applied, `cannot compact to ${index}`);
    const term = this.term(index) as number;
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.configEntryIndexes = this.configEntryIndexes.filter((at) => at > index);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  /** Replaces the whole log with a snapshot's position (InstallSnapshot on a diverged follower). */
  resetTo(index: number, term: number): void {
    this.entries = [];
    this.configEntryIndexes = [];
    this.configVersion++;
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.committed = index;
    this.applied = index;
    this.unpersistedFrom = undefined;
  }

  /** The entries written since the last call, for the driver to persist. */
  takeUnpersisted(): RaftEntry<C>[] {
    const from = this.unpersistedFrom;
    this.unpersistedFrom = undefined;
    if (from === undefined) return [];
    return this.slice(from, Number.MAX_SAFE_INTEGER);
  }

  /** Whether a compaction dropped entries the driver has not been asked to persist yet. */
  unpersistedCompacted(): boolean {
    return this.unpersistedFrom !== undefined && this.unpersistedFrom <= this.snapshotIndex;
  }

  hasUnpersisted(): boolean {
    return this.unpersistedFrom !== undefined;
  }

  /** Every entry after the snapshot (for a full rewrite of durable state). */
  all(): RaftEntry<C>[] {
    this.unpersistedFrom = undefined;
    return this.entries.slice();
  }

  /** Loads entries from durable records at boot; they are already durable. */
  loadEntries(entries: readonly RaftEntry<C>[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    if (first <= this.snapshotIndex) {
      const kept = entries.filter((entry) => entry.index > this.snapshotIndex);
      if (kept.length > 0) this.loadEntries(kept);
      return;
    }
    if (first > this.lastIndex() + 1) return; // a gap: nothing after it can be trusted
    this.write(entries);
    this.unpersistedFrom = undefined;
  }
}
