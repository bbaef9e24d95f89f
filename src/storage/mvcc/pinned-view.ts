import { assert } from '../../core/assert.js';
import type { KeyHistory, StoredVersion } from './key-history.js';
import type { Bytes } from './types.js';

/** What a pinned view reads from the live key space: the ordered index and the histories. */
export interface PinnableSpace {
  /** Up to `limit` keys strictly after `after` (from the start when undefined), in byte order. */
  keysAfter(after: Bytes | undefined, limit: number): Bytes[];
  history(key: Bytes): KeyHistory | undefined;
  unpin(view: PinnedKeySpace): void;
}

/**
 * The key space as it was at `revision`, read in chunks while the store keeps applying commands:
 * a consistent point-in-time walk at O(1) cost to open, so a snapshot can be encoded a chunk at a
 * time between applies. It relies on two facts about the key space: a history array only grows
 * at its end with revisions above the current one (so its prefix up to `revision` never changes),
 * and only compaction replaces or drops a history — which it reports through `preserve` first, so
 * the view keeps the old history of every key it has not visited yet.
 */
export class PinnedKeySpace {
  private after: Bytes | undefined;
  private readonly preserved = new Map<Bytes, KeyHistory>();
  /** Preserved keys that compaction dropped from the index, sorted when `next` needs them. */
  private dropped: Bytes[] = [];
  private droppedSorted = true;
  private finished = false;

  constructor(
    private readonly space: PinnableSpace,
    readonly revision: number,
  ) {}

  get done(): boolean {
    return this.finished;
  }

  /** Called by the key space before compaction replaces (or, `dropped`, removes) `key`'s history. */
  preserve(key: Bytes, history: KeyHistory, dropped: boolean): void {
    if (this.finished) return;
    if (this.after !== undefined && key <= this.after) return;
    // The first history seen is the pinned one; a key replaced, then dropped, must still be listed.
    if (!this.preserved.has(key)) this.preserved.set(key, history);
    if (dropped) {
      this.dropped.push(key);
      this.droppedSorted = false;
    }
  }

  /**
   * The next keys in byte order with their changes at or below the pinned revision (keys created
   * after it are skipped); about `maxKeys` keys per call, an empty list once the walk is done.
   */
  next(maxKeys: number): [Bytes, StoredVersion[]][] {
    assert(maxKeys >= 1, 'a pinned view reads at least one key at a time');
    if (this.finished) return [];
    const live = this.space.keysAfter(this.after, maxKeys);
    // Keys only the view still knows (compaction dropped them) are merged in up to the last live
    // key, or all of them once the live index is exhausted.
    const bound = live.length < maxKeys ? undefined : live[live.length - 1];
    if (!this.droppedSorted) {
      this.dropped.sort();
      this.droppedSorted = true;
    }
    let take = 0;
    while (
      take < this.dropped.length &&
      (bound === undefined || (this.dropped[take] as Bytes) <= bound)
    )
      take++;
    // A dropped key created again since is in the live index already.
    const dropped = this.dropped
      .splice(0, take)
      .filter((key, index, keys) => key !== keys[index - 1])
      .filter((key) => this.space.history(key) === undefined);
    const keys = dropped.length === 0 ? live : mergeSorted(live, dropped);
    const out: [Bytes, StoredVersion[]][] = [];
    for (const key of keys) {
      const history = this.preserved.get(key) ?? this.space.history(key);
      this.preserved.delete(key);
      if (history === undefined) continue;
      const visible = upTo(history, this.revision);
      if (visible.length > 0) out.push([key, visible]);
    }
    const last = keys[keys.length - 1];
    if (last !== undefined) this.after = last;
    if (bound === undefined) this.close();
    return out;
  }

  /** Stops the walk early; the key space no longer reports compactions to it. */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    this.preserved.clear();
    this.dropped = [];
    this.space.unpin(this);
  }
}

/** The changes of a history at or below `revision`: a prefix, since histories are in revision order. */
function upTo(history: KeyHistory, revision: number): StoredVersion[] {
  let end = history.length;
  while (end > 0 && (history[end - 1] as StoredVersion).mainRevision > revision) end--;
  return end === history.length ? history : history.slice(0, end);
}

function mergeSorted(left: readonly Bytes[], right: readonly Bytes[]): Bytes[] {
  const merged: Bytes[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const a = left[i];
    const b = right[j];
    if (b === undefined || (a !== undefined && a < b)) {
      merged.push(a as Bytes);
      i++;
    } else if (a === undefined || b < a) {
      merged.push(b);
      j++;
    } else {
      merged.push(a);
      i++;
      j++;
    }
  }
  return merged;
}
