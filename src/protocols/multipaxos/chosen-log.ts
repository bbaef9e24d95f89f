import { assert } from '../../core/assert.js';
import { countWithinLength, jsonLengthOf } from '../../core/json-size.js';
import type { CommittedEntry } from '../../core/replicated-log.js';
import { ConfigHistory, type MultiPaxosConfig, isConfigValue } from './config.js';
import type { LogSnapshot, SlotProposal, SlotValue } from './messages.js';

/** A slot's size as JSON: its value's (cached, values are immutable). */
export const slotLength = (entry: SlotProposal<unknown>): number => jsonLengthOf(entry.value);

/**
 * The learner's side of the log: which slots are known chosen, the commit slot (every slot at or
 * below it is known chosen), and the mapping from slots to the application's entry indexes. A slot
 * holds a batch, so it becomes one entry per command (a no-op becomes one null entry); every
 * replica computes the same indexes because it applies the same chosen prefix. A configuration
 * slot is one null entry to the application; `configs` records which configuration governs which slot.
 */
export class ChosenLog<C> {
  readonly configs: ConfigHistory;
  /** Chosen values above the snapshot, kept to catch lagging replicas up until compaction. */
  private readonly chosen = new Map<number, SlotValue<C>>();
  /** The application index of each emitted slot's last entry, above the snapshot. */
  private readonly lastIndexOfSlot = new Map<number, number>();
  /** Invariant: every slot ≤ commitSlot is chosen (in `chosen` or in the snapshot). */
  commitSlot = 0;
  /** Slots up to here were handed to the application. Invariant: emittedSlot ≤ commitSlot. */
  emittedSlot = 0;
  private lastIndex = 0;
  snapshot: LogSnapshot | null = null;
  /** A snapshot the application must load before the next committed entries. */
  private pendingSnapshot: LogSnapshot | null = null;

  constructor(boot: MultiPaxosConfig) {
    this.configs = new ConfigHistory(boot);
  }

  /** The configuration in force after the chosen prefix: it governs the next slot to decide. */
  get config(): MultiPaxosConfig {
    return this.configs.at(this.commitSlot + 1);
  }

  /** True when `drain` has a snapshot or entries to hand out. */
  hasPending(): boolean {
    return this.pendingSnapshot !== null || this.commitSlot > this.emittedSlot;
  }

  /** The application index of the last entry handed out. */
  get lastEmittedIndex(): number {
    return this.lastIndex;
  }

  get snapshotSlot(): number {
    return this.snapshot?.slot ?? 0;
  }

  valueAt(slot: number): SlotValue<C> | undefined {
    return this.chosen.get(slot);
  }

  /** Learns that `value` is chosen in `slot`; returns false when it was known already. */
  learn(slot: number, value: SlotValue<C>): boolean {
    if (slot <= this.commitSlot || this.chosen.has(slot)) return false;
    this.chosen.set(slot, value);
    if (isConfigValue(value)) this.configs.learn(slot, value.config);
    while (this.chosen.has(this.commitSlot + 1)) this.commitSlot++;
    return true;
  }

  /** Loads a snapshot (restored from disk, or from the leader); false when it is not ahead. */
  install(snapshot: LogSnapshot, emit: boolean): boolean {
    if (snapshot.slot <= this.emittedSlot) return false;
    this.snapshot = snapshot;
    this.configs.install(snapshot.slot, snapshot.config);
    if (emit) this.pendingSnapshot = snapshot;
    this.emittedSlot = snapshot.slot;
    this.lastIndex = snapshot.index;
    this.commitSlot = Math.max(this.commitSlot, snapshot.slot);
    while (this.chosen.has(this.commitSlot + 1)) this.commitSlot++;
    this.forgetThrough(snapshot.slot);
    return true;
  }

  /** The slot whose last entry is `index` (compaction happens at a slot boundary). */
  slotEndingAt(index: number): number | undefined {
    for (const [slot, last] of this.lastIndexOfSlot) if (last === index) return slot;
    return undefined;
  }

  /**
   * Chosen slots after `afterSlot` for a catch-up: at most `max`, and within `bytesMax` of JSON (0:
   * no limit) but at least one. Undefined when compacted.
   */
  range(afterSlot: number, max: number, bytesMax: number): SlotProposal<C>[] | undefined {
    if (afterSlot < this.snapshotSlot) return undefined;
    const entries: SlotProposal<C>[] = [];
    for (let slot = afterSlot + 1; slot <= this.commitSlot && entries.length < max; slot++) {
      const value = this.chosen.get(slot);
      assert(value !== undefined, `chosen slot ${slot} missing`);
      entries.push({ slot, value });
    }
    return entries.slice(0, countWithinLength(entries, slotLength, bytesMax));
  }

  /** The snapshot to load and the entries to apply since the last call. */
  drain(): { snapshot: LogSnapshot | null; committed: CommittedEntry<C>[] } {
    const snapshot = this.pendingSnapshot;
    this.pendingSnapshot = null;
    const committed: CommittedEntry<C>[] = [];
    while (this.emittedSlot < this.commitSlot) {
      const slot = this.emittedSlot + 1;
      const value = this.chosen.get(slot);
      assert(value !== undefined, `chosen slot ${slot} missing`);
      if (isConfigValue(value) || value.length === 0)
        committed.push({ index: ++this.lastIndex, command: null });
      else for (const command of value) committed.push({ index: ++this.lastIndex, command });
      this.lastIndexOfSlot.set(slot, this.lastIndex);
      this.emittedSlot = slot;
    }
    return { snapshot, committed };
  }

  /** Our own compaction at an emitted slot boundary. */
  compacted(snapshot: LogSnapshot): void {
    assert(snapshot.slot <= this.emittedSlot, 'compacting past what was applied');
    this.snapshot = snapshot;
    this.configs.install(snapshot.slot, snapshot.config);
    this.forgetThrough(snapshot.slot);
  }

  forgetThrough(slot: number): void {
    for (const key of [...this.chosen.keys()]) if (key <= slot) this.chosen.delete(key);
    for (const key of [...this.lastIndexOfSlot.keys()])
      if (key <= slot) this.lastIndexOfSlot.delete(key);
  }
}
