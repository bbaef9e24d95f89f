import { assert } from '../../core/assert.js';
import { compactHistory, visibleAt } from './key-history.js';
import type { KeyHistory, StoredVersion } from './key-history.js';
import { PinnedKeySpace } from './pinned-view.js';
import type { PinnableSpace } from './pinned-view.js';
import { SortedKeys } from './sorted-keys.js';
import type { Bytes } from './types.js';

/** The bounds of a request's key range: etcd's single key, [key, rangeEnd), or from-key ('\0'). */
export interface KeyRange {
  readonly start: Bytes;
  /** Exclusive; undefined: no upper bound. */
  readonly end: Bytes | undefined;
  readonly single: boolean;
}

export function keyRange(key: Bytes, rangeEnd: Bytes | undefined): KeyRange {
  if (rangeEnd === undefined || rangeEnd === '')
    return { start: key, end: undefined, single: true };
  if (rangeEnd === '\0') return { start: key, end: undefined, single: false };
  return { start: key, end: rangeEnd, single: false };
}

/**
 * Every key's retained history, plus the ordered index over the keys. A key stays in both until
 * compaction removes its last change, as etcd's treeIndex keeps a deleted key's keyIndex.
 */
export class KeySpace implements PinnableSpace {
  private readonly histories = new Map<Bytes, KeyHistory>();
  /** Open point-in-time views: compaction hands them what it is about to replace. */
  private readonly pins = new Set<PinnedKeySpace>();
  private index = new SortedKeys();
  /** Keys with more than one change or a tombstone: the only ones a compaction can shrink. */
  private readonly compactable = new Set<Bytes>();

  get keyCount(): number {
    return this.histories.size;
  }

  history(key: Bytes): KeyHistory | undefined {
    return this.histories.get(key);
  }

  /** Calls `visit` for each key of `range` with retained history, in byte order, until it returns false. */
  scanKeys(range: KeyRange, visit: (key: Bytes, history: KeyHistory) => boolean | void): void {
    if (range.single) {
      const history = this.histories.get(range.start);
      if (history !== undefined) visit(range.start, history);
      return;
    }
    if (range.end !== undefined && range.end <= range.start) return;
    this.index.scan(range.start, range.end, (key) =>
      visit(key, this.histories.get(key) as KeyHistory),
    );
  }

  /** Calls `visit` for each key of `range` that existed at `revision`, with its version then. */
  scanVisible(
    range: KeyRange,
    revision: number,
    visit: (key: Bytes, version: StoredVersion) => boolean | void,
  ): void {
    this.scanKeys(range, (key, history) => {
      const version = visibleAt(history, revision);
      return version === undefined ? true : visit(key, version);
    });
  }

  /** The keys of `range` with retained history, in byte order. */
  keys(range: KeyRange): Bytes[] {
    const keys: Bytes[] = [];
    this.scanKeys(range, (key) => {
      keys.push(key);
    });
    return keys;
  }

  /** A consistent view of the key space at `revision` (the current one), read in chunks. */
  pin(revision: number): PinnedKeySpace {
    const view = new PinnedKeySpace(this, revision);
    this.pins.add(view);
    return view;
  }

  unpin(view: PinnedKeySpace): void {
    this.pins.delete(view);
  }

  keysAfter(after: Bytes | undefined, limit: number): Bytes[] {
    const keys: Bytes[] = [];
    this.index.scan(after ?? '', undefined, (key) => {
      if (key === after) return true;
      keys.push(key);
      return keys.length < limit;
    });
    return keys;
  }

  /** Records a change; changes arrive in ascending revision order. */
  append(key: Bytes, change: StoredVersion): void {
    const history = this.histories.get(key);
    if (history === undefined) {
      this.histories.set(key, [change]);
      this.index.insert(key);
      if (change.tombstone) this.compactable.add(key);
      return;
    }
    const last = history[history.length - 1] as StoredVersion;
    assert(
      last.mainRevision < change.mainRevision ||
        (last.mainRevision === change.mainRevision && last.subRevision < change.subRevision),
      'changes to a key must arrive in revision order',
    );
    history.push(change);
    this.compactable.add(key);
  }

  /** Applies etcd's compaction at `atRevision` to every key whose history it can shrink. */
  compact(atRevision: number): void {
    for (const key of this.compactable) {
      const history = this.histories.get(key) as KeyHistory;
      const kept = compactHistory(history, atRevision);
      if (kept !== history)
        for (const view of this.pins) view.preserve(key, history, kept.length === 0);
      if (kept.length === 0) {
        this.histories.delete(key);
        this.index.delete(key);
        this.compactable.delete(key);
        continue;
      }
      if (kept !== history) this.histories.set(key, kept);
      if (kept.length === 1 && !(kept[0] as StoredVersion).tombstone) this.compactable.delete(key);
    }
  }

  /** Every key with its history, in byte order: the snapshot's walk. */
  *entries(): Generator<[Bytes, KeyHistory]> {
    for (const key of this.index.range('', undefined)) {
      yield [key, this.histories.get(key) as KeyHistory];
    }
  }

  /**
   * Replaces the whole key space with histories given in ascending key order, pausing (yielding)
   * after every `keysPerStep` keys.
   */
  *loadInSteps(
    entries: readonly (readonly [Bytes, KeyHistory])[],
    keysPerStep: number,
  ): Generator<void, void, undefined> {
    this.histories.clear();
    this.compactable.clear();
    let sinceStep = 0;
    for (const [key, history] of entries) {
      if (++sinceStep === keysPerStep) {
        sinceStep = 0;
        yield;
      }
      assert(history.length > 0, 'a restored key needs at least one change');
      this.histories.set(key, history);
      if (history.length > 1 || (history[history.length - 1] as StoredVersion).tombstone) {
        this.compactable.add(key);
      }
    }
    this.index = SortedKeys.fromSorted(entries.map(([key]) => key));
  }
}
